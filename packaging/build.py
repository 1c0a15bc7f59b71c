"""Build the frozen bundle (and on request the Windows installer), then smoke-test it: what `make package` runs."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path

from make_icon import make_icon
from version_info import EXECUTABLES, read_project, version_tuple, write_version_files

REPO = Path(__file__).resolve().parent.parent
PACKAGING = REPO / "packaging"
SPEC = PACKAGING / "loopback-tuner.spec"
INSTALLER_SCRIPT = PACKAGING / "installer.iss"
SIGN_SCRIPT = PACKAGING / "sign.ps1"
GENERATED = REPO / "build" / "packaging"
WORK = REPO / "build" / "pyinstaller"
DIST = REPO / "dist"
BUNDLE_NAME = "loopback-tuner"
IS_WINDOWS = sys.platform == "win32"
EXE_SUFFIX = ".exe" if IS_WINDOWS else ""
TIMEOUT = 120  # seconds for one run of a frozen executable
# Modules both frozen executables must carry for the elevated helper (imported lazily, so listed in the spec).
HELPER_MODULES = ("app.elevation.entry", "app.helper", "multiprocessing.connection", "json", "hmac", "secrets")
# ... and for the benchmark worker (measure starts sys.executable with --benchmark-worker); WORKER_IMPORTS in the spec.
WORKER_MODULES = ("app.benchmark.entry", "app.benchmark.worker", "app.benchmark.loops")
SIGNING_VARIABLES = ("SIGN_CERT_PATH", "SIGN_CERT_THUMBPRINT")


class StepError(Exception):
    """A build or smoke-test step failed; the message says which and why."""


def step(title: str) -> None:
    print(f"\n==> {title}", flush=True)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run(argv: Sequence[str], what: str, env: Mapping[str, str] | None = None, timeout: float = TIMEOUT) -> str:
    """Run ``argv``, return its stdout; a non-zero exit or a time-out becomes a StepError naming ``what``."""
    try:
        completed = subprocess.run(
            list(argv), cwd=REPO, env=dict(env) if env is not None else None, capture_output=True, text=True,
            encoding="utf-8", errors="replace", timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as error:
        raise StepError(f"{what}: no answer within {timeout:.0f} s") from error
    except OSError as error:
        raise StepError(f"{what}: could not start {argv[0]}: {error}") from error
    if completed.returncode != 0:
        output = _tail(completed.stdout + "\n" + completed.stderr)
        raise StepError(f"{what}: exit code {completed.returncode}\n{output}")
    return completed.stdout


def check_prerequisites() -> None:
    """PyInstaller is installed and the entry points the spec freezes exist."""
    if importlib.util.find_spec("PyInstaller") is None:
        raise StepError('PyInstaller is not installed: run `make package` or `pip install -e ".[package]"`')
    missing = [name for name in ("main", "cli", "helper") if not (REPO / "app" / f"{name}.py").is_file()]
    if missing:
        modules = ", ".join(f"app/{name}.py" for name in missing)
        raise StepError(f"entry points missing: {modules} (the spec freezes app.main:main and app.cli:main)")


def generate_resources() -> None:
    step(f"icon and version resources -> {GENERATED.relative_to(REPO)}")
    ico = make_icon(out_dir=GENERATED)
    print(f"wrote {ico.relative_to(REPO)}")
    for path in write_version_files(GENERATED).values():
        print(f"wrote {path.relative_to(REPO)}")


def build_icu_stub() -> None:
    """Linux: compile packaging/icu_stub.c into build/packaging/icu/ (the spec bundles it in place of PySide6's
    32 MB libicudata); without a C compiler the full ICU data stays, and this says so."""
    if IS_WINDOWS:
        return  # Qt uses Windows' own ICU: the bundle carries none
    spec = importlib.util.find_spec("PySide6")
    folders = list(spec.submodule_search_locations or []) if spec else []
    datas = sorted(path for folder in folders for path in Path(folder).glob("Qt/lib/libicudata.so.*"))
    step("ICU data stub")
    if not datas:
        print("note: PySide6 carries no libicudata here; nothing to replace")
        return
    data = datas[0]
    major = data.name.rsplit(".", 1)[-1]
    compiler = shutil.which(os.environ.get("CC", "cc"))
    out = GENERATED / "icu" / data.name
    if not major.isdigit() or compiler is None:
        size = data.stat().st_size / 1e6
        print(f"note: no C compiler (CC, cc): the full ICU data ({size:.0f} MB) stays in the bundle")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    run(
        [compiler, "-shared", "-fPIC", "-O2", "-s", f"-Wl,-soname,{data.name}", f"-DICU_MAJOR={major}",
         "-o", str(out), str(PACKAGING / "icu_stub.c")],
        "compiling the ICU data stub",
    )  # fmt: skip
    print(f"wrote {out.relative_to(REPO)} ({out.stat().st_size} bytes, for {data.stat().st_size / 1e6:.0f} MB)")


def run_pyinstaller() -> Path:
    step("PyInstaller")
    argv = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
        "--distpath", str(DIST), "--workpath", str(WORK), str(SPEC),
    ]  # fmt: skip
    env = {**os.environ, "LOOPBACK_TUNER_GENERATED": str(GENERATED)}
    print(" ".join(argv), flush=True)
    completed = subprocess.run(argv, cwd=REPO, env=env, check=False)
    if completed.returncode != 0:
        raise StepError(f"PyInstaller failed with exit code {completed.returncode} (its log is above)")
    bundle = DIST / BUNDLE_NAME
    for exe in EXECUTABLES:
        if not (bundle / f"{exe.stem}{EXE_SUFFIX}").is_file():
            raise StepError(f"PyInstaller did not produce {exe.stem}{EXE_SUFFIX} in {bundle}")
    return bundle


def signing_configured() -> bool:
    return any(os.environ.get(name) for name in SIGNING_VARIABLES)


def sign(files: Sequence[Path]) -> None:
    """Sign with packaging/sign.ps1 (signtool) when a certificate is configured; otherwise say it is skipped."""
    if not IS_WINDOWS:
        return
    step("code signing")
    if not signing_configured():
        print(f"skipped: none of {', '.join(SIGNING_VARIABLES)} is set")
        return
    argv = ["powershell.exe", "-NoProfile", "-ExecutionPolicy", "Bypass", "-File", str(SIGN_SCRIPT)]
    print(run([*argv, *map(str, files)], "signing"))


def check_bundle_contents(bundle: Path) -> None:
    """Both executables carry the helper's modules (the GUI is the one launchers start, the CLI answers the
    flag too) and the CLI carries no Qt (read from the executables' archives)."""
    step("bundle contents")
    readers = importlib.import_module("PyInstaller.archive.readers")  # PyInstaller ships no type stubs
    pkg_archive_contents: Callable[[str], list[str]] = readers.pkg_archive_contents
    gui = set(pkg_archive_contents(str(bundle / f"loopback-tuner{EXE_SUFFIX}")))
    cli = set(pkg_archive_contents(str(bundle / f"loopback-tuner-cli{EXE_SUFFIX}")))
    for label, contents in (("GUI", gui), ("CLI", cli)):
        missing = [name for name in HELPER_MODULES if name not in contents]
        if missing:
            raise StepError(f"the {label} executable lacks the helper's modules: {', '.join(missing)}")
        missing = [name for name in WORKER_MODULES if name not in contents]
        if missing:
            raise StepError(f"the {label} executable lacks the benchmark worker's modules: {', '.join(missing)}")
    qt_in_cli = sorted(name for name in cli if name.split(".")[0] in ("PySide6", "shiboken6", "qasync"))
    if qt_in_cli:
        raise StepError(f"the CLI executable carries Qt modules: {', '.join(qt_in_cli[:5])}")
    charts = sorted((bundle / "_internal" / "PySide6").glob("QtCharts.*"))
    if not any(path.suffix in (".so", ".pyd") for path in charts):
        raise StepError("the Measure view's chart library is not bundled (_internal/PySide6/QtCharts missing)")
    if not (bundle / "_internal" / "resources" / "icon.svg").is_file():
        raise StepError("resources/ is not bundled (_internal/resources/icon.svg missing)")
    if not (bundle / "_internal" / "resources" / "deploy" / "ps-common.ps1").is_file():
        raise StepError("the deploy templates are not bundled (_internal/resources/deploy/ missing)")
    print(
        f"ok: GUI and CLI have {', '.join(HELPER_MODULES + WORKER_MODULES)}; CLI has no Qt; Qt Charts and resources "
        "bundled"
    )


def smoke_cli(bundle: Path, state: Path) -> None:
    step("smoke test: CLI")
    # --backend and --state are the CLI's global options, so they come before the sub-command.
    exe = str(bundle / f"loopback-tuner-cli{EXE_SUFFIX}")
    out = run([exe, "--backend", "simulated", "--state", str(state), "show", "--json"], "frozen CLI `show --json`")
    try:
        shown = json.loads(out)
    except json.JSONDecodeError as error:
        raise StepError(f"frozen CLI `show --json` printed no JSON ({error}):\n{_tail(out)}") from error
    if not isinstance(shown, dict) or not {"ipv4", "ipv6"} <= shown.keys():
        raise StepError(f"frozen CLI `show --json` lacks the ipv4/ipv6 keys:\n{_tail(out)}")
    print(f"ok: keys {sorted(shown)}")


def smoke_helper(bundle: Path) -> None:
    """The GUI executable reaches the helper on --elevated-helper: with no other argument it refuses (exit 2)."""
    step("smoke test: elevated-helper dispatch (not elevated)")
    argv = [str(bundle / f"loopback-tuner{EXE_SUFFIX}"), "--elevated-helper"]
    try:
        completed = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise StepError(f"frozen GUI `--elevated-helper`: {error}") from error
    if completed.returncode != 2:
        output = _tail(completed.stdout + "\n" + completed.stderr)
        raise StepError(
            f"frozen GUI `--elevated-helper` without arguments: exit {completed.returncode}, not 2\n{output}"
        )
    print("ok: refused with exit code 2, as the helper does for missing arguments")


def smoke_benchmark_worker(bundle: Path) -> None:
    """Both frozen exes answer --benchmark-worker: one short measurement run with each as server and client."""
    step("smoke test: benchmark workers (each exe as server and client, a short run over 127.0.0.1)")
    from app.benchmark.pair import MeasureError, run_pair
    from app.domain.measurements import MeasurePlan
    from app.domain.model import Family

    plan = MeasurePlan(seconds=0.2, warmup_s=0.05, runs=1)
    for name in ("loopback-tuner-cli", "loopback-tuner"):
        command = [str(bundle / f"{name}{EXE_SUFFIX}"), "--benchmark-worker"]
        try:
            result = run_pair(Family.IPV4, plan, command=command)
        except MeasureError as error:
            raise StepError(f"frozen {name} --benchmark-worker: {error}") from error
        print(
            f"ok: {name}: round trip p50 {result.latency.p50_us:.1f} us ({result.latency.samples} samples), "
            f"{result.throughput.gb_per_s:.2f} GB/s, {result.connect.per_second:,.0f} connections/s"
        )


def elevated_windows() -> bool:
    """Whether this is an elevated Windows session (where the helper runs the system netsh only)."""
    if not IS_WINDOWS:
        return False
    from app.platform.windows import default_api, is_elevated

    return is_elevated(default_api())


def run_helper_trial(helper: Sequence[str], backend: Sequence[str], change: str, keep: bool) -> tuple[int | None, str]:
    """Run one trial through ``helper`` (a program and its flag) over a real authenticated channel.

    The helper applies ``change`` through ``backend`` (its --backend arguments), reports it, gets "keep" or "revert",
    reports the end. Returns (its exit code, or None if it did not exit; the outcome it reported).
    Raises StepError if the channel or a message is not what the helper must send.
    """
    key = secrets.token_bytes(32)
    folder = Path(tempfile.mkdtemp(prefix="lt-"))  # short: Unix socket paths are limited to ~100 bytes
    # The helper accepts only the channel names the app makes: a local pipe on Windows, a socket path elsewhere.
    address = rf"\\.\pipe\LoopbackTuner-{secrets.token_hex(16)}" if IS_WINDOWS else str(folder / "channel")
    argv = [
        *helper, *backend, "--address", address, "--app-pid", str(os.getpid()), "--deadline-seconds", "60",
        "--keep-store", "persistent", "--change", change, "--authkey-stdin",
    ]  # fmt: skip
    accepted: list[Connection | BaseException] = []
    try:
        with Listener(address, authkey=key) as listener:

            def accept() -> None:
                try:
                    accepted.append(listener.accept())
                except Exception as error:  # AuthenticationError, EOFError, OSError: the caller reports it
                    accepted.append(error)

            thread = threading.Thread(target=accept, daemon=True)
            thread.start()
            process = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO
            )

            def unblock_accept_if_gone() -> None:  # a helper that dies before connecting must not cost TIMEOUT
                process.wait()
                if not accepted:
                    with contextlib.suppress(Exception):
                        Client(address, authkey=bytes(32)).close()  # refused: accept() returns with an error

            threading.Thread(target=unblock_accept_if_gone, daemon=True).start()
            try:
                return _drive(process, key, thread, accepted, change, keep, " ".join(helper))
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait(TIMEOUT)
                assert process.stderr is not None
                process.stderr.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _drive(
    process: subprocess.Popen[bytes],
    key: bytes,
    thread: threading.Thread,
    accepted: list[Connection | BaseException],
    change: str,
    keep: bool,
    what: str,
) -> tuple[int | None, str]:
    """Hand the helper its key, take its connection, answer keep or revert; see run_helper_trial."""
    from app.elevation.protocol import Applied, Done, decision_message, parse_helper_message

    assert process.stdin is not None and process.stderr is not None
    process.stdin.write(key.hex().encode() + b"\n")
    process.stdin.close()
    thread.join(TIMEOUT)
    if not accepted or not isinstance(accepted[0], Connection):
        process.kill()
        err = process.stderr.read().decode(errors="replace")
        why = "it exited before connecting" if process.poll() is not None else "no connection"
        raise StepError(f"helper {what}: {why}; exit {process.wait(TIMEOUT)}\n{_tail(err)}")
    with accepted[0] as conn:
        if not conn.poll(TIMEOUT):
            raise StepError(f"helper {what} sent nothing after connecting")
        applied = parse_helper_message(conn.recv_bytes())
        if not isinstance(applied, Applied) or not applied.ok:
            raise StepError(f"helper {what} did not apply {change}: {applied}")
        conn.send_bytes(decision_message(keep))
        if not conn.poll(TIMEOUT):
            raise StepError(f"helper {what} sent no end of the trial")
        done = parse_helper_message(conn.recv_bytes())
        if not isinstance(done, Done):
            raise StepError(f"helper {what}'s last message was not its end: {done}")
    try:
        code: int | None = process.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        code = None
    return code, done.outcome.value


def smoke_helper_trial(bundle: Path, state: Path) -> None:
    """The frozen CLI exe's helper entry keeps one trial and reverts the next.

    On the simulated machine; in an elevated Windows session (the Windows workflow), where an elevated helper
    refuses the simulated machine by design, on the real netsh instead, leaving the machine as it was.
    """
    step("smoke test: frozen CLI as the helper (a trial kept, one reverted)")
    helper = [str(bundle / f"loopback-tuner-cli{EXE_SUFFIX}"), "--elevated-helper"]
    if elevated_windows():
        _real_helper_trial(helper)
        return
    from app.domain.model import Family
    from app.simulator.store import SimStateFile

    backend = ["--backend", "simulated", "--state", str(state)]
    machine = SimStateFile(state)
    kept = run_helper_trial(helper, backend, "ipv4:loopbackworkercount=8", keep=True)
    after_keep = machine.load()
    reverted = run_helper_trial(helper, backend, "ipv4:loopbackworkercount=2", keep=False)
    after_revert = machine.load()
    want = ((0, "kept"), (1, "reverted"))
    counts = [
        (m.active[Family.IPV4].worker_count, m.persistent[Family.IPV4].worker_count) for m in (after_keep, after_revert)
    ]
    if (kept, reverted) != want or counts != [(8, 8), (8, 8)]:
        raise StepError(
            f"frozen helper trials: kept {kept}, reverted {reverted} (want {want}); IPv4 worker count "
            f"(active, persistent) after each {counts}, want [(8, 8), (8, 8)]"
        )
    print("ok: kept (exit 0, IPv4 workers 8 active and persistent), then reverted (exit 1, still 8)")


def _real_ipv4_workers() -> tuple[int, int]:
    """The real machine's IPv4 worker count (active, saved), read with the app's own parser."""
    from app.domain.commands import show_global
    from app.domain.model import Family, LoopbackSettings, Store
    from app.runners.factory import Backend, BackendKind, make_runner
    from app.runners.readings import reading_from

    runner = make_runner(Backend(BackendKind.SYSTEM))
    counts = []
    for store in (Store.ACTIVE, Store.PERSISTENT):
        reading = reading_from(runner.run_blocking(show_global(Family.IPV4, store)))
        if not isinstance(reading, LoopbackSettings):
            raise StepError(f"the real netsh could not be read ({store.value}): {reading.message}")
        counts.append(reading.worker_count)
    return counts[0], counts[1]


def _real_helper_trial(helper: Sequence[str]) -> None:
    """On the real machine: a trial of another worker count is reverted; the saved value is kept as it is."""
    before = _real_ipv4_workers()
    other = 3 if before[0] == 2 else 2
    reverted = run_helper_trial(helper, ["--backend", "system"], f"ipv4:loopbackworkercount={other}", keep=False)
    after_revert = _real_ipv4_workers()
    kept: tuple[int | None, str] = (0, "kept")
    if before[0] == before[1]:  # keeping the saved value changes nothing; otherwise an active-only value would go
        kept = run_helper_trial(helper, ["--backend", "system"], f"ipv4:loopbackworkercount={before[1]}", keep=True)
    after_keep = _real_ipv4_workers()
    if (reverted, kept) != ((1, "reverted"), (0, "kept")) or after_revert != before or after_keep != before:
        raise StepError(
            f"frozen helper on the real netsh: reverted {reverted}, kept {kept}; IPv4 worker count (active, saved) "
            f"before {before}, after the revert {after_revert}, after the keep {after_keep}"
        )
    print(f"ok (real netsh): a trial of {other} workers reverted, the saved {before[1]} kept; the machine is as it was")


def _gui_env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def smoke_gui(bundle: Path, state: Path, shot: Path) -> None:
    step("smoke test: GUI screenshot (offscreen)")
    argv = [str(bundle / f"loopback-tuner{EXE_SUFFIX}"), "--screenshot", str(shot), "--backend", "simulated"]
    run([*argv, "--state", str(state)], "frozen GUI `--screenshot`", env=_gui_env())
    if not shot.is_file():
        raise StepError(f"frozen GUI exited 0 but wrote no screenshot at {shot}")
    if not shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"):
        raise StepError(f"frozen GUI's screenshot {shot} is not a PNG")
    print(f"ok: {shot.name}, {shot.stat().st_size} bytes")


def _median_seconds(argv: Sequence[str], what: str, runs: int, env: Mapping[str, str] | None = None) -> float:
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        run(argv, what, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report_metrics(bundle: Path, workdir: Path, runs: int) -> None:
    step("metrics")
    # lstat and no symlinks: on Linux PyInstaller links libraries into _internal/, which must not count twice.
    size = sum(path.lstat().st_size for path in bundle.rglob("*") if path.is_file() and not path.is_symlink())
    print(f"bundle size: {size / 1_000_000:.1f} MB ({bundle})")
    cli = _median_seconds([str(bundle / f"loopback-tuner-cli{EXE_SUFFIX}"), "--version"], "frozen CLI --version", runs)
    print(f"CLI start-up (--version), median of {runs}: {cli * 1000:.0f} ms")
    gui_argv = [
        str(bundle / f"loopback-tuner{EXE_SUFFIX}"), "--screenshot", str(workdir / "timing.png"),
        "--backend", "simulated", "--state", str(workdir / "state.json"),
    ]  # fmt: skip
    gui = _median_seconds(gui_argv, "frozen GUI --screenshot", runs, env=_gui_env())
    print(f"GUI start-up to screenshot, median of {runs}: {gui * 1000:.0f} ms")


def find_iscc() -> Path:
    """The Inno Setup command-line compiler (6 or 7): on PATH, or in its usual install folders."""
    found = shutil.which("iscc")
    if found:
        return Path(found)
    bases = [os.environ.get(name) for name in ("ProgramFiles(x86)", "ProgramFiles", "LOCALAPPDATA")]
    for base in filter(None, bases):
        for folder in ("Inno Setup 6", "Inno Setup 7", "Programs/Inno Setup 6", "Programs/Inno Setup 7"):
            if (Path(base) / folder / "ISCC.exe").is_file():
                return Path(base) / folder / "ISCC.exe"
    raise StepError(
        "Inno Setup's ISCC.exe not found: install Inno Setup 6 (`choco install innosetup`) or add it to PATH"
    )


def build_installer(bundle: Path) -> Path:
    step("installer (Inno Setup)")
    if not IS_WINDOWS:
        raise StepError("the installer can only be built on Windows")
    version = read_project().version
    file_version = ".".join(str(part) for part in version_tuple(version))
    # Short options with a dash: Inno Setup 6 takes / or - in any case, Inno Setup 7 documents -d, -o, -s.
    argv = [
        str(find_iscc()), f"-dAppVersion={version}", f"-dFileVersion={file_version}", f"-dBundleDir={bundle}",
        f"-dIconFile={GENERATED / 'loopback-tuner.ico'}", f"-o{DIST}",
    ]  # fmt: skip
    if signing_configured():
        # Inno calls the Sign Tool for Setup and the uninstaller; $q is Inno's quote, $f the quoted file.
        sign_command = f"powershell.exe -NoProfile -ExecutionPolicy Bypass -File $q{SIGN_SCRIPT}$q $f"
        argv += [f"-ssigntool={sign_command}", "-dSignToolName=signtool"]
    print(run([*argv, str(INSTALLER_SCRIPT)], "Inno Setup compiler", timeout=900))
    setup = DIST / f"loopback-tuner-{version}-setup.exe"
    if not setup.is_file():
        raise StepError(f"the Inno Setup compiler did not produce {setup}")
    print(f"ok: {setup} ({setup.stat().st_size / 1_000_000:.1f} MB)")
    return setup


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python packaging/build.py [--skip-build] [--skip-smoke] [--installer] [--runs N]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-build", action="store_true", help="reuse dist/loopback-tuner/ as it is")
    parser.add_argument("--skip-smoke", action="store_true", help="build only: no smoke tests, no timings")
    parser.add_argument("--installer", action="store_true", help="also build the Inno Setup installer (Windows)")
    parser.add_argument("--runs", type=int, default=5, help="runs per start-up timing (default: %(default)s)")
    args = parser.parse_args(argv)
    bundle = DIST / BUNDLE_NAME
    try:
        if not args.skip_build:
            check_prerequisites()
            generate_resources()
            build_icu_stub()
            bundle = run_pyinstaller()
            sign([bundle / f"{exe.stem}{EXE_SUFFIX}" for exe in EXECUTABLES])
        elif not bundle.is_dir():
            raise StepError(f"--skip-build given but {bundle} does not exist")
        check_bundle_contents(bundle)
        if not args.skip_smoke:
            with tempfile.TemporaryDirectory(prefix="loopback-tuner-smoke-") as tmp:
                workdir = Path(tmp)
                smoke_cli(bundle, workdir / "state.json")
                smoke_helper(bundle)
                smoke_helper_trial(bundle, workdir / "helper-state.json")
                smoke_benchmark_worker(bundle)
                smoke_gui(bundle, workdir / "state.json", workdir / "shot.png")
                report_metrics(bundle, workdir, max(1, args.runs))
        if args.installer:
            build_installer(bundle)
    except StepError as error:
        print(f"\nbuild.py: FAILED: {error}", file=sys.stderr)
        return 1
    print("\nbuild.py: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())

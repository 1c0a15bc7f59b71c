"""Figure 8: the size of what users download, the one-folder bundle and the installer (``make package`` builds
them; Inno Setup runs on Windows only, so here the installer row says where its figure comes from)."""

from __future__ import annotations

from pathlib import Path

from figures import Budget, Figure, Stats

REPO = Path(__file__).resolve().parent.parent
DIST = REPO / "dist"
MIB = 1024 * 1024
BUNDLE_BUDGET_MIB = 100.0  # issue 17: "aim for 100 MiB or less"


def folder_bytes(folder: Path) -> int:
    return sum(path.lstat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def package_sizes(dist: Path = DIST) -> list[Figure]:
    """The bundle's size against its budget, and the installer's when one was built here."""
    bundle = dist / "loopback-tuner"
    if not bundle.is_dir():
        raise FileNotFoundError(f"no bundle at {bundle}: run `make package` first")
    size = folder_bytes(bundle)
    figures = [
        Figure(
            "package_bundle_mib",
            "8 Bundle size (one folder, both executables)",
            "MiB",
            Stats.of([size / MIB]),
            Budget(BUNDLE_BUDGET_MIB, "issue 17"),
            note=f"{size / 1e6:.1f} MB in {bundle.relative_to(REPO) if bundle.is_relative_to(REPO) else bundle}",
        )
    ]
    installers = sorted(dist.glob("loopback-tuner-*-setup.exe"))
    if installers:
        setup = installers[-1]
        figures.append(
            Figure(
                "package_installer_mib",
                "  installer",
                "MiB",
                Stats.of([setup.stat().st_size / MIB]),
                note=f"{setup.stat().st_size / 1e6:.1f} MB, {setup.name}",
            )
        )
    else:
        figures[0] = Figure(
            figures[0].key,
            figures[0].label,
            figures[0].unit,
            figures[0].stats,
            figures[0].budget,
            note=figures[0].note + "; no installer here (Inno Setup runs on Windows: the Windows workflow prints it)",
        )
    return figures

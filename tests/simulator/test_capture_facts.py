"""A replayed diagnostics file's machine facts: the report and the BBR2 check see the captured machine."""

from __future__ import annotations

import json
from pathlib import Path

from app.runners.factory import choose_backend
from app.simulator.capture_facts import CaptureMachineInfo
from app.wiring import make_machine_info
from tests.conftest import FIXTURES

CAPTURE = FIXTURES / "captures" / "sim-zh-CN.json"


def test_the_facts_are_the_files(tmp_path: Path) -> None:
    data = json.loads(CAPTURE.read_text(encoding="utf-8"))
    data["windows"].update(ubr=4317, edition="Professional", display_version="23H2")
    data["congestion"]["providers"] = {"Internet": "BBR2"}
    (tmp_path / "c.json").write_text(json.dumps(data), encoding="utf-8")
    source = make_machine_info(choose_backend(backend="simulated", capture=str(tmp_path / "c.json")))
    assert isinstance(source, CaptureMachineInfo)
    info = source.info()
    assert (info.build, info.language, info.simulated) == (22631, "zh-CN", True)
    assert info.windows == "Windows Professional 23H2, update revision 4317"
    assert source.congestion().providers == {"Internet": "BBR2"}

"""A copy that Windows may not elevate (a source or pip install): the window shows the one-line advice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.domain.model import Family
from app.elevation.launchers import ADMIN_TERMINAL_MESSAGE, AdminTerminalRequiredError, HelperProcess
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import SimProfile
from app.viewmodels.messages import Level, Message
from tests.ui.conftest import Rig


class RefusingLauncher:
    """What UacLauncher does for a program that is not the frozen, installed build."""

    prompts = 0

    def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
        raise AdminTerminalRequiredError(ADMIN_TERMINAL_MESSAGE)


def test_the_window_shows_the_admin_terminal_line_and_changes_nothing(
    rig_factory: Callable[..., Rig], run: Callable[[Any], Any]
) -> None:
    rig = rig_factory(SimProfile(elevated=False))
    rig.services.transactions.launcher = RefusingLauncher()
    messages: list[Message] = []
    rig.vm.message.connect(messages.append)
    rig.vm.set_workers(Family.IPV4, 8)
    run(rig.vm.apply())
    assert messages[-1] == Message(Level.ERROR, ADMIN_TERMINAL_MESSAGE)
    assert "\n" not in messages[-1].text
    assert rig.window.last_message == messages[-1]
    assert not rig.vm.busy and not rig.vm.in_trial and rig.window.keep_dialog is None
    machine = rig.state.load()
    assert machine.active[Family.IPV4] == machine.persistent[Family.IPV4] == SIMULATED_INITIAL

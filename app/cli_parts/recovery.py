"""The command line's notes about trials an earlier run left unfinished, and the command that puts values back."""

from __future__ import annotations

import argparse
from typing import TextIO

from app.domain.commands import commands_for, display
from app.domain.model import ExecutionMode, FamilyChange, Setting, Store
from app.usecases.recovery import Finding, Recovered, Recovery

PROGRAM = "loopback-tuner-cli"


def global_arguments(args: argparse.Namespace) -> list[str]:
    """The backend options this run was given, so a printed command acts on the same machine."""
    out: list[str] = []
    for option in ("backend", "netsh", "state"):
        value = getattr(args, option, None)
        if value:
            out += [f"--{option}", str(value)]
    return out


def _option_values(fc: FamilyChange) -> list[str]:
    values: list[str] = []
    for setting, value in fc.patch.items():
        if setting is Setting.EXECUTION_MODE:
            assert isinstance(value, ExecutionMode)
            values += ["--mode", value.value]
        elif setting is Setting.WORKER_COUNT:
            values += ["--workers", str(value)]
        else:
            values += ["--large-mtu", "on" if value else "off"]
    return values


def restore_commands(found: Recovered, prefix: list[str]) -> list[list[str]]:
    """``set`` command lines (this CLI's syntax) that put the recorded values back; one when both families agree."""
    families = found.restore.families
    store = ["--store", found.restore_store.value]
    options = [_option_values(fc) for fc in families]
    if len(families) == 2 and options[0] == options[1]:
        return [[*prefix, "set", "--family", "both", *options[0], *store]]
    return [
        [*prefix, "set", "--family", fc.family.value, *opts, *store] for fc, opts in zip(families, options, strict=True)
    ]


# What each finding says, for a trial and for a comparison; {where}: which stores hold the values, {what}: the
# history entry.
_TRIAL_NOTES: dict[Finding, str] = {
    Finding.STILL_APPLIED: "a trial started earlier did not finish and its values are still in effect ({where}): "
    "{what}",
    Finding.HELPER_RUNNING: "a trial started earlier is still being finished by its helper (it reverts unless it was "
    "kept); it is checked at the next start: {what}",
    Finding.REVERTED: "a trial started earlier did not finish; its helper reverted it (checked: the values from "
    "before it are in effect): {what}",
    Finding.CHANGED_SINCE: "a trial started earlier did not finish, and the values now differ from both the trial's "
    "and the earlier ones (changed since); check them: {what}",
    Finding.UNCHECKED: "a change started earlier did not finish and could not be checked (an older record, or the "
    "values could not be read); check the values: {what}",
}
_COMPARISON_NOTES: dict[Finding, str] = {
    Finding.STILL_APPLIED: "a comparison started earlier did not finish and the original values are not back: one "
    "of its configurations is still in effect ({where}): {what}",
    Finding.HELPER_RUNNING: "a comparison started earlier is still being finished by its helper (it puts the "
    "original values back unless a configuration was kept); it is checked at the next start: {what}",
    Finding.REVERTED: "a comparison started earlier did not finish; its helper put the original values back "
    "(checked: they are in effect): {what}",
    Finding.CHANGED_SINCE: "a comparison started earlier did not finish, and the values now differ from the original "
    "values and from every configuration it tried (changed since); check them: {what}",
    Finding.UNCHECKED: "a comparison started earlier did not finish and could not be checked (the values could not "
    "be read); check the values: {what}",
}


def print_recovery(recovery: Recovery, prefix: list[str], err: TextIO) -> None:
    """One note per notice and per unfinished trial or comparison (stderr: stdout may be JSON)."""
    for notice in recovery.notices:
        print(f"note: {notice.text}", file=err)
    for found in recovery.found:
        notes = _COMPARISON_NOTES if found.comparison else _TRIAL_NOTES
        where = "active and saved" if found.restore_store is Store.PERSISTENT else "active until reboot"
        text = notes[found.finding].format(where=where, what=found.entry.summary())
        print(f"note: {text}", file=err)
        if found.finding is Finding.STILL_APPLIED:
            back = "the original values" if found.comparison else "the values from before it"
            print(f"note: to put {back} back, run:", file=err)
            for line in restore_commands(found, prefix):
                print(f"  {display(line, PROGRAM)}", file=err)
            print("note: or, in an administrator prompt:", file=err)
            for netsh in commands_for(found.restore, found.restore_store):
                print(f"  {display(netsh)}", file=err)

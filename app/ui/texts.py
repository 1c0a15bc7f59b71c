"""The words the window uses to explain the settings (Microsoft's descriptions, in our own words)."""

from app.domain.model import WORKER_COUNT_MAX, WORKER_COUNT_MIN, ExecutionMode

MODE_TEXT = {
    ExecutionMode.ADAPTIVE: "The first packets of a connection are handled right away, later ones by worker "
    "threads. Balances latency and throughput.",
    ExecutionMode.INLINE: "Packets are handled on the sending and receiving programs' own threads. Favors low "
    "latency over throughput.",
    ExecutionMode.WORKER: "Packets are queued and handled by worker threads. Favors throughput over latency.",
}
WORKERS_TEXT = "How many worker threads handle loopback traffic in adaptive and worker mode."
WORKERS_INLINE_NOTE = "Has no effect in inline mode."
WORKERS_RANGE = f"{WORKER_COUNT_MIN}\u2013{WORKER_COUNT_MAX}"  # shown beside the box


def workers_refused(typed: str, kept: int) -> str:
    """Why a typed worker count was not taken, and what the box shows instead."""
    return f"The worker count must be {WORKER_COUNT_MIN} to {WORKER_COUNT_MAX}, not {typed}: it stays {kept}."


MTU_TEXT = "Use a large MTU on the loopback path. Microsoft recommends keeping this on."
MTU_TEXT_KNOWN_PROBLEM = (
    "Use a large MTU on the loopback path. Microsoft recommends keeping this on in general; on this machine "
    "(Windows 11 22H2 or later with BBR2) it is reported to stall localhost connections, which is why the "
    "warning above suggests turning it off."
)
UNSAVED_MARK = "\u25cf"  # shown next to a value that is active now but not saved (lost at reboot)
CHANGED_MARK = "\u270e"
ABOUT_DEFAULTS = (
    "Microsoft: on general-purpose machines the default values should not be changed; the defaults "
    "may differ between Windows versions."
)
HELP_TEXT = f"""<h3>What do these settings do?</h3>
<p>Since Windows Server 2019 and Windows 10 version 1809, Windows lets you tune how TCP traffic to your own
machine (localhost, 127.0.0.1, ::1) is processed. Each setting exists separately for IPv4 and IPv6.</p>
<p><b>Execution mode</b></p>
<ul><li><b>Inline</b>: {MODE_TEXT[ExecutionMode.INLINE]}</li>
<li><b>Worker</b>: {MODE_TEXT[ExecutionMode.WORKER]}</li>
<li><b>Adaptive</b>: {MODE_TEXT[ExecutionMode.ADAPTIVE]}</li></ul>
<p><b>Worker count</b>: {WORKERS_TEXT} {WORKERS_INLINE_NOTE}</p>
<p><b>Large MTU</b>: {MTU_TEXT}</p>
<p>{ABOUT_DEFAULTS} Change them only when you know the loopback path is what slows an application down.</p>
<p><b>How changes are applied.</b> Apply asks once for administrator rights, puts the new values in effect and
counts down. <i>Keep changes</i> saves them; <i>Revert</i>, Esc, closing the dialog or letting the time run out puts
the previous values back, even if Loopback Tuner itself is closed or crashes.</p>"""

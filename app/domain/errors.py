"""The core's exceptions: every expected failure is one of these, with a message for people."""


class LoopbackTunerError(Exception):
    """Base of the app's expected failures; ``str()`` is the message shown to the user."""


class ValidationError(LoopbackTunerError, ValueError):
    """A value or request that breaks the rules (e.g. a worker count of 17)."""


class NetshOutputError(LoopbackTunerError):
    """netsh's output could not be turned into settings; carries the raw text."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


class UnrecognizedOutputError(NetshOutputError):
    """The output cannot be mapped to settings with certainty."""


class NoLoopbackRowsError(UnrecognizedOutputError):
    """A whole ``show global`` table in a language we know, without any loopback row: a fact about the text only.

    Whether that means "this build predates the settings" is decided from the build number (the reading layer),
    never from the text; a caller that does not know the build treats it as unrecognized output (the base class).
    """

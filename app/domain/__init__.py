"""The pure core: settings, validation, netsh parser and command builder (no Qt, no I/O)."""

"""Per-user files: atomic JSON writes, inter-process locks, history and the original-values snapshot."""

"""Async use cases over a runner: read, verify, trial transactions, history. No Qt."""

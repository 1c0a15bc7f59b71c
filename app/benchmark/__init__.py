"""The loopback benchmark's processes: a server and a client worker, and the parent side that runs one pair."""

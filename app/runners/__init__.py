"""Side effects: the netsh runners (real, simulated), the simulated machine and the backend factory."""

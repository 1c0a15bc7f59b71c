"""The simulated Windows machine: its state and profile (build, language, elevation, UAC, faults), the store
file it lives in, the netsh it answers as (in-process and as a program: ``python -m app.simulator.netsh``), and
the machine facts it reports. A product feature, not a test mock: same syntax, output and errors as Windows.

Imports only the domain and the storage helpers below it (see the import contracts in pyproject.toml)."""

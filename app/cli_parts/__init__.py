"""The command line's parts: its parser, exit codes and prompts, the one change flow, and each command group."""

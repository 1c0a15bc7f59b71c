"""The command line's parts: shared prompts and exit codes, the apply flow, the help-desk commands."""

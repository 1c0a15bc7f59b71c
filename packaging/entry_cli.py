"""Frozen entry point of loopback-tuner-cli(.exe): the command line (never imports Qt); it also answers
--elevated-helper, as the GUI exe does."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())

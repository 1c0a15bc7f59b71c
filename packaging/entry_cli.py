"""Frozen entry point of loopback-tuner-cli(.exe): the command-line interface, which never imports Qt."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())

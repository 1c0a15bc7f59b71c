"""Frozen entry point of loopback-tuner(.exe): the GUI, and the elevated helper via --elevated-helper."""

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())

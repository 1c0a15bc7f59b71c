"""Entry point of the helper process: ``python -I -m app.helper ...`` (or ``loopback-tuner --elevated-helper``)."""

from app.elevation.helper import main

if __name__ == "__main__":
    raise SystemExit(main())

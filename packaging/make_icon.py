"""Render resources/icon.svg with QtSvg to PNGs and a multi-size Windows .ico in the build folder."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from icofile import build_ico

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SVG = REPO / "resources" / "icon.svg"
DEFAULT_OUT = REPO / "build" / "packaging"
ICO_NAME = "loopback-tuner.ico"
# The sizes Windows asks for at 100-200 % scaling (small icons, taskbar, Explorer views, Alt+Tab).
SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)


def render_pngs(svg: Path, sizes: Iterable[int] = SIZES) -> dict[int, bytes]:
    """PNG data of ``svg`` rendered square at each size, on a transparent background.

    Raises:
        ValueError: Qt cannot parse the SVG or cannot encode a PNG.
    """
    # Rendering into a QImage needs no QGuiApplication; the offscreen platform is only a safe default
    # should some Qt code path ask for one.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QImageWriter, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"Qt could not parse {svg}")
    pngs: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        writer = QImageWriter(buffer, QByteArray(b"png"))
        if not writer.write(image):
            raise ValueError(f"Qt could not encode the {size} px image as PNG: {writer.errorString()}")
        buffer.close()
        pngs[size] = bytes(data.data())
    return pngs


def make_icon(svg: Path = DEFAULT_SVG, out_dir: Path = DEFAULT_OUT, sizes: Sequence[int] = SIZES) -> Path:
    """Write ``icon-<size>.png`` for each size and ``loopback-tuner.ico`` into ``out_dir``; return the .ico's path.

    Raises:
        ValueError: the SVG cannot be rendered.
        OSError: the output folder cannot be written.
    """
    pngs = render_pngs(svg, sizes)
    out_dir.mkdir(parents=True, exist_ok=True)
    for size, png in pngs.items():
        (out_dir / f"icon-{size}.png").write_bytes(png)
    ico = out_dir / ICO_NAME
    ico.write_bytes(build_ico(list(pngs.values())))
    return ico


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python packaging/make_icon.py [--svg FILE] [--out-dir DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--svg", type=Path, default=DEFAULT_SVG, help="source SVG (default: %(default)s)")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        ico = make_icon(args.svg, args.out_dir)
    except (ValueError, OSError) as error:
        print(f"make_icon: {error}", file=sys.stderr)
        return 1
    print(f"wrote {ico} ({', '.join(str(s) for s in SIZES)} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

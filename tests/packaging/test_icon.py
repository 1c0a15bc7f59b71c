"""The .ico writer and reader, and the icon rendered from resources/icon.svg: count, sizes, PNG entries."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
SVG = REPO / "resources" / "icon.svg"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXPECTED_SIZES = [16, 20, 24, 32, 40, 48, 64, 128, 256]
LoadModule = Callable[[str], ModuleType]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiny_png(width: int, height: int) -> bytes:
    """A valid, fully transparent RGBA PNG."""
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00" * 4 * width for _ in range(height))
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


def parse_icondir(data: bytes) -> list[tuple[int, int, int, int, int]]:
    """(width byte, height byte, bit count, size, offset) per ICONDIRENTRY, read independently of icofile."""
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind) == (0, 1)
    entries = []
    for index in range(count):
        width, height, colors, zero, planes, bits, size, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * index)
        assert (colors, zero, planes) == (0, 0, 1)
        entries.append((width, height, bits, size, offset))
    return entries


def test_round_trip(load_packaging: LoadModule) -> None:
    icofile = load_packaging("icofile")
    pngs = [tiny_png(size, size) for size in (256, 16, 48)]

    data = icofile.build_ico(pngs)

    entries = parse_icondir(data)
    assert [(w, h) for w, h, *_ in entries] == [(16, 16), (48, 48), (0, 0)]  # sorted; 256 is stored as 0
    assert all(bits == 32 for _, _, bits, _, _ in entries)
    assert entries[0][4] == 6 + 16 * 3  # images start right after the directory
    for _, _, _, size, offset in entries:
        assert data[offset : offset + 8] == PNG_SIGNATURE
        assert offset + size <= len(data)
    images = icofile.read_ico(data)
    assert [(image.width, image.height) for image in images] == [(16, 16), (48, 48), (256, 256)]
    assert sorted(image.data for image in images) == sorted(pngs)


@pytest.mark.parametrize(
    ("pngs", "message"),
    [
        ([], "at least one"),
        ([b"GIF89a" + b"\x00" * 40], "not a PNG"),
        ([tiny_png(16, 16), tiny_png(16, 16)], "duplicate"),
        ([tiny_png(512, 512)], "does not fit"),
    ],
)
def test_build_rejects(load_packaging: LoadModule, pngs: list[bytes], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_packaging("icofile").build_ico(pngs)


def test_read_rejects_broken_files(load_packaging: LoadModule) -> None:
    icofile = load_packaging("icofile")
    good = icofile.build_ico([tiny_png(32, 32)])
    with pytest.raises(ValueError, match="not an icon"):
        icofile.read_ico(b"\x00\x00\x02\x00\x01\x00" + good[6:])  # type 2 is a cursor
    with pytest.raises(ValueError, match="past the end"):
        icofile.read_ico(good[:-10])
    with pytest.raises(ValueError, match="too short"):
        icofile.read_ico(good[:4])


def test_svg_is_drawn_on_a_256_grid() -> None:
    root = ET.parse(SVG).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 256 256"


@pytest.mark.gui
def test_make_icon_writes_every_size(load_packaging: LoadModule, tmp_path: Path) -> None:
    make_icon = load_packaging("make_icon")
    icofile = load_packaging("icofile")

    ico = make_icon.make_icon(SVG, tmp_path)

    data = ico.read_bytes()
    entries = parse_icondir(data)
    assert len(entries) == len(EXPECTED_SIZES)
    assert [w or 256 for w, *_ in entries] == EXPECTED_SIZES
    assert all(data[offset : offset + 8] == PNG_SIGNATURE for *_, offset in entries)
    images = icofile.read_ico(data)  # also checks each PNG's own size against its entry
    assert [(image.width, image.height) for image in images] == [(size, size) for size in EXPECTED_SIZES]
    for size in EXPECTED_SIZES:
        assert (tmp_path / f"icon-{size}.png").read_bytes() == images[EXPECTED_SIZES.index(size)].data


@pytest.mark.gui
def test_small_sizes_are_not_blank(load_packaging: LoadModule) -> None:
    """At 16 px the tile, loop and needle must still paint: opaque centre, transparent corner, varied colours."""
    from PySide6.QtGui import QImage

    pngs = load_packaging("make_icon").render_pngs(SVG, [16, 256])
    for size, png in pngs.items():
        image = QImage.fromData(png)
        assert not image.isNull()
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(size // 2, size // 2).alpha() == 255
        assert image.pixelColor(0, 0).alpha() == 0  # rounded corner
        colours = {image.pixel(x, y) for x in range(size) for y in range(size)}
        assert len(colours) > 8

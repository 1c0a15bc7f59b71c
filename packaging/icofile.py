"""Write and read Windows .ico files whose images are PNG-compressed (ICONDIR/ICONDIRENTRY via struct)."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# ICONDIR: reserved (0), type (1 = icon), image count. Little-endian, no padding.
_ICONDIR = struct.Struct("<HHH")
# ICONDIRENTRY: width, height (0 means 256), colour count, reserved, planes, bits per pixel, data size, data offset.
_ICONDIRENTRY = struct.Struct("<BBBBHHII")
_ICON_TYPE = 1
_MAX_SIZE = 256


@dataclass(frozen=True)
class IcoImage:
    """One image of an .ico file: its declared size and bit depth and its PNG data."""

    width: int
    height: int
    bit_count: int
    data: bytes


def png_dimensions(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk.

    Raises:
        ValueError: the data is not a PNG.
    """
    # Signature (8 bytes), then the IHDR chunk: length (4), type (4), width (4), height (4), big-endian.
    if len(png) < 24 or not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ValueError("not a PNG image (bad signature or missing IHDR chunk)")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def build_ico(pngs: Sequence[bytes]) -> bytes:
    """An .ico holding each PNG as one image, smallest first.

    Raises:
        ValueError: no images, an image that is not a PNG, larger than 256 px, or two images of the same size.
    """
    if not pngs:
        raise ValueError("an .ico needs at least one image")
    images = sorted(((png_dimensions(png), png) for png in pngs), key=lambda item: item[0])
    sizes = [size for size, _ in images]
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"duplicate image sizes: {sizes}")
    for width, height in sizes:
        if not (1 <= width <= _MAX_SIZE and 1 <= height <= _MAX_SIZE):
            raise ValueError(f"image of {width}x{height} px does not fit an .ico (1..{_MAX_SIZE} px)")

    header = _ICONDIR.pack(0, _ICON_TYPE, len(images))
    offset = _ICONDIR.size + _ICONDIRENTRY.size * len(images)
    entries: list[bytes] = []
    for (width, height), png in images:
        # A dimension of 256 is stored as 0; colour count 0 and 32 bpp, as for any true-colour PNG entry.
        entries.append(_ICONDIRENTRY.pack(width % _MAX_SIZE, height % _MAX_SIZE, 0, 0, 1, 32, len(png), offset))
        offset += len(png)
    return header + b"".join(entries) + b"".join(png for _, png in images)


def read_ico(data: bytes) -> list[IcoImage]:
    """The images of an .ico file whose entries are all PNG-compressed.

    Raises:
        ValueError: bad header, an entry pointing outside the file, a non-PNG image, or sizes that disagree.
    """
    if len(data) < _ICONDIR.size:
        raise ValueError("file too short for an ICONDIR header")
    reserved, kind, count = _ICONDIR.unpack_from(data, 0)
    if reserved != 0 or kind != _ICON_TYPE or count == 0:
        raise ValueError(f"not an icon file (reserved={reserved}, type={kind}, count={count})")
    if len(data) < _ICONDIR.size + count * _ICONDIRENTRY.size:
        raise ValueError(f"file too short for {count} ICONDIRENTRY records")
    images: list[IcoImage] = []
    for index in range(count):
        width, height, _colors, _reserved, _planes, bit_count, size, offset = _ICONDIRENTRY.unpack_from(
            data, _ICONDIR.size + index * _ICONDIRENTRY.size
        )
        if offset + size > len(data):
            raise ValueError(f"entry {index} points past the end of the file")
        png = data[offset : offset + size]
        width, height = width or _MAX_SIZE, height or _MAX_SIZE
        if png_dimensions(png) != (width, height):
            raise ValueError(f"entry {index} declares {width}x{height} but its PNG is {png_dimensions(png)}")
        images.append(IcoImage(width=width, height=height, bit_count=bit_count, data=png))
    return images

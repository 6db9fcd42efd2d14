"""Tiny PNG files that decode to huge images ("pixel bombs"), made without holding the pixels in memory."""

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pixel_bomb_png(width: int, height: int) -> bytes:
    """An all-black 8-bit greyscale PNG of width x height, compressed row by row (a few hundred KB)."""
    compressor = zlib.compressobj(9)
    rows = b"\x00" * (width + 1) * 256  # 256 rows: a filter byte + one byte per pixel each
    full, rest = divmod(height, 256)
    parts = [compressor.compress(rows) for _ in range(full)]
    parts.append(compressor.compress(rows[: rest * (width + 1)]))
    idat = b"".join(parts) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")

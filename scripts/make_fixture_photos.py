#!/usr/bin/env python3
"""Draws the small placeholder portraits used by fixtures/handbooks (72x96 RGB PNG).

Each is a flat background with a head-and-shoulders silhouette, so the photos are tiny, clearly
synthetic, and different from one another. Run it again only to change the pictures.
"""
import pathlib
import struct
import zlib

W, H = 72, 96
OUT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "handbooks" / "photos"

PEOPLE = {
    "yamada": ((200, 220, 240), (60, 60, 80)),
    "sato": ((230, 230, 210), (90, 60, 40)),
    "suzuki": ((215, 235, 215), (40, 70, 50)),
    "takahashi": ((240, 215, 215), (80, 40, 40)),
    "tanaka": ((225, 225, 245), (50, 50, 110)),
    "ito": ((245, 235, 200), (110, 80, 20)),
    "watanabe": ((210, 230, 230), (20, 80, 90)),
    "nakamura": ((235, 220, 240), (80, 40, 100)),
    "kobayashi": ((220, 220, 220), (40, 40, 40)),
}


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def portrait(bg, fg) -> bytes:
    rows = []
    for y in range(H):
        row = bytearray([0])
        for x in range(W):
            head = (x - W / 2) ** 2 + (y - 36) ** 2 <= 15 ** 2
            shoulders = y >= 62 and (x - W / 2) ** 2 / 30 ** 2 + (y - 96) ** 2 / 34 ** 2 <= 1
            row += bytes(fg if head or shoulders else bg)
        rows.append(bytes(row))
    ihdr = struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (bg, fg) in PEOPLE.items():
        (OUT / f"{name}.png").write_bytes(portrait(bg, fg))
        print(f"wrote photos/{name}.png")

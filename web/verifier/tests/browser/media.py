"""What the browser test feeds Chromium: a Y4M video (its fake camera) made from the counter
screens the phone drew as PNG, and the SPKI hash of techo-server's certificate (the only one the
browser is told to trust). Standard library only."""
import hashlib
import ssl
import struct
import zlib


def read_png(path):
    """A PNG (8-bit grey, grey+alpha, RGB or RGBA, not interlaced) as rows of grey values."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, width, height, kind = 8, b"", 0, 0, 0
    while pos < len(data):
        length, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if tag == b"IHDR":
            width, height, depth, kind, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0, "8-bit, not interlaced"
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[kind]
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if channels >= 3:
            rows.append(bytes((line[i] * 299 + line[i + 1] * 587 + line[i + 2] * 114) // 1000
                              for i in range(0, stride, channels)))
        else:
            rows.append(bytes(line[i] for i in range(0, stride, channels)))
    return rows


def write_png(path, rows):
    """Rows of grey values as an 8-bit greyscale PNG at `path` (returned)."""
    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
    header = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + bytes(r) for r in rows))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))
    return path


def frame_of(rows, width, height):
    """The grey image centred on a white frame of width x height, scaled to fit."""
    h, w = len(rows), len(rows[0])
    scale = max(1, min((width - 40) // w, (height - 40) // h))
    if w > width - 40 or h > height - 40:
        step = max((w + width - 41) // (width - 40), (h + height - 41) // (height - 40))
        rows = [r[::step] for r in rows[::step]]
        h, w, scale = len(rows), len(rows[0]), 1
    out = bytearray(b"\xff" * (width * height))
    x0, y0 = (width - w * scale) // 2, (height - h * scale) // 2
    for y, row in enumerate(rows):
        line = bytes(v for v in row for _ in range(scale))
        for dy in range(scale):
            start = (y0 + y * scale + dy) * width + x0
            out[start:start + len(line)] = line
    return bytes(out)


def write_y4m(path, pictures, width, height, fps=5, seconds_each=2):
    """A Y4M video showing each picture (rows of grey) for `seconds_each`, in turn."""
    frames = [frame_of(p, width, height) for p in pictures]
    chroma = b"\x80" * ((width // 2) * (height // 2) * 2)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for luma in frames:
            for _ in range(fps * seconds_each):
                f.write(b"FRAME\n" + luma + chroma)


def _tlv(der, pos):
    """(tag, start of content, end) of the DER element at `pos`."""
    tag, length = der[pos], der[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(der[pos:pos + n], "big")
        pos += n
    return tag, pos, pos + length


def spki_sha256(host, port):
    """base64 SHA-256 of the server certificate's SubjectPublicKeyInfo, for Chromium's
    --ignore-certificate-errors-spki-list (trust exactly this one key)."""
    import base64
    der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((host, port)))
    _, cert, _ = _tlv(der, 0)
    _, tbs, _ = _tlv(der, cert)
    pos = tbs
    if der[pos] == 0xA0:  # [0] version
        pos = _tlv(der, pos)[2]
    for _ in range(5):  # serial, signature, issuer, validity, subject
        pos = _tlv(der, pos)[2]
    _, _, end = _tlv(der, pos)
    return base64.b64encode(hashlib.sha256(der[pos:end]).digest()).decode()

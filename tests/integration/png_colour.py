#!/usr/bin/env python3
"""png_colour.py FILE [x0 y0 x1 y1]: prints the share of coloured pixels (max channel spread > 40)
in a non-interlaced 8-bit RGB/RGBA PNG, optionally inside a box given as fractions of the image.
Standard library only (the heatmap overlay is drawn on a grey snapshot, so colour = heat)."""
import struct, sys, zlib

def decode(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, w = 8, b'', None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, 'unsupported PNG'
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows

w, h, bpp, rows = decode(sys.argv[1])
x0, y0, x1, y1 = (float(v) for v in sys.argv[2:6]) if len(sys.argv) >= 6 else (0, 0, 1, 1)
n = hot = 0
for y in range(int(y0 * h), int(y1 * h)):
    r = rows[y]
    for x in range(int(x0 * w), int(x1 * w)):
        p = r[x * bpp:x * bpp + 3]
        n += 1
        hot += max(p) - min(p) > 40
print(f'{hot / max(n, 1):.4f}')

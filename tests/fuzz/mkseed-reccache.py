#!/usr/bin/env python3
# tests/fuzz/mkseed-reccache.py OUT_DIR
#
# Seed corpus for fuzz_reccache: a real cache file (the 10 report fixtures
# and 2 curve records of tests/unit/test_reccache, saved by
# TBX_RECCACHE_SEED=FILE build/rel/tests/test_reccache), rewritten for the
# fuzz build's version ("fuzz") with its checksum fixed, then cut-down
# variants: the first entries only, no entries, and the bare header.
import struct
import subprocess
import sys
import tempfile

M = (1 << 64) - 1


def checksum(b):
    h = 0xCBF29CE484222325
    n = len(b) - len(b) % 8
    for (w,) in struct.iter_unpack("<Q", b[:n]):
        h = ((h ^ w) * 0x100000001B3) & M
        h ^= h >> 29
    for c in b[n:]:
        h = ((h ^ c) * 0x100000001B3) & M
    return h


def var(b, p):
    v = s = 0
    while True:
        c = b[p]
        p += 1
        v |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return v, p


def split(b):
    """header, payloads, texts, table entries (raw), trailer fields"""
    vlen = struct.unpack_from("<I", b, 20)[0]
    head = b[: 24 + vlen]
    pl, tl, bl, nt, ne = struct.unpack_from("<QQQII", b, len(b) - 40)
    p0 = len(head)
    return head, b[p0 : p0 + pl], b[p0 + pl : p0 + pl + tl], b[p0 + pl + tl : p0 + pl + tl + bl], nt, ne


def entries(table, n):
    out, p = [], 0
    for _ in range(n):
        s = p
        for _ in range(10):
            _, p = var(table, p)
        p += 8
        out.append(table[s:p])
    return out


def build(head, payloads, texts, rows, nt):
    table = b"".join(rows)
    body = head + payloads + texts + table + struct.pack("<QQQII", len(payloads), len(texts), len(table), nt, len(rows))
    return body + struct.pack("<Q", checksum(body))


def main():
    out = sys.argv[1]
    with tempfile.NamedTemporaryFile() as f:
        subprocess.run(["build/rel/tests/test_reccache"], env={"TBX_RECCACHE_SEED": f.name}, check=True,
                       stdout=subprocess.DEVNULL)
        b = open(f.name, "rb").read()
    head, payloads, texts, table, nt, ne = split(b)
    head = head[:20] + struct.pack("<I", 4) + b"fuzz"
    rows = entries(table, ne)
    seeds = {
        "real-12": build(head, payloads, texts, rows, nt),
        "first-2": build(head, payloads, texts, rows[:2], nt),
        "empty": build(head, b"", b"", [], 0),
    }
    seeds["header-only"] = head
    for name, data in seeds.items():
        open(f"{out}/{name}", "wb").write(data)


main()

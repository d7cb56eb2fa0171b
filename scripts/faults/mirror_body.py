"""Reads a C2SP tlog-mirror add-entries body (docs/UPSTREAM.md, "Push mode (tlog-mirror)") for
the push fault scripts, one reading for both: mirror_proxy.py logs where a request's packages
end, mirror_check.py tamper changes a byte of its first package."""
import struct
import zlib

WIDTH = 256  # entries in a full package (one entry bundle)


def inflate(body, gzip):
    """`body` as sent, inflated when its Content-Encoding is gzip."""
    return zlib.decompress(bytes(body), 16 + zlib.MAX_WBITS) if gzip else body


def read(body):
    """(origin, upload_start, upload_end, packages) of an uncompressed add-entries body. Each
    package is (start, count, entries, proof): its first entry, how many it holds, and the offsets
    of its first entry's length prefix and of its proof's hash count. Raises (ValueError,
    struct.error, IndexError) when the body ends inside the header or inside a package."""
    (olen,) = struct.unpack(">H", body[:2])
    origin = bytes(body[2:2 + olen]).decode()
    start, upload_end = struct.unpack(">QQ", body[2 + olen:18 + olen])
    off = 18 + olen
    off += 2 + struct.unpack(">H", body[off:off + 2])[0]  # the ticket
    packages = []
    at = start
    while off < len(body) and at < upload_end:
        count = min(upload_end, at - at % WIDTH + WIDTH) - at
        entries = off
        for _ in range(count):
            off += 2 + struct.unpack(">H", body[off:off + 2])[0]
        proof = off
        off += 1 + 32 * body[off]
        if off > len(body):
            raise ValueError("the body ends inside the package from entry %d" % at)
        packages.append((at, count, entries, proof))
        at += count
    return origin, start, upload_end, packages

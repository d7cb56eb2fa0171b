#!/usr/bin/env python3
"""Checks for the push fault scenarios (push-upload.sh, push-refusals.sh).

  mirror_check.py store UPSTREAM_DB ORIGIN
      What the SQLite upstream store holds of ORIGIN (read-only, also while the upstream runs):
      `verified V staged S entries N sha256 H pending P forks F` — N counted from the stored
      entry bundles (u16 length || entry, in bundle order: the bytes of `edge-ledger export
      --format raw`), H their SHA-256, P the pending checkpoints (mirror_checkpoints), F the fork
      evidence records. Exits 1 when the bundles are not 256 wide but the last, or do not
      follow each other.

  mirror_check.py resends PROXY_LOG
      Reads mirror_proxy.py's log: every add-entries request that carries packages must start
      at or after the next entry the mirror announced last (mirror-info of a 202/409, or the end
      of a committed upload), and after a cut or a lost answer the gateway must ask again (an
      add-entries request without packages) before it sends packages; requests count from when
      their first byte came (those of the window already sent when a cut happened pass). Prints
      `R requests (A add-entries with packages, C cut, D answers dropped), resent 0 entries`;
      exits 1 (naming the request) when a request re-sends what the mirror said it holds, or sends
      without knowing where the mirror stands.

  mirror_check.py tamper BODY ENCODING WHAT OUT
      Writes to OUT the add-entries body BODY (ENCODING gzip or identity; OUT uncompressed) with
      one byte of its first package changed: WHAT `entry` (the last byte of its first entry) or
      `proof` (the last byte of its subtree consistency proof). Prints what it changed; exits 2
      when the first package has no proof hash to change.
"""
import hashlib
import json
import sqlite3
import sys

import mirror_body


def store(path, origin):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    row = db.execute("SELECT id, verified_size, staged_size FROM gateways WHERE origin = ?", (origin,)).fetchone()
    if row is None:
        print("verified 0 staged 0 entries 0 sha256 %s pending 0 forks 0" % hashlib.sha256().hexdigest())
        return 0
    gid, verified, staged = row
    digest = hashlib.sha256()
    entries = 0
    problem = None
    rows = db.execute("SELECT idx, width, data FROM bundles WHERE gateway = ? ORDER BY idx", (gid,)).fetchall()
    for k, (idx, width, data) in enumerate(rows):
        if idx != k:
            problem = "bundle %d follows bundle %d" % (idx, k - 1)
        if width != 256 and k != len(rows) - 1:
            problem = "bundle %d is %d wide, not the last" % (idx, width)
        n, off = 0, 0
        while off < len(data):
            length = int.from_bytes(data[off:off + 2], "big")
            off += 2 + length
            n += 1
        if n != width:
            problem = "bundle %d holds %d entries, width %d" % (idx, n, width)
        entries += n
        digest.update(data)
    pending = db.execute("SELECT count(*) FROM mirror_checkpoints WHERE origin = ?", (origin,)).fetchone()[0]
    forks = db.execute("SELECT count(*) FROM fork_evidence WHERE origin = ?", (origin,)).fetchone()[0]
    print("verified %d staged %d entries %d sha256 %s pending %d forks %d"
          % (verified, staged, entries, digest.hexdigest(), pending, forks))
    if problem:
        print("mirror_check: " + problem, file=sys.stderr)
        return 1
    return 0


WINDOW = 4  # the requests a gateway keeps in flight (MirrorUploadWindow.defaultWindow)


def resends(path):
    """Checks that the gateway never sent entries the mirror had said it holds, never sent entries
    after a cut (or a lost answer) without asking first, and never had two requests for the same
    entries in flight (requests cancelled by a cut may linger).

    Requests count from when their first byte reached the proxy (`ts`), answers and cuts from when
    the proxy answered or closed (`t1`): a gateway keeps several requests of one upload in flight,
    each starting where the one before ends, and a request it sent before a cut reached it was
    made without knowing of the cut. So may be a request the window made while the cut was
    travelling (an earlier request's answer came first): one that continues the window's chain
    (starts where a request sent before it ends), fewer than a window of them."""
    records = [json.loads(line) for line in open(path)]
    sent_at = lambda r: r.get("ts") or r["t0"]
    events = sorted([(sent_at(r), 0, r) for r in records] + [(r["t1"], 1, r) for r in records],
                    key=lambda e: (e[0], e[1]))
    held = None  # the largest next entry the mirror announced (None: unknown, the gateway must ask)
    reset_at = -1.0  # the last cut or lost answer: answers to requests sent before it do not count
    unasked = 0  # requests continuing the window's chain since the last reset, without asking
    ends = set()  # where the requests with packages sent so far end
    in_flight = {}
    requests = len(records)
    packages = cuts = dropped = 0
    bad = []
    for _, kind, r in events:
        if r["endpoint"] != "add-entries":
            if kind == 1 and r["cut"] is not None:
                cuts += 1
            continue
        start, end = r.get("start"), r.get("end")
        carries = start is not None and start < end
        if kind == 0:
            if carries:
                packages += 1
                if held is None:
                    if start in ends and unasked < WINDOW - 1:
                        unasked += 1
                    else:
                        bad.append("request %d sends entries %d..<%d without asking where the mirror stands" % (
                            r["n"], start, end))
                elif start < held:
                    bad.append("request %d starts at %d, the mirror had said it holds up to %d" % (
                        r["n"], start, held))
                for n, (s, e, t) in in_flight.items():
                    if start < e and s < end and t >= reset_at:
                        bad.append("request %d sends entries %d..<%d while request %d with %d..<%d is in flight" % (
                            r["n"], start, end, n, s, e))
                in_flight[r["n"]] = (start, end, sent_at(r))
                ends.add(end)
            continue
        in_flight.pop(r["n"], None)
        if r["cut"] is not None or r["dropped"]:
            cuts += r["cut"] is not None
            dropped += r["dropped"]
            held, reset_at = None, r["t1"]
        elif sent_at(r) < reset_at:
            continue
        elif r["status"] == 200:
            held, unasked = max(held or 0, end), 0
        elif "next_entry" in r:
            held, unasked = max(held or 0, r["next_entry"]), 0
        else:
            held, reset_at = None, r["t1"]
    summary = "%d requests (%d add-entries with packages, %d cut, %d answers dropped)" % (
        requests, packages, cuts, dropped)
    if bad:
        print(summary + ", " + "; ".join(bad[:5]))
        return 1
    print(summary + ", resent 0 entries")
    return 0


def tamper(path, encoding, what, out):
    body = bytearray(mirror_body.inflate(open(path, "rb").read(), encoding == "gzip"))
    start, count, entries, proof = mirror_body.read(body)[3][0]
    hashes = body[proof]
    if what == "entry":
        at = entries + 1 + int.from_bytes(body[entries:entries + 2], "big")  # its last byte
        detail = "entry %d of the package for %d..<%d" % (start, start, start + count)
    else:
        if hashes == 0:
            print("the first package has no proof hash")
            return 2
        at = proof + hashes * 32
        detail = "proof hash %d of %d of the package for %d..<%d" % (hashes, hashes, start, start + count)
    body[at] ^= 0x01
    open(out, "wb").write(bytes(body))
    print("flipped a bit of " + detail)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "tamper":
        sys.exit(tamper(*sys.argv[2:6]))
    if sys.argv[1] == "store":
        sys.exit(store(sys.argv[2], sys.argv[3]))
    if sys.argv[1] == "resends":
        sys.exit(resends(sys.argv[2]))
    sys.exit("usage: mirror_check.py store DB ORIGIN | resends LOG")

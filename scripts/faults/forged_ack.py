#!/usr/bin/env python3
"""Acknowledgement forgery against a live agent (scripts/faults/forged-ack.sh).

Usage: forged_ack.py HOST PORT UPSTREAM_TOKEN READ_TOKEN SIZE

Plays an attacker holding the upstream's pull token, then the honest upstream, against the
documented protocol (docs/FORMAT.md, "Acknowledgements"). One line per check (PASS/FAIL), then
a summary line. Exit status 1 when a check failed.
"""
import base64, hashlib, http.client, json, struct, sys

host, port, upstream, reader, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
failed = 0


def request(method, path, token, body=None):
    c = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def check(name, ok, detail=""):
    global failed
    print(("PASS " if ok else "FAIL ") + name + ((": " + detail) if detail and not ok else ""))
    if not ok:
        failed += 1


def bundles(token):
    """Every entry below SIZE, fetched as `token`."""
    entries = []
    for n in range((size + 255) // 256):
        width = min(256, size - n * 256)
        path = "/tile/entries/%03d" % n if width == 256 else "/tile/entries/%03d.p/%d" % (n, width)
        status, data = request("GET", path, token)
        assert status == 200, (path, status)
        i = 0
        while i < len(data):
            length = struct.unpack(">H", data[i:i + 2])[0]
            entries.append(data[i + 2:i + 2 + length])
            i += 2 + length
    return entries


def leaf(e):
    return hashlib.sha256(b"\x00" + e).digest()


def root(hashes):
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + root(hashes[:k]) + root(hashes[k:])).digest()


def proof(challenge, entries, r):
    nonce = base64.b64decode(challenge["challenge"])
    m = b"edge-ledger ack-proof v1\n" + nonce + struct.pack(">Q", size) + r
    for i in challenge["indexes"]:
        m += struct.pack(">QI", i, len(entries[i])) + entries[i]
    return base64.b64encode(hashlib.sha256(m).digest()).decode()


# 1. The attacker reads everything with another token and knows the public root.
entries = bundles(reader)
r = root([leaf(e) for e in entries])
b64root = base64.b64encode(r).decode()
status, data = request("POST", "/ack", upstream, {"size": size, "root": b64root})
check("old {size, root} form refused (428)", status == 428, "%d %s" % (status, data[:200]))
status, data = request("POST", "/ack/challenge", upstream, {"size": size})
fetched = json.loads(data).get("fetched_size") if status == 409 else None
check("challenge before fetching with the upstream's own token refused (409, fetched_size 0)",
      status == 409 and fetched == 0, "%d %s" % (status, data[:200]))

# 2. With the upstream's token it fetches, but answers without holding the entries.
bundles(upstream)
status, data = request("POST", "/ack/challenge", upstream, {"size": size})
check("challenge after fetching (200)", status == 200, "%d %s" % (status, data[:200]))
challenge = json.loads(data)
wrong = dict(challenge, indexes=challenge["indexes"][:-1])
status, data = request("POST", "/ack", upstream,
                       {"size": size, "root": b64root, "challenge": challenge["challenge"],
                        "proof": proof(wrong, entries, r)})
check("answer without one challenged entry refused (409)", status == 409, "%d %s" % (status, data[:200]))
status, data = request("POST", "/ack", upstream,
                       {"size": size, "root": b64root, "challenge": challenge["challenge"],
                        "proof": proof(challenge, entries, r)})
check("correct answer to a used challenge refused (409)", status == 409, "%d %s" % (status, data[:200]))

status, data = request("GET", "/metrics", reader)
acked_before = [l for l in data.decode().splitlines() if l.startswith('edge_ledger_upstream_acked_size{upstream="dc-1"}')]
check("nothing recorded by the refused attempts (acked size 0)",
      status == 200 and all(float(l.split()[-1]) == 0 for l in acked_before), "%s" % acked_before)

# 3. The honest upstream: a fresh challenge answered from the entries it holds.
status, data = request("POST", "/ack/challenge", upstream, {"size": size})
challenge = json.loads(data)
body = {"size": size, "root": b64root, "challenge": challenge["challenge"], "proof": proof(challenge, entries, r)}
status, data = request("POST", "/ack", upstream, body)
acked = json.loads(data).get("acked_size") if status == 200 else None
check("proven acknowledgement accepted (200)", status == 200 and acked == size, "%d %s" % (status, data[:200]))
status, data = request("POST", "/ack", upstream, body)
check("its replay refused (409)", status == 409, "%d %s" % (status, data[:200]))
print("old form 428, unfetched 409, wrong proof 409, used challenge 409, proven ack 200 (acked %s), replay 409; %d failed"
      % (acked, failed))
sys.exit(1 if failed else 0)

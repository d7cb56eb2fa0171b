#!/usr/bin/env python3
"""Hostile HTTP clients against the agent's API, for scripts/faults/http-abuse.sh.

Usage: http_abuse.py HOST PORT READ_TOKEN UPSTREAM_TOKEN TREE_SIZE REQUEST_TIMEOUT_S CONNECTIONS

READ_TOKEN is a valid [[http.tokens]] token that is no upstream; UPSTREAM_TOKEN one whose name
is an [[upstreams]] entry. Prints one line per check (`ok` / `FAIL`) and a summary line
`checks N, failed F, leaks L`; exits 1 when any check failed. A "leak" is a response without
valid credentials whose body contains entry data (a topic of the log).
"""

import asyncio
import socket
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
READ, UPSTREAM = sys.argv[3], sys.argv[4]
TREE = int(sys.argv[5])
TIMEOUT = float(sys.argv[6])
CONNECTIONS = int(sys.argv[7])
SECRET_MARK = b"factory/"  # every entry's topic starts with it
results: list[tuple[bool, str]] = []
leaks = 0


def raw(request: bytes, read_timeout: float = 10.0) -> tuple[int, bytes, bytes]:
    """Sends bytes, returns (status, headers, body); status 0 when the connection closed first."""
    with socket.create_connection((HOST, PORT), timeout=read_timeout) as s:
        s.sendall(request)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep:
                    length = next((int(l.split(b":")[1]) for l in head.split(b"\r\n")
                                   if l.lower().startswith(b"content-length:")), None)
                    if length is not None and len(body) >= length:
                        break
        except (ConnectionResetError, socket.timeout):
            pass
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ")[1])
    except (IndexError, ValueError):
        status = 0
    return status, head, body


def get(path: str, token: str | None = None, auth: str | None = None, method: str = "GET") -> tuple[int, bytes, bytes]:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "Connection: close"]
    if auth is not None:
        lines.append(f"Authorization: {auth}")
    elif token is not None:
        lines.append(f"Authorization: Bearer {token}")
    return raw(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def seconds_until_closed(request: bytes) -> float:
    """Sends a request that stalls, and measures how long until the server closes the connection."""
    started = time.monotonic()
    with socket.create_connection((HOST, PORT), timeout=TIMEOUT + 30) as s:
        s.sendall(request)
        try:
            while s.recv(4096):
                pass
        except (ConnectionResetError, socket.timeout):
            pass
    return time.monotonic() - started


def check(name: str, ok: bool, detail: str = "") -> None:
    results.append((ok, name))
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def expect(name: str, path: str, codes: set[int], token: str | None = None, auth: str | None = None,
           method: str = "GET", header: bytes | None = None) -> bytes:
    global leaks
    status, head, body = get(path, token, auth, method)
    if token != READ and token != UPSTREAM and SECRET_MARK in body:
        leaks += 1
        check(f"{name}: no entry data without credentials", False, f"{status} body has entry data")
    ok = status in codes and (header is None or header.lower() in head.lower())
    check(name, ok, f"{method} {path[:70]} -> {status}" + ("" if ok else f" (expected {sorted(codes)}) {body[:120]!r}"))
    return body


def main() -> int:
    protected = ["/checkpoint", "/tile/0/000", "/tile/0/000.p/1", "/tile/entries/000", "/tile/entries/000.p/1",
                 "/proof/0", "/metrics"]
    # 1. No credentials, wrong credentials, malformed headers: 401, never data.
    for p in protected:
        expect(f"anonymous {p}", p, {401}, header=b'WWW-Authenticate: Bearer realm="edge-ledger"')
        expect(f"wrong token {p}", p, {401}, token="not-the-token", header=b"invalid_token")
    for auth in ["Bearer", "Bearer  ", "Basic dXNlcjpwYXNz", "Bearer " + READ + "x", "Bearer " + READ[:-1],
                 "bearer " + "A" * 10000, "Token " + READ]:
        expect(f"malformed Authorization {auth[:20]!r}", "/tile/entries/000", {400, 401, 431})
    expect("anonymous HEAD /tile/entries/000", "/tile/entries/000", {401}, method="HEAD")
    expect("anonymous POST /ack", "/ack", {401}, method="POST")
    expect("read token POST /ack (not an upstream)", "/ack", {403, 400, 411}, token=READ, method="POST")
    for p in ["/healthz", "/readyz"]:
        expect(f"anonymous {p} allowed", p, {200})
    # 2. Path traversal and non-canonical paths (authenticated): 400/404, never a file.
    for p in ["/tile/../etc/passwd", "/tile/0/../../../etc/passwd", "/tile/%2e%2e/%2e%2e/etc/passwd",
              "/tile/entries/..%2f..%2fetc%2fpasswd", "/../../etc/passwd", "/tile/0/000/../../../../etc/passwd",
              "/tile//0/000", "/tile/0/x000/001", "/tile/0/1", "/tile/00/000", "/tile/8/000",
              "/tile/0/000.p/0", "/tile/0/000.p/256", "/tile/0/000.p/-1", "/tile/-1/000", "/tile/0/-01",
              "/tile/0/000%00", "/proof/0%00", "/checkpoint/../etc/passwd", "/%2e%2e/etc/passwd"]:
        body = expect(f"traversal/non-canonical {p}", p, {400, 404}, token=READ)
        if b"root:" in body:
            check(f"{p}: no file content", False, "served /etc/passwd")
    # 3. Beyond the tree, negative and overflowing numbers.
    beyond_tile = TREE // 256 + 10
    n = f"{beyond_tile:03d}" if beyond_tile < 1000 else f"x{beyond_tile // 1000:03d}/{beyond_tile % 1000:03d}"
    for p, codes in [
        (f"/tile/0/{n}", {404}), (f"/tile/entries/{n}", {404}), (f"/tile/1/{n}", {404}),
        ("/tile/0/x999/x999/x999/x999/x999/x999/999", {400, 404}),
        ("/tile/0/x018/x446/x744/x073/x709/x551/616", {400}),  # 2^64
        ("/tile/0/x999/x999/x999/x999/x999/x999/x999/999", {400}),
        (f"/proof/{TREE + 5}", {404}), ("/proof/-1", {400}), ("/proof/+1", {400}), ("/proof/01", {400}),
        ("/proof/1e3", {400}), ("/proof/18446744073709551615", {404}), ("/proof/18446744073709551616", {400}),
        ("/proof/" + "9" * 400, {400, 414}), ("/proof/0?size=-1", {400}), ("/proof/0?size=0", {400, 404}),
        ("/proof/0?size=18446744073709551616", {400}), (f"/proof/0?size={TREE + 100}", {404}),
        ("/proof/0?size=1&size=2", {400, 404}), ("/proof/0x10", {400}), ("/proof/", {400, 404}),
    ]:
        expect(f"numbers {p[:50]}", p, codes, token=READ)
    # 4. Bodies: huge (declared and sent), chunked huge, slow.
    big = 17 * 1024 * 1024
    status, _, _ = raw((f"POST /ack HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {UPSTREAM}\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {big}\r\n\r\n").encode() + b"{" * 70000)
    check("huge declared body -> 413", status == 413, f"-> {status}")
    chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
    status, _, _ = raw((f"POST /ack HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {UPSTREAM}\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n").encode() + chunk * 4 + b"0\r\n\r\n")
    check("huge chunked body -> 413", status == 413, f"-> {status}")
    status, _, _ = raw((f"POST /ack HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {UPSTREAM}\r\n"
                        "Content-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"size\":x").encode())
    check("malformed ack body -> 400", status == 400, f"-> {status}")
    # A stalled body (2 of 100 bytes) and stalled headers: cut off within request_timeout + slack.
    stalled_body = (f"POST /ack HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {UPSTREAM}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"").encode()
    for name, request in [("slow body", stalled_body), ("slow headers", b"GET /checkpoint HTTP/1.1\r\nHost: x\r\n")]:
        took = seconds_until_closed(request)
        check(f"{name} cut off (request_timeout {TIMEOUT:g} s)", took <= TIMEOUT + 10, f"closed after {took:.1f} s")
    # Huge header block.
    status, _, _ = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * (1 << 20) + b"\r\n\r\n")
    check("1 MiB header -> refused", status in (0, 400, 413, 431), f"-> {status}")
    # 5. Many connections at once: idle ones held open while real requests still succeed.
    async def idle_many(n: int) -> tuple[list, int]:
        conns, refused = [], 0
        for _ in range(n):
            try:
                conns.append(await asyncio.open_connection(HOST, PORT))
            except OSError:
                refused += 1
        return conns, refused

    async def burst(n: int, token: str) -> list[int]:
        async def one() -> int:
            try:
                r, w = await asyncio.open_connection(HOST, PORT)
                w.write(f"GET /checkpoint HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode())
                await w.drain()
                line = await asyncio.wait_for(r.readline(), 60)
                w.close()
                return int(line.split()[1]) if line else 0
            except (OSError, asyncio.TimeoutError, IndexError, ValueError):
                return 0
        return await asyncio.gather(*(one() for _ in range(n)))

    async def many() -> None:
        conns, refused = await idle_many(CONNECTIONS)
        codes = await burst(200, READ)
        ok = sum(1 for c in codes if c == 200)
        check(f"{CONNECTIONS} idle connections held ({refused} refused), 200 requests meanwhile",
              ok == len(codes), f"{ok}/{len(codes)} answered 200")
        for _, w in conns:
            w.close()
        codes = await burst(CONNECTIONS, READ)
        ok = sum(1 for c in codes if c == 200)
        check(f"{CONNECTIONS} concurrent GET /checkpoint", ok >= 0.99 * len(codes), f"{ok}/{len(codes)} answered 200")
        codes = await burst(CONNECTIONS, "wrong")
        check(f"{CONNECTIONS} concurrent wrong-token requests -> 401", all(c == 401 for c in codes),
              f"{sum(1 for c in codes if c == 401)}/{len(codes)} 401")
    asyncio.run(many())
    # 6. Still healthy.
    expect("still answering /checkpoint", "/checkpoint", {200}, token=READ)
    failed = sum(1 for ok, _ in results if not ok)
    print(f"checks {len(results)}, failed {failed}, leaks {leaks}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

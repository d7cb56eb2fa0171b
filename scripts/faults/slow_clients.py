#!/usr/bin/env python3
"""Slow and greedy clients against one HTTP listener, for scripts/faults/slow-clients.sh.

Usage: slow_clients.py NAME PORT CONNECTIONS PER_CLIENT HEADER_TIMEOUT_S BODY_TIMEOUT_S

From 127.0.0.1 (the attacker): CONNECTIONS connections trickling request-head bytes (one every
300 ms), CONNECTIONS idle ones, CONNECTIONS trickling a request body; meanwhile /healthz from
127.0.0.2 (another client) must answer 200 within one second, every time. Then: the attacker
holds at most PER_CLIENT connections (the rest are closed at once), a trickling header sender
is cut at the header deadline and a trickling body at the body deadline, even though bytes
keep arriving. Prints one line per check (`ok` / `FAIL`) and `checks N, failed F, health max
M ms`; exits 1 when any check failed.
"""

import socket
import sys
import threading
import time

NAME, PORT = sys.argv[1], int(sys.argv[2])
CONNECTIONS, PER_CLIENT = int(sys.argv[3]), int(sys.argv[4])
HEADER_TIMEOUT, BODY_TIMEOUT = float(sys.argv[5]), float(sys.argv[6])
ATTACKER, OTHER = "127.0.0.1", "127.0.0.2"
results: list[tuple[bool, str]] = []
health_times: list[float] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    results.append((ok, name))
    print(f"{'ok  ' if ok else 'FAIL'} {NAME}: {name}{' (' + detail + ')' if detail else ''}", flush=True)


def connect(source: str) -> socket.socket | None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", PORT))
    except OSError:
        s.close()
        return None
    return s


def closed(s: socket.socket, within: float) -> bool:
    """Whether the server closes `s` within `within` seconds (reads and drops what it sends)."""
    s.settimeout(within)
    end = time.monotonic() + within
    try:
        while time.monotonic() < end:
            if not s.recv(4096):
                return True
    except (socket.timeout, TimeoutError):
        return False
    except OSError:
        return True
    return False


def health() -> tuple[int, float]:
    start = time.monotonic()
    s = connect(OTHER)
    if s is None:
        return 0, time.monotonic() - start
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        line = s.makefile("rb").readline()
        status = int(line.split()[1]) if line else 0
    except (OSError, IndexError, ValueError):
        status = 0
    s.close()
    took = time.monotonic() - start
    health_times.append(took)
    return status, took


def open_many(n: int, opening: bytes) -> list[socket.socket]:
    conns = []
    for _ in range(n):
        s = connect(ATTACKER)
        if s is None:
            continue
        if opening:
            try:
                s.sendall(opening)
            except OSError:
                pass
        conns.append(s)
    return conns


def trickle(conns: list[socket.socket], byte: bytes, stop: threading.Event) -> None:
    while not stop.is_set():
        for s in conns:
            try:
                s.send(byte, socket.MSG_DONTWAIT)
            except OSError:
                pass
        stop.wait(0.3)


def main() -> int:
    stop = threading.Event()
    phases = [
        ("slow headers", b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X"),
        ("idle", b"", b""),
        ("slow bodies", b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", b"b"),
    ]
    held = []
    for name, opening, byte in phases:
        conns = open_many(CONNECTIONS, opening)
        held.append(conns)
        if byte:
            threading.Thread(target=trickle, args=(conns, byte, stop), daemon=True).start()
        time.sleep(0.5)
        worst = 0.0
        codes = set()
        for _ in range(5):
            status, took = health()
            codes.add(status)
            worst = max(worst, took)
            time.sleep(0.1)
        check(f"/healthz from {OTHER} while {ATTACKER} opens {CONNECTIONS} {name} connections",
              codes == {200} and worst < 1.0, f"status {sorted(codes)}, worst {worst * 1000:.0f} ms")
    # The attacker holds at most PER_CLIENT connections: the rest were closed at once.
    alive = sum(1 for conns in held for s in conns if not closed(s, 0.01))
    check(f"{ATTACKER} holds at most {PER_CLIENT} connections", alive <= PER_CLIENT,
          f"{alive} of {sum(len(c) for c in held)} still open")
    stop.set()
    for conns in held:
        for s in conns:
            s.close()
    time.sleep(0.5)
    # Deadlines: total, not reset by the bytes that keep arriving.
    for name, opening, byte, limit in [
        ("slow header sender", b"GET /healthz HTTP/1.1\r\n", b"X", HEADER_TIMEOUT),
        ("slow body sender", b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", b"b",
         BODY_TIMEOUT),
    ]:
        s = connect(ATTACKER)
        s.sendall(opening)
        stop2 = threading.Event()
        threading.Thread(target=trickle, args=([s], byte, stop2), daemon=True).start()
        start = time.monotonic()
        cut = closed(s, limit + 10)
        took = time.monotonic() - start
        stop2.set()
        s.close()
        check(f"{name} cut at the {limit:g} s deadline", cut and took < limit + 5, f"after {took:.1f} s")
    status, took = health()
    check("still answering", status == 200, f"{status} in {took * 1000:.0f} ms")
    failed = sum(1 for ok, _ in results if not ok)
    print(f"checks {len(results)}, failed {failed}, health max {max(health_times) * 1000:.0f} ms")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

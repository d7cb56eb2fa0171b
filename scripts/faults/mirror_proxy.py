#!/usr/bin/env python3
"""An HTTP/1.1 proxy between a pushing gateway and the upstream's mirror, for the push fault
scenarios (push-upload.sh, push-refusals.sh). Each request is read whole from the gateway, then
forwarded to the upstream — whole, or cut after N bytes of its body — and the upstream's answer
is relayed back (or dropped). One JSON line per request goes to --log:

  {"n": 7, "endpoint": "add-entries", "origin": "...", "start": 0, "end": 8192,
   "upload_end": 9000, "bytes": 51234, "cut": 5000, "status": 202, "tree_size": 9000,
   "next_entry": 4096, "dropped": false, "ts": 12.301, "t0": 12.305, "t1": 12.306}

(`start` the add-entries header's upload_start, `end` where the request's packages end (its
start when it carries none), `upload_end` the header's end, all read from the body inflated when
it is gzip; `cut` the body bytes forwarded before the connection was closed, null when the whole
body went; `status` null when no answer came back; `ts`, `t0`, `t1` when the request's first
byte came, when it was read whole, and when it was answered or cut, in seconds of a monotonic
clock: a gateway keeps several requests in flight, and learns of a cut only after `t1`.)

Options:
  --listen PORT --target PORT   loopback ports
  --log FILE                    the JSON lines
  --cut-entries N,N,...         the first add-entries requests that carry packages are cut after
                                N body bytes, one N each, in order (a request of N bytes or
                                fewer passes whole and leaves its N to the next one)
  --cut-checkpoint N,...        the same for add-checkpoint
  --drop-commit K               the first K answers 200 to add-entries are not relayed: the
                                gateway's connection is closed instead (the cosignature is lost)
  --rate BYTES                  add-entries bodies go to the upstream at about BYTES per second
  --capture DIR                 each request body is saved as DIR/<n>-<endpoint>.body, with
                                DIR/<n>-<endpoint>.json (its headers that matter)
  --hold-entries                add-entries requests that carry packages are captured and cut
                                before a byte reaches the upstream (requests that only ask where
                                the mirror stands pass)
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

import mirror_body

lock = threading.Lock()
counter = {"n": 0, "entries": 0, "checkpoint": 0, "commits": 0}


def read_head(sock, buf):
    """Reads until the end of an HTTP head; returns (head bytes, rest, when its first byte came)
    or (None, buf, None) at EOF."""
    first = time.monotonic() if buf else None
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, buf, None
        first = first or time.monotonic()
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head + b"\r\n\r\n", rest, first


def headers_of(head):
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip()
    return lines[0], fields


def read_exact(sock, buf, n):
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("EOF in a body")
        buf += chunk
    return buf[:n], buf[n:]


def read_body(sock, fields, buf):
    """The body (Content-Length or chunked) and what follows it."""
    if fields.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("EOF in a chunked body")
                buf += chunk
            line, buf = buf.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            data, buf = read_exact(sock, buf, size + 2)
            if size == 0:
                return body, buf
            body += data[:size]
    length = int(fields.get("content-length", "0"))
    return read_exact(sock, buf, length)


def reframe(head, body_length):
    """The head with Content-Length = body_length (and no Transfer-Encoding)."""
    lines = head.decode("latin-1").split("\r\n")
    keep = [lines[0]] + [
        line for line in lines[1:]
        if line and not line.lower().startswith(("content-length:", "transfer-encoding:"))
    ]
    keep.append("Content-Length: %d" % body_length)
    return ("\r\n".join(keep) + "\r\n\r\n").encode("latin-1")


def upload_header(body, fields):
    """(origin, start, end, upload_end) of an add-entries body: `end` where its packages end (its
    start when it carries none, as a question does), `upload_end` the checkpoint's size from its
    header; None when it cannot be read."""
    try:
        gzip = fields.get("content-encoding", "").lower() == "gzip"
        origin, start, upload_end, packages = mirror_body.read(mirror_body.inflate(body, gzip))
        end = packages[-1][0] + packages[-1][1] if packages else start
        return origin, start, end, upload_end
    except Exception:
        return None


def handle(client, args):
    upstream = None
    buf = b""
    try:
        upstream = socket.create_connection(("127.0.0.1", args.target))
        ubuf = b""
        while True:
            head, buf, ts = read_head(client, buf)
            if head is None:
                return
            request_line, fields = headers_of(head)
            body, buf = read_body(client, fields, buf)
            path = request_line.split(" ")[1] if " " in request_line else ""
            endpoint = path.rsplit("/", 1)[-1]
            record = {"endpoint": endpoint, "bytes": len(body), "cut": None, "status": None, "dropped": False}
            cut = None
            hold = False
            with lock:
                counter["n"] += 1
                record["n"] = counter["n"]
                record["ts"], record["t0"] = ts, time.monotonic()
                if endpoint == "add-entries":
                    parsed = upload_header(body, fields)
                    if parsed:
                        record["origin"], record["start"], record["end"], record["upload_end"] = parsed
                    carries = parsed is None or parsed[1] < parsed[2]
                    if carries and args.hold_entries:
                        hold = True
                    elif (carries and counter["entries"] < len(args.cut_entries)
                          and args.cut_entries[counter["entries"]] < len(body)):
                        cut = args.cut_entries[counter["entries"]]
                        counter["entries"] += 1
                elif endpoint == "add-checkpoint" and counter["checkpoint"] < len(args.cut_checkpoint):
                    cut = args.cut_checkpoint[counter["checkpoint"]]
                    counter["checkpoint"] += 1
            if args.capture:
                base = os.path.join(args.capture, "%04d-%s" % (record["n"], endpoint))
                with open(base + ".body", "wb") as f:
                    f.write(body)
                with open(base + ".json", "w") as f:
                    json.dump({"path": path, "content-encoding": fields.get("content-encoding"),
                               "content-type": fields.get("content-type")}, f)
            if hold:
                record["cut"] = 0
                log(args, record)
                return
            upstream.sendall(reframe(head, len(body)))
            send = body if cut is None else body[:cut]
            if args.rate and endpoint == "add-entries":
                step = max(1024, args.rate // 20)
                for i in range(0, len(send), step):
                    upstream.sendall(send[i:i + step])
                    time.sleep(len(send[i:i + step]) / args.rate)
            else:
                upstream.sendall(send)
            if cut is not None:
                record["cut"] = cut
                log(args, record)
                return  # both connections close: the upstream sees a body cut after `cut` bytes
            rhead, ubuf, _ = read_head(upstream, ubuf)
            if rhead is None:
                log(args, record)
                return
            status_line, rfields = headers_of(rhead)
            rbody, ubuf = read_body(upstream, rfields, ubuf)
            record["status"] = int(status_line.split(" ")[1])
            if record["status"] in (202, 409) and "mirror-info" in rfields.get("content-type", ""):
                parts = rbody.decode().split("\n")
                record["tree_size"], record["next_entry"] = int(parts[0]), int(parts[1])
            if endpoint == "add-entries" and record["status"] == 200:
                with lock:
                    drop = counter["commits"] < args.drop_commit
                    counter["commits"] += 1
                if drop:
                    record["dropped"] = True
                    log(args, record)
                    return
            log(args, record)
            client.sendall(reframe(rhead, len(rbody)) + rbody)
    except (ConnectionError, OSError, ValueError) as error:
        print("mirror_proxy: %s" % error, file=sys.stderr)
    finally:
        client.close()
        if upstream:
            upstream.close()


def log(args, record):
    with lock:
        record["t1"] = time.monotonic()
        with open(args.log, "a") as f:
            f.write(json.dumps(record) + "\n")


def numbers(text):
    return [int(x) for x in text.split(",") if x]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--cut-entries", type=numbers, default=[])
    parser.add_argument("--cut-checkpoint", type=numbers, default=[])
    parser.add_argument("--drop-commit", type=int, default=0)
    parser.add_argument("--rate", type=int, default=0)
    parser.add_argument("--capture")
    parser.add_argument("--hold-entries", action="store_true")
    args = parser.parse_args()
    if args.capture:
        os.makedirs(args.capture, exist_ok=True)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", args.listen))
    server.listen(64)
    while True:
        client, _ = server.accept()
        threading.Thread(target=handle, args=(client, args), daemon=True).start()


if __name__ == "__main__":
    main()

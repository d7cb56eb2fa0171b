#!/usr/bin/env python3
"""MQTT payload flood for scripts/faults/flood.sh (paho-mqtt 2.x).

Usage: flood.py HOST PORT TOTAL [GOOD_EVERY]

Publishes TOTAL messages at QoS 1, as fast as the broker acknowledges them (at most 1000 in
flight). Every GOOD_EVERY-th message (default 2) is a valid numbered reading
{"sensor":"flood-NN","seq":N,...} on factory/flood-NN/telemetry; the others cycle through junk:
truncated JSON, a JSON array, a JSON string, binary garbage, an empty payload, JSON with a NUL,
an oversized payload (17 KiB; a few of 1 MiB), a topic too long for the agent (600 bytes), a
topic outside the agent's filters, and retained junk. Then it tries a PUBLISH whose topic is
not valid UTF-8 over a raw socket (brokers must refuse it) and reports whether the broker took it.

Prints one JSON object: counts by kind, expected agent rejections by reason, good readings.
"""

import json
import os
import random
import socket
import struct
import sys
import threading
import time

import paho.mqtt.client as mqtt

KINDS = [
    ("truncated_json", "payload_not_json_object"),
    ("json_array", "payload_not_json_object"),
    ("json_string", "payload_not_json_object"),
    ("binary_garbage", "payload_not_json_object"),
    ("empty", "payload_not_json_object"),
    ("json_with_nul", "payload_not_json_object"),
    ("oversized", "payload_too_large"),
    ("topic_too_long", "topic_too_long"),
    ("off_filter_topic", None),  # the agent does not subscribe to it: never delivered
    ("retained_junk", "payload_not_json_object"),
]


def junk(kind: str, n: int, rng: random.Random) -> tuple[str, bytes, bool]:
    topic = f"factory/junk-{n % 7}/telemetry"
    if kind == "truncated_json":
        return topic, b'{"sensor":"junk","seq":' + str(n).encode(), False
    if kind == "json_array":
        return topic, b"[1,2,3]", False
    if kind == "json_string":
        return topic, b'"just a string"', False
    if kind == "binary_garbage":
        return topic, bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 200))), False
    if kind == "empty":
        return topic, b"", False
    if kind == "json_with_nul":
        return topic, b'{"a":1}\x00{"b":2}', False
    if kind == "oversized":
        size = 1 << 20 if n % 97 == 0 else 17 * 1024
        return topic, b'{"pad":"' + b"x" * size + b'"}', False
    if kind == "topic_too_long":
        return "factory/" + "L" * 600 + "/telemetry", b'{"ok":true}', False
    if kind == "off_filter_topic":
        return f"factory/junk-{n % 7}/debug", b'{"debug":1}', False
    if kind == "retained_junk":
        return f"factory/retained-{n % 5}/telemetry", b"\xff\xfe retained junk", True
    raise ValueError(kind)


def invalid_utf8_topic(host: str, port: int) -> str:
    """A raw MQTT 3.1.1 CONNECT + QoS 0 PUBLISH on topic factory/\\xff\\xfe/telemetry."""
    def packet(kind: int, body: bytes) -> bytes:
        length, enc = len(body), b""
        while True:
            byte, length = length % 128, length // 128
            enc += bytes([byte | (128 if length else 0)])
            if not length:
                return bytes([kind]) + enc + body
    client_id = b"flood-raw-utf8"
    connect = b"\x00\x04MQTT\x04\x02\x00\x1e" + struct.pack(">H", len(client_id)) + client_id
    topic = b"factory/\xff\xfe/telemetry"
    publish = struct.pack(">H", len(topic)) + topic + b'{"raw":1}'
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(packet(0x10, connect))
        connack = s.recv(4)
        if len(connack) < 4 or connack[3] != 0:
            return "connect refused"
        s.sendall(packet(0x30, publish))
        # A broker that accepts it keeps the connection; one that refuses closes it.
        s.sendall(packet(0xC0, b""))  # PINGREQ
        try:
            answer = s.recv(2)
        except (ConnectionResetError, socket.timeout):
            answer = b""
        return "accepted" if answer == b"\xd0\x00" else "refused (connection closed)"


def main() -> int:
    host, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    good_every = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    rng = random.Random(int(os.environ.get("FLOOD_SEED", "6")))
    inflight = threading.Semaphore(1000)
    acked = [0]
    lock = threading.Lock()

    def on_publish(client, userdata, mid, reason_code, properties):
        with lock:
            acked[0] += 1
        inflight.release()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"flood-{os.getpid()}", clean_session=True)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    client.connect(host, port, keepalive=60)
    client.loop_start()

    counts: dict[str, int] = {}
    expected: dict[str, int] = {}
    seqs: dict[str, int] = {}
    good = junk_n = 0
    started = time.monotonic()
    for n in range(total):
        if n % good_every == 0:
            sensor = f"flood-{good % 10:02d}"
            seq = seqs.get(sensor, 0)
            seqs[sensor] = seq + 1
            topic = f"factory/{sensor}/telemetry"
            payload = json.dumps({"sensor": sensor, "seq": seq, "value": rng.random()}).encode()
            retain, kind = False, "good"
            good += 1
        else:
            kind, reason = KINDS[junk_n % len(KINDS)]
            topic, payload, retain = junk(kind, junk_n, rng)
            junk_n += 1
            if reason:
                expected[reason] = expected.get(reason, 0) + 1
        counts[kind] = counts.get(kind, 0) + 1
        inflight.acquire()
        info = client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            print(f"publish failed: {mqtt.error_string(info.rc)}", file=sys.stderr)
            return 1
    deadline = time.monotonic() + 120
    while acked[0] < total and time.monotonic() < deadline:
        time.sleep(0.05)
    seconds = time.monotonic() - started
    client.disconnect()
    client.loop_stop()
    utf8 = invalid_utf8_topic(host, port)
    print(json.dumps({
        "published": total, "acknowledged": acked[0], "good": good, "sensors": len(seqs),
        "by_kind": counts, "expected_rejections": expected, "invalid_utf8_topic": utf8,
        "seconds": round(seconds, 2), "rate": round(total / seconds),
    }))
    return 0 if acked[0] == total else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Publisher and checker for scripts/faults/quota-cycles.sh (paho-mqtt 2.x).

Usage:
  quota_pub.py publish HOST PORT SENSOR COUNT ACKED_FILE
      Publishes COUNT readings {"sensor":SENSOR,"seq":N,"pad":"x..."} (about 8 KB each) at QoS 1,
      at most 100 in flight, and writes the seq of every reading the broker acknowledged
      (PUBACK) to ACKED_FILE, one per line. Prints one JSON line; exits 1 unless all were
      acknowledged within 120 s.
  quota_pub.py check SENSOR ACKED_FILE
      Reads `edge-ledger export --format jsonl` on stdin; prints
      `acknowledged N, stored S, missing M, duplicates D` and exits 1 when an acknowledged reading
      of SENSOR is in no entry.
"""

import json
import os
import sys
import threading
import time

PAD = "x" * 8000


def publish(host: str, port: int, sensor: str, count: int, acked_file: str) -> int:
    import paho.mqtt.client as mqtt

    lock = threading.Lock()
    inflight = threading.Semaphore(100)
    acked_mids: set[int] = set()
    seq_of_mid: dict[int, int] = {}

    def on_publish(client, userdata, mid, reason_code, properties):
        with lock:
            acked_mids.add(mid)
        inflight.release()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"quota-pub-{os.getpid()}", clean_session=True)
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    client.connect(host, port, keepalive=60)
    client.loop_start()
    started = time.monotonic()
    for seq in range(count):
        inflight.acquire()
        payload = json.dumps({"sensor": sensor, "seq": seq, "pad": PAD}).encode()
        # Not under `lock`: paho calls on_publish holding its own lock, which publish() takes.
        info = client.publish(f"factory/{sensor}/telemetry", payload, qos=1)
        seq_of_mid[info.mid] = seq  # read only at the end, once every callback has run
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            print(f"publish failed: {mqtt.error_string(info.rc)}", file=sys.stderr)
            return 1
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with lock:
            if len(acked_mids) >= count:
                break
        time.sleep(0.02)
    client.disconnect()
    client.loop_stop()
    with lock:
        acked = sorted(seq_of_mid[m] for m in acked_mids if m in seq_of_mid)
    with open(acked_file, "w") as out:
        out.write("".join(f"{s}\n" for s in acked))
    print(json.dumps({"published": count, "acknowledged": len(acked), "seconds": round(time.monotonic() - started, 2)}))
    return 0 if len(acked) == count else 1


def check(sensor: str, acked_file: str) -> int:
    acked = {int(line) for line in open(acked_file) if line.strip()}
    seen: set[int] = set()
    stored = duplicates = 0
    for line in sys.stdin:
        try:
            reading = json.loads(json.loads(line)["payload"])
        except (KeyError, ValueError, TypeError):
            continue
        if not isinstance(reading, dict) or reading.get("sensor") != sensor:
            continue
        stored += 1
        seq = int(reading["seq"])
        if seq in seen:
            duplicates += 1
        seen.add(seq)
    missing = sorted(acked - seen)
    example = f" (e.g. seq {missing[:5]})" if missing else ""
    print(f"acknowledged {len(acked)}, stored {stored}, missing {len(missing)}{example}, duplicates {duplicates}")
    return 1 if missing else 0


def main() -> int:
    if len(sys.argv) == 7 and sys.argv[1] == "publish":
        return publish(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6])
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        return check(sys.argv[2], sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())

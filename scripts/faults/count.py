#!/usr/bin/env python3
"""Counts the simulator's numbered readings in `edge-ledger export --format jsonl` (stdin).

Usage: count.py PUBLISHED [SENSORS]

`edge-ledger simulate` numbers each sensor's readings from 0 ({"sensor":"temp-01","seq":17,...}).
A reading is identified by (sensor, seq). Missing = published readings that are in no entry
(published minus distinct readings found, or a hole in a sensor's sequence, whichever is more);
duplicates = entries beyond the first for the same reading (MQTT redeliveries after a crash).
Entries that are not simulator readings are counted as "other".

Prints one line `published N, stored E entries, missing M, duplicates D, other O` and exits 1
when anything is missing, 0 otherwise.
"""

import json
import sys


def main() -> int:
    published = int(sys.argv[1])
    sensors_expected = int(sys.argv[2]) if len(sys.argv) > 2 else None
    seen: dict[str, set[int]] = {}
    entries = duplicates = other = 0
    for line in sys.stdin:
        entries += 1
        record = json.loads(line)
        try:
            reading = json.loads(record["payload"])
            sensor, seq = reading["sensor"], int(reading["seq"])
        except (KeyError, ValueError, TypeError):
            other += 1
            continue
        seqs = seen.setdefault(sensor, set())
        if seq in seqs:
            duplicates += 1
        else:
            seqs.add(seq)
    distinct = sum(len(s) for s in seen.values())
    holes = sum(max(s) + 1 - len(s) for s in seen.values() if s)
    missing = max(published - distinct, holes)
    if sensors_expected is not None and len(seen) > sensors_expected:
        print(f"unexpected: {len(seen)} sensors, expected {sensors_expected}", file=sys.stderr)
        missing = max(missing, 1)
    print(
        f"published {published}, stored {entries} entries, missing {missing}, "
        f"duplicates {duplicates}, other {other}"
    )
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

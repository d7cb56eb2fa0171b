"""An outside Sparkplug B edge node for the integration tests: pysparkplug (PyPI), run from the
virtual environment scripts/setup.sh makes at .venv-sparkplug/ (pysparkplug pins paho-mqtt<2,
which the flood fault test cannot have).

Usage: pysparkplug-edge-node.py HOST PORT GROUP NODE COUNT
Connects (NBIRTH with its bdSeq metric), publishes COUNT NDATA updates of one metric, then
disconnects cleanly (NDEATH); prints one JSON line with what it sent.
"""

import json
import sys
import time

import pysparkplug as psp


def main() -> int:
    host, port, group, node, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])

    def metric(value: float) -> psp.Metric:
        return psp.Metric(
            timestamp=psp.get_current_timestamp(), name="temperature", datatype=psp.DataType.DOUBLE, value=value
        )

    running = psp.Metric(
        timestamp=psp.get_current_timestamp(), name="running", datatype=psp.DataType.BOOLEAN, value=True
    )
    edge = psp.EdgeNode(group, node, (metric(20.0), running))
    edge.connect(host, port=port, blocking=False)
    deadline = time.monotonic() + 10
    while not edge._connected:  # pysparkplug has no public "connected" flag
        if time.monotonic() > deadline:
            print("pysparkplug: not connected within 10 s", file=sys.stderr)
            return 1
        time.sleep(0.01)
    time.sleep(0.2)  # the NBIRTH leaves from the connect callback
    for i in range(count):
        edge.update((metric(20.0 + i / 10),))
        time.sleep(0.002)
    time.sleep(0.3)
    edge.disconnect()
    print(json.dumps({"group": group, "node": node, "ndata": count, "pysparkplug": psp.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

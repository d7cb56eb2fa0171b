#!/usr/bin/env bash
# Installs the system packages EdgeLedger builds, tests and demos with (Debian/Ubuntu).
# Idempotent: installs only what is missing. Needs root (or sudo) only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(mosquitto mosquitto-clients libmosquitto-dev libssl-dev libsqlite3-dev sqlite3 pkg-config)
# zlib: gzip request bodies of the tlog-mirror push (CZlib).
packages+=(zlib1g-dev)
# libfaketime, for the clock-jump fault test (scripts/faults/clock-jumps.sh).
packages+=(faketime)
# PostgreSQL: libpq for the upstream's store (EdgeLedgerPostgres), and the server, whose
# initdb/postgres/psql (/usr/lib/postgresql/<version>/bin) tests and benchmarks run private
# clusters with (EdgeLedgerTestSupport's PostgresCluster, scripts/bench-postgres.sh).
packages+=(postgresql libpq-dev)
# zlib, for gzip-encoded entry bundles (the CZlib shim); Go with golang.org/x/mod, for the
# independent tlog-tiles verifier (scripts/verify-tiles.sh: Go's sumdb/tlog and sumdb/note,
# built offline in GOPATH mode) that the upstream tests run against the upstream's copy.
packages+=(zlib1g-dev golang-go golang-golang-x-mod-dev)
# systemd-analyze, for systemd/check-units.sh (CI checks the units). Installing the package does
# not make systemd PID 1 (that is systemd-sysv) and is safe in a container: its maintainer
# scripts call systemctl only when /run/systemd/system exists, i.e. under a running systemd.
command -v systemd-analyze >/dev/null 2>&1 || packages+=(systemd)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# paho-mqtt, for the MQTT flood fault test (scripts/faults/flood.py); PyPI, as Debian's package
# does not reach a python3 installed outside /usr (pyenv).
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import paho.mqtt.client' 2>/dev/null; then
    echo "setup: installing paho-mqtt for python3"
    python3 -m pip install --quiet paho-mqtt 2>/dev/null ||
        python3 -m pip install --quiet --break-system-packages paho-mqtt 2>/dev/null ||
        echo "setup: note: cannot install paho-mqtt; the flood fault test will be skipped"
fi
# pysparkplug, an outside Sparkplug B edge node for the integration tests (SparkplugIngestTests),
# in its own virtual environment: it pins paho-mqtt<2, which would break the flood test's paho 2.
if command -v python3 >/dev/null 2>&1 && ! .venv-sparkplug/bin/python -c 'import pysparkplug' 2>/dev/null; then
    echo "setup: installing pysparkplug into .venv-sparkplug/"
    { python3 -m venv .venv-sparkplug && .venv-sparkplug/bin/python -m pip install --quiet pysparkplug; } 2>/dev/null ||
        echo "setup: note: cannot make .venv-sparkplug with pysparkplug; the pysparkplug test will be skipped"
fi
# The distribution's mosquitto service is not needed: tests and the demo start private brokers.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
    echo "setup: note: a system mosquitto is running on port 1883; EdgeLedger's tests use their own ports"
fi
# Nor is the distribution's PostgreSQL cluster (tests start private ones on free ports).
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet postgresql 2>/dev/null; then
    echo "setup: note: a system PostgreSQL is running; EdgeLedger's tests start their own clusters"
fi
command -v swift >/dev/null 2>&1 || {
    echo "setup: swift not found on PATH; install Swift 6.1 or newer from swift.org (see README)" >&2
    exit 1
}

# shellcheck shell=bash
# A private PostgreSQL cluster for scripts (benchmarks, fault scenarios, the demo): a data
# directory in a temporary folder, a free loopback port, fsync on or off. Sourced, not run; needs
# scripts/lib/processes.sh (free_port, stop_process).
#
#   pg_start DIR [on|off]   initdb DIR/data (as user postgres when root) and start the server;
#                           sets PG_BIN, PG_PORT, PG_PID, PG_SERVER_URL (no database); the array
#                           PG_OPTIONS, when set, adds server options (-c name=value …), which
#                           override the defaults here (shared_buffers=128MB)
#   pg_createdb NAME        creates a database; prints its URL
#   pg_psql URL SQL…        runs SQL (psql -X -q -At, stops at the first error)
#   pg_halt [SIGNAL]        stops the server and waits until every one of its processes is gone:
#                           SIGINT (default) a fast shutdown, SIGKILL a crash (the postmaster and
#                           every backend at once; crash recovery at the next start)
#   pg_launch               starts it again on the same port and data (after pg_halt)
#   pg_restart [SIGNAL]     pg_halt SIGNAL, then pg_launch
#   pg_stop                 stops the server (fast shutdown)
#
# DIR must be reachable by user postgres when run as root (a private mktemp -d folder is not:
# chmod 711 it first).

pg_find_bin() {
    PG_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -1)
    [ -n "$PG_BIN" ] || PG_BIN=$(dirname "$(command -v initdb 2>/dev/null || echo /missing/initdb)")
    [ -x "$PG_BIN/initdb" ] || {
        echo "PostgreSQL is not installed (no initdb); run scripts/setup.sh" >&2
        return 1
    }
}

pg_start() {
    PG_DIR=$1
    PG_FSYNC=${2:-on}
    pg_find_bin
    mkdir -p "$PG_DIR"
    PG_AS=()
    if [ "$(id -u)" -eq 0 ]; then # initdb and postgres refuse root
        chown postgres: "$PG_DIR"
        PG_AS=(runuser -u postgres --)
    fi
    (cd / && "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U edgeledger --auth=trust -E UTF8 --no-locale) \
        >"$PG_DIR/initdb.log" 2>&1 || {
        cat "$PG_DIR/initdb.log" >&2
        return 1
    }
    PG_PORT=$(free_port)
    PG_SERVER_URL="postgres://edgeledger@127.0.0.1:$PG_PORT"
    pg_launch
}

pg_launch() {
    (cd / && exec "${PG_AS[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$PG_PORT" -k "$PG_DIR" \
        -c listen_addresses=127.0.0.1 -c fsync="$PG_FSYNC" -c max_connections=300 -c shared_buffers=128MB \
        ${PG_OPTIONS[@]+"${PG_OPTIONS[@]}"}) \
        >>"$PG_DIR/postgres.log" 2>&1 &
    PG_PID=$!
    for _ in $(seq 300); do
        "$PG_BIN/psql" -X -q -d "$PG_SERVER_URL/postgres" -c 'select 1' >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    tail -20 "$PG_DIR/postgres.log" >&2
    return 1
}

pg_createdb() {
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$PG_SERVER_URL/postgres" -c "CREATE DATABASE \"$1\"" >/dev/null
    echo "$PG_SERVER_URL/$1"
}

pg_psql() {
    local url=$1
    shift
    "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$url" -c "$*"
}

pg_postmaster() { head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null; }

pg_halt() {
    local signal=${1:-INT} pid proc
    local procs=()
    pid=$(pg_postmaster)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        if [ "$signal" = KILL ]; then
            # A crash: the postmaster and every backend at once. Stopped first, the postmaster
            # cannot start new backends (or a recovery) between the listing and the kill.
            kill -STOP "$pid" 2>/dev/null || true
            mapfile -t procs < <(pgrep -P "$pid" || true)
            procs+=("$pid")
            kill -KILL "${procs[@]}" 2>/dev/null || true
            # runuser (util-linux su) stops itself when its child stops: let it go on, reap the
            # postmaster and exit.
            kill -CONT "$PG_PID" 2>/dev/null || true
        else
            procs=("$pid")
            kill -"$signal" "$pid" 2>/dev/null || true
        fi
    fi
    for proc in "${procs[@]}"; do
        for _ in $(seq 600); do
            pg_gone "$proc" && break
            sleep 0.1
        done
        pg_gone "$proc" || { echo "pg_halt: process $proc did not exit within 60 s" >&2; return 1; }
    done
    wait "$PG_PID" 2>/dev/null || true
    # Every process of the old server is gone: its lock file is stale.
    rm -f "$PG_DIR/data/postmaster.pid"
}

# Whether process $1 has exited: no longer there, or a zombie (the orphaned backends of a
# crashed server wait for PID 1 to reap them; they hold nothing any more).
pg_gone() {
    local state
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || true
    [ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
}

pg_restart() {
    pg_halt "${1:-INT}"
    pg_launch
}

pg_stop() {
    local pid
    pid=$(pg_postmaster)
    [ -z "$pid" ] || kill -INT "$pid" 2>/dev/null || true
    [ -z "${PG_PID:-}" ] || stop_process "$PG_PID" 30 postgres
}

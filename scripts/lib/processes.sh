# shellcheck shell=bash
# Shared by scripts that run a broker, agents and upstreams on loopback (the demo, the benchmarks,
# the fault tests). Source it; it expects a `say` function for messages.

# Whether something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp).
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A loopback TCP port nothing listens on.
free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768-60999), which
        # outgoing connections, the agent's own among them, take ports from
        if ! listening "$port"; then
            echo "$port"
            return
        fi
    done
    say "no free loopback port found"
    exit 1
}

# Waits until something accepts connections on 127.0.0.1:$1 (at most $2 seconds).
wait_listening() {
    local deadline=$((SECONDS + $2))
    until listening "$1"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}

# Sends SIGTERM to $1 and waits up to $2 seconds for it to exit (then SIGKILL); sets
# $stopped_status to its exit status. $3 names it in messages.
# shellcheck disable=SC2034  # read by the scripts that source this file
stopped_status=0
stop_process() {
    local pid=$1 limit=$2 name=$3
    stopped_status=0
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + limit))
    while kill -0 "$pid" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
            say "$name did not stop within $limit s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    # shellcheck disable=SC2034  # read by the scripts that source this file
    wait "$pid" 2>/dev/null || stopped_status=$?
    return 0
}

# Prints the part of an `edge-ledger-upstream` configuration every loopback setup shares: a
# witness, its HTTP listener, its store (upstream.db beside the file), and one gateway to pull.
# Callers append their own keys of that gateway and further sections.
# upstream_config WITNESS_NAME KEY_FILE PORT ORIGIN GATEWAY_URL VERIFIER_KEYS_FILE TOKEN_LINE
upstream_config() {
    cat <<TOML
[witness]
name = "$1"
key_file = "$2"

[http]
listen = "127.0.0.1:$3"

[storage]
path = "upstream.db"
durability = "process"

[[gateways]]
origin = "$4"
url = "$5"
verifier_keys = [$(sed 's/.*/"&"/' "$6" | paste -sd, -)]
$7
TOML
}

# Resident memory of a process, in KiB (0 when it is gone).
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# CPU ticks (user + system) a process has used: fields 14 and 15 of /proc/PID/stat, counted after
# the command name, which may hold spaces (0 when it is gone). Ticks per second: CLK_TCK.
cpu_ticks() { { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null || true; } | awk '{ t = $12 + $13 } END { print t + 0 }'; }
# shellcheck disable=SC2034 # used by the scripts that source this file
CLK_TCK=$(getconf CLK_TCK)

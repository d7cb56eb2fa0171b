# shellcheck shell=bash
# Shared by scripts that run a broker, agents and upstreams on loopback. Source it; it expects a
# `say` function for messages.

# A loopback TCP port nothing listens on (bash's /dev/tcp: a refused connection means free).
free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768-60999), which
        # outgoing connections, the agent's own among them, take ports from
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
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
    until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
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

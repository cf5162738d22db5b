# tests/integration/lib.sh - helpers for the integration tests: a private temp dir removed at
# exit, starting vigil-fcgi in master mode, processes stopped at exit, and checks that count.
# shellcheck shell=bash
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

BIN=${VIGIL_BIN:-$VIGIL_ROOT/build/bin}
T_DIR=$(mktemp -d /tmp/vigil-it-XXXXXX)
T_PIDS=()
T_FAILS=0
T_CHECKS=0

t_cleanup() {
    local p
    for p in "${T_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${T_PIDS[@]}"; do
        for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [ "${T_KEEP:-}" = "" ]; then rm -rf "$T_DIR"; fi
}
trap t_cleanup EXIT

# t_check NAME COMMAND...: runs COMMAND; counts and reports the result.
t_check() {
    local name=$1
    shift
    T_CHECKS=$((T_CHECKS + 1))
    if "$@"; then
        printf '  ok   %s\n' "$name"
    else
        printf '  FAIL %s\n' "$name"
        T_FAILS=$((T_FAILS + 1))
    fi
}

# t_eq NAME GOT WANT
t_eq() {
    T_CHECKS=$((T_CHECKS + 1))
    if [ "$2" = "$3" ]; then
        printf '  ok   %s\n' "$1"
    else
        printf '  FAIL %s: got [%s], want [%s]\n' "$1" "$2" "$3"
        T_FAILS=$((T_FAILS + 1))
    fi
}

# t_contains NAME HAYSTACK NEEDLE
t_contains() {
    T_CHECKS=$((T_CHECKS + 1))
    case $2 in
    *"$3"*) printf '  ok   %s\n' "$1" ;;
    *) printf '  FAIL %s: [%.300s] lacks [%s]\n' "$1" "$2" "$3"; T_FAILS=$((T_FAILS + 1)) ;;
    esac
}

# Writes a config for a fresh store under $T_DIR/$1 and prints its path.
t_conf() {
    local name=$1
    shift
    mkdir -p "$T_DIR/$name"
    env VIGIL_STORE_HOME="$T_DIR/$name/store" VIGIL_STORE_CACHE_MB=16 "$@" \
        "$BIN/vigilctl" --config /dev/null config >"$T_DIR/$name/vigil.conf"
    echo "$T_DIR/$name/vigil.conf"
}

# Registers a new random appkey for project $2 in the store of config $1 and prints it.
t_appkey() {
    local key
    key=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    "$BIN/vigilctl" --config "$1" appkey add --project "$2" --key "$key" >/dev/null || return 1
    echo "$key"
}

# Starts a private nginx (conf/nginx.conf filled in) on a free port in front of the FastCGI
# socket $1, with vigil's max_body_mb $2; sets T_PORT and waits until /healthz answers.
t_start_nginx() {
    T_PORT=$(vigil_free_port)
    mkdir -p "$T_DIR/nginx"
    vigil_nginx_conf "$T_DIR/nginx" "127.0.0.1:$T_PORT" "unix:$1" "$2" >"$T_DIR/nginx/nginx.conf"
    /usr/sbin/nginx -p "$T_DIR/nginx" -c "$T_DIR/nginx/nginx.conf" -e "$T_DIR/nginx/error.log" &
    T_PIDS+=($!)
    vigil_wait_http "http://127.0.0.1:$T_PORT/healthz" 200 10
}

# Starts a master on unix socket $2 with config $1 and $3 workers (none: the config's number);
# waits for the socket.
t_start_master() {
    local conf=$1 sock=$2 n=${3:-}
    "$BIN/vigil-fcgi" --config "$conf" --listen "$sock" ${n:+--workers "$n"} \
        2>>"$T_DIR/vigil.log" &
    T_PIDS+=($!)
    T_MASTER=$!
    for _ in $(seq 1 200); do [ -S "$sock" ] && return 0; sleep 0.025; done
    echo "master did not create $sock" >&2
    return 1
}

# The worker pids of master $1.
t_workers() { pgrep -P "$1" | sort -n; }

# Ends the test: prints a summary line and exits 0 only when every check passed.
t_done() {
    printf '%s: %d checks, %d failed\n' "$(basename "$0")" "$T_CHECKS" "$T_FAILS"
    [ "$T_FAILS" -eq 0 ] && [ "$T_CHECKS" -gt 0 ]
}

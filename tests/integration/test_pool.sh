#!/usr/bin/env bash
# tests/integration/test_pool.sh - the worker pool under faults, driven over FastCGI with
# cgi-fcgi (as a web server would): a worker killed under load is replaced while the others keep
# answering; a worker killed holding a write lock does not wedge the store; SIGHUP rolls the
# workers onto a new config; SIGTERM lets a request in flight finish and leaves nothing behind;
# a second master on the same store is refused; fd-0 mode with a shared socket stops promptly;
# header floods and an unusable store get clear answers.
. "$(dirname "$0")/lib.sh"

vigil_need_pkgs libfcgi-bin spawn-fcgi || exit 1

# fcgi SOCK METHOD PATH [QUERY]: one request; prints the status code, the body to $T_DIR/last
fcgi() {
    local out
    out=$(env -i REQUEST_METHOD="$2" PATH_INFO="$3" QUERY_STRING="${4:-}" CONTENT_LENGTH=0 \
        timeout 20 cgi-fcgi -bind -connect "$1" 2>/dev/null) || { echo 000; return; }
    printf '%s' "${out#*$'\r\n\r\n'}" >"$T_DIR/last"
    sed -n '1s/^Status: \([0-9]*\).*/\1/p' <<<"$out" | tr -d '\r'
}

conf=$(t_conf pool VIGIL_FCGI_DEBUG_ROUTES=on VIGIL_STORE_LOCK_TIMEOUT_MS=20000 \
    VIGIL_FCGI_WORKERS=3)
sock=$T_DIR/pool.sock
t_start_master "$conf" "$sock" || exit 1
master=$T_MASTER
for _ in $(seq 1 100); do [ "$(t_workers "$master" | wc -l)" -eq 3 ] && break; sleep 0.05; done
t_eq "master starts 3 workers" "$(t_workers "$master" | wc -l)" 3
t_eq "healthz through the pool" "$(fcgi "$sock" GET /healthz)" 200

echo "-- kill -9 of a worker under load"
load() { # $1 requests; prints how many answered 200
    local ok=0 i
    for ((i = 0; i < $1; i++)); do [ "$(fcgi "$sock" GET /healthz)" = 200 ] && ok=$((ok + 1)); done
    echo "$ok"
}
load 150 >"$T_DIR/load1" &
lp1=$!
load 150 >"$T_DIR/load2" &
lp2=$!
sleep 0.3
victim=$(t_workers "$master" | head -1)
kill -9 "$victim"
wait $lp1 $lp2
ok=$(($(cat "$T_DIR/load1") + $(cat "$T_DIR/load2")))
# at most the one request the victim was serving may fail
t_check "requests to other workers kept succeeding ($ok of 300)" test "$ok" -ge 299
for _ in $(seq 1 100); do [ "$(t_workers "$master" | wc -l)" -eq 3 ] && break; sleep 0.05; done
t_eq "the master replaced the worker" "$(t_workers "$master" | wc -l)" 3
t_check "the dead worker is gone from the pool" bash -c "! pgrep -P $master | grep -qx $victim"
fcgi "$sock" GET /metrics >/dev/null
t_contains "metrics count the restart" "$(cat "$T_DIR/last")" "vigil_worker_restarts_total 1"
t_contains "metrics count requests of all workers" "$(cat "$T_DIR/last")" \
    'vigil_http_requests_total{route="/healthz",method="GET",code="200"}'

echo "-- kill -9 of a worker holding a write lock"
t_eq "counter starts" "$(fcgi "$sock" POST /_vigil/lock ms=0)" 200
before=$(sed 's/.*"counter":\([0-9]*\).*/\1/' "$T_DIR/last")
fcgi "$sock" POST /_vigil/lock ms=15000 >/dev/null &
holder_req=$!
sleep 0.5
# the busy worker is the one with an open transaction: the one not idle in poll
holder=""
for w in $(t_workers "$master"); do
    [ "$(cat /proc/"$w"/wchan 2>/dev/null)" = "hrtimer_nanosleep" ] && holder=$w
done
t_check "found the worker holding the lock" test -n "$holder"
[ -n "$holder" ] && kill -9 "$holder"
wait $holder_req 2>/dev/null
start=$(date +%s%N)
code=$(fcgi "$sock" POST /_vigil/lock ms=0)
ms=$((($(date +%s%N) - start) / 1000000))
t_eq "a write after the lock holder died succeeds" "$code" 200
t_check "and does not wait for the lock timeout (${ms} ms)" test "$ms" -lt 5000
after=$(sed 's/.*"counter":\([0-9]*\).*/\1/' "$T_DIR/last")
t_eq "the dead transaction was rolled back" "$after" $((before + 1))
t_eq "healthz after the crash" "$(fcgi "$sock" GET /healthz)" 200

echo "-- SIGHUP rolls the workers onto a new config"
old=$(t_workers "$master" | tr '\n' ' ')
sed -i 's/^workers = .*/workers = 2/' "$conf"
kill -HUP "$master"
for _ in $(seq 1 200); do
    now=$(t_workers "$master" | tr '\n' ' ')
    [ "$(wc -w <<<"$now")" -eq 2 ] && ! grep -qw -f <(tr ' ' '\n' <<<"$old" | grep .) <<<"$now" && break
    sleep 0.05
done
now=$(t_workers "$master" | tr '\n' ' ')
t_eq "two workers after reload" "$(wc -w <<<"$now")" 2
t_check "all workers are new ($old -> $now)" bash -c "! grep -qw -f <(tr ' ' '\n' <<<'$old' | grep .) <<<'$now'"
t_eq "serving after reload" "$(fcgi "$sock" GET /healthz)" 200
printf '[store]\nnosuch = 1\n' >>"$conf"
kill -HUP "$master"
sleep 0.5
t_check "a bad config is refused and the master keeps running" kill -0 "$master"
t_eq "still serving after the refused reload" "$(fcgi "$sock" GET /healthz)" 200
t_contains "the refusal names file and line" "$(grep "reload refused" "$T_DIR/vigil.log")" \
    "vigil.conf:$(grep -n "^nosuch" "$conf" | cut -d: -f1): unknown key \"nosuch\" in [store]"
sed -i '/^nosuch = 1$/d' "$conf"

echo "-- a second master on the same store"
out=$("$BIN/vigil-fcgi" --config "$conf" --listen "$T_DIR/other.sock" --workers 1 2>&1)
rc=$?
t_check "is refused" test "$rc" -ne 0
t_contains "with a clear message" "$out" "another vigil-fcgi master (pid $master) is running on"
t_eq "and the first one still serves" "$(fcgi "$sock" GET /healthz)" 200

echo "-- SIGTERM: the request in flight finishes, nothing is left behind"
fcgi "$sock" POST /_vigil/lock ms=1500 >"$T_DIR/inflight" &
inflight=$!
sleep 0.4
workers=$(t_workers "$master")
kill -TERM "$master"
wait $inflight
t_eq "the request in flight finished with 200" "$(cat "$T_DIR/inflight")" 200
for _ in $(seq 1 100); do kill -0 "$master" 2>/dev/null || break; sleep 0.05; done
t_check "the master exited" bash -c "! kill -0 $master 2>/dev/null"
wait "$master"
t_eq "with status 0" "$?" 0
left=0
for w in $workers; do kill -0 "$w" 2>/dev/null && left=$((left + 1)); done
t_eq "no worker left running" "$left" 0
t_check "the socket was removed" test ! -e "$sock"

echo "-- fd-0 mode: several processes sharing one socket (spawn-fcgi -F 2)"
conf2=$(t_conf spawn)
ssock=$T_DIR/spawn.sock
VIGIL_CONFIG=$conf2 spawn-fcgi -s "$ssock" -F 2 -P "$T_DIR/spawn.pid" -- "$BIN/vigil-fcgi" \
    >/dev/null 2>>"$T_DIR/vigil.log"
spids=$(pgrep -f "^$BIN/vigil-fcgi$" | tr '\n' ' ')
for p in $spids; do T_PIDS+=("$p"); done
ok=0
for _ in $(seq 1 40); do [ "$(fcgi "$ssock" GET /healthz)" = 200 ] && ok=$((ok + 1)); done
t_eq "both processes serve (40 requests)" "$ok" 40
# shellcheck disable=SC2086
kill -TERM $spids
gone=0
for _ in $(seq 1 40); do
    gone=1
    for p in $spids; do kill -0 "$p" 2>/dev/null && gone=0; done
    [ $gone -eq 1 ] && break
    sleep 0.05
done
t_eq "SIGTERM stops every idle process within 2 s" "$gone" 1

echo "-- a FastCGI peer that stalls mid-request does not hold a worker"
conf3=$(t_conf stall VIGIL_FCGI_IO_TIMEOUT_S=1)
t_start_master "$conf3" "$T_DIR/stall.sock" 1 || exit 1
# a begin-request record, then a params record that promises 100 bytes and sends 10
/usr/bin/python3 - "$T_DIR/stall.sock" <<'PY' &
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(struct.pack(">BBHHBB", 1, 1, 1, 8, 0, 0) + struct.pack(">HB5x", 1, 0))
s.sendall(struct.pack(">BBHHBB", 1, 4, 1, 100, 0, 0) + b"x" * 10)
time.sleep(6)
PY
staller=$!
sleep 0.3
start=$(date +%s%N)
code=$(fcgi "$T_DIR/stall.sock" GET /healthz)
ms=$((($(date +%s%N) - start) / 1000000))
t_eq "the only worker answers the next request" "$code" 200
# io_timeout_s (1 s) plus libfcgi's lingering close of the dropped connection (up to 2 s)
t_check "after [fcgi] io_timeout_s and the lingering close (${ms} ms)" test "$ms" -lt 4500
kill "$staller" 2>/dev/null
wait "$staller" 2>/dev/null

echo "-- bad input and an unusable store"
flood=()
for i in $(seq 1 300); do flood+=("HTTP_X_H$i=v"); done
out=$(env -i REQUEST_METHOD=GET PATH_INFO=/healthz "${flood[@]}" \
    "$BIN/vigil-fcgi" --config "$conf2" 2>/dev/null </dev/null)
t_contains "a header flood gets 431" "$out" "Status: 431"
out=$(env -i REQUEST_METHOD=GET PATH_INFO=/healthz VIGIL_STORE_HOME=/proc/vigil-no \
    "$BIN/vigil-fcgi" --config /dev/null 2>/dev/null </dev/null)
t_contains "an unusable store makes /healthz 503" "$out" "Status: 503"
t_contains "saying why" "$out" "cannot create /proc/vigil-no"
out=$("$BIN/vigil-fcgi" --config "$T_DIR/missing.conf" 2>&1 </dev/null)
t_contains "a missing --config file is named" "$out" "missing.conf: cannot open"

t_done

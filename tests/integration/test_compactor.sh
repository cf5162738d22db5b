#!/usr/bin/env bash
# tests/integration/test_compactor.sh - vigil-compactor beside a running pool: it joins the
# environment, checkpoints on its interval, and exits 0 promptly on SIGTERM; --once runs one
# round, which also trims the stream log to [store] stream_max_mb.
. "$(dirname "$0")/lib.sh"

conf=$(t_conf cpt VIGIL_FCGI_DEBUG_ROUTES=on VIGIL_COMPACTOR_CHECKPOINT_S=1 \
    VIGIL_COMPACTOR_FAILCHK_S=1)
sock=$T_DIR/cpt.sock
t_start_master "$conf" "$sock" 2 || exit 1
ckp() { "$BIN/vigilctl" --config "$conf" status | awk '$1 == "last_checkpoint" {print $2}'; }
before=$(ckp)

"$BIN/vigil-compactor" --config "$conf" 2>>"$T_DIR/vigil.log" &
cpt=$!
T_PIDS+=("$cpt")
# a write or two for the checkpoint to cover
for _ in 1 2 3; do
    env -i REQUEST_METHOD=POST PATH_INFO=/_vigil/lock CONTENT_LENGTH=0 \
        cgi-fcgi -bind -connect "$sock" >/dev/null
done
for _ in $(seq 1 60); do [ "$(ckp)" != "$before" ] && break; sleep 0.1; done
t_check "checkpoints while the pool runs ($before -> $(ckp))" test "$(ckp)" != "$before"
t_contains "joined the running environment" "$(grep -a "compactor" "$T_DIR/vigil.log")" \
    "compactor: store $T_DIR/cpt/store open"

start=$(date +%s%N)
kill -TERM "$cpt"
wait "$cpt"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
t_eq "SIGTERM: exit status 0" "$rc" 0
t_check "SIGTERM: exits promptly (${ms} ms)" test "$ms" -lt 2000
t_contains "says it stopped" "$(grep -a "compactor" "$T_DIR/vigil.log")" "compactor: stopped"

# the stream log: ten writes of ~0.3 MiB, then one round trims it to stream_max_mb = 1 (whole
# records, oldest first)
for i in 1 2 3 4 5 6 7 8 9 10; do
    /usr/bin/python3 -c '
import sys
sys.stdout.write("".join("load,i=%d v=%d %d\n" % (k, k, 1700000000000000000 + k) for k in range(int(sys.argv[1]), int(sys.argv[1]) + 7500)))
' $((i * 100000)) >"$T_DIR/lp$i"
    env -i REQUEST_METHOD=POST PATH_INFO=/write QUERY_STRING=db=test \
        CONTENT_LENGTH="$(stat -c %s "$T_DIR/lp$i")" cgi-fcgi -bind -connect "$sock" <"$T_DIR/lp$i" |
        head -1 | tr -d '\r' >"$T_DIR/w$i"
done
t_eq "ten writes stored" "$(cat "$T_DIR"/w* | sort -u)" "Status: 204 No Content"
sbytes() { "$BIN/vigilctl" --config "$conf" status | awk '$1 == "stream_bytes" {print $2}'; }
t_check "the stream log holds them ($(sbytes) bytes)" test "$(sbytes)" -gt $((2 * 1024 * 1024))
VIGIL_STORE_STREAM_MAX_MB=1 "$BIN/vigil-compactor" --config "$conf" --once 2>>"$T_DIR/vigil.log"
t_eq "--once runs one round and exits 0" "$?" 0
t_check "and trims the stream log to [store] stream_max_mb ($(sbytes) bytes)" \
    test "$(sbytes)" -le $((1024 * 1024))
out=$(VIGIL_STORE_HOME=/proc/vigil-no "$BIN/vigil-compactor" --config /dev/null --once 2>&1)
t_check "--once on an unusable store fails" test $? -ne 0
t_contains "saying why" "$out" "cannot create /proc/vigil-no"

t_done

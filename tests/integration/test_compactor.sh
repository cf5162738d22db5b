#!/usr/bin/env bash
# tests/integration/test_compactor.sh - vigil-compactor beside a running pool: it joins the
# environment, checkpoints on its interval, and exits 0 promptly on SIGTERM; --once runs one
# round.
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

"$BIN/vigil-compactor" --config "$conf" --once 2>>"$T_DIR/vigil.log"
t_eq "--once runs one round and exits 0" "$?" 0
out=$(VIGIL_STORE_HOME=/proc/vigil-no "$BIN/vigil-compactor" --config /dev/null --once 2>&1)
t_check "--once on an unusable store fails" test $? -ne 0
t_contains "saying why" "$out" "cannot create /proc/vigil-no"

t_done

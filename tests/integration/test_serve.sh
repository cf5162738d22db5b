#!/usr/bin/env bash
# tests/integration/test_serve.sh - the README's first command: scripts/serve comes up on the
# port it is given, seeds the dev appkey, writes the config it runs with (vigilctl acts on the
# running instance through it), refuses a second serve on the same data dir, and on SIGTERM
# stops every process it started. Also: conf/vigil.conf documents exactly the built-in keys.
. "$(dirname "$0")/lib.sh"

port=$(vigil_free_port)
data=$T_DIR/data
setsid "$VIGIL_ROOT/scripts/serve" --port "$port" --data "$data" --workers 2 \
    --appkey devkey-123456 --project proj1 >"$T_DIR/serve.out" 2>&1 &
serve=$!
T_PIDS+=("$serve")
t_check "serve comes up" vigil_wait_http "http://127.0.0.1:$port/healthz" 200 30
# serve prints its banner after its own health check, which may be a moment after ours
for _ in $(seq 1 100); do grep -q "Ctrl-C stops everything" "$T_DIR/serve.out" && break; sleep 0.05; done
out=$(cat "$T_DIR/serve.out")
t_contains "prints the URL" "$out" "vigil is running at http://127.0.0.1:$port"
t_contains "prints the dev credentials" "$out" "dev appkey: devkey-123456   (project: proj1"
t_contains "healthz through nginx" "$(curl -s "http://127.0.0.1:$port/healthz")" "\"home\":\"$data/store\""

conf=$data/vigil.conf
t_contains "the config it runs with is complete" "$(cat "$conf")" "default_project = proj1"
t_contains "vigilctl acts on the running instance" \
    "$("$BIN/vigilctl" --config "$conf" status 2>&1)" "home                 $data/store"
t_contains "the dev appkey is stored for its project" \
    "$("$BIN/vigilctl" --config "$conf" appkey list 2>&1)" "proj1"
t_check "the key itself is not stored" bash -c "! grep -rqa devkey-123456 '$data/store'"
t_eq "the printed query works with the dev appkey" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-TC-APP-KEY: devkey-123456' \
        "http://127.0.0.1:$port/prometheus/api/v1/query?query=up")" 200
token=$(sed -n 's/^  dev token:  //p' "$T_DIR/serve.out")
t_eq "the printed dev token reports a metric for a demo device" \
    "$(curl -s -X PUT -H "Authorization: Bearer $token" \
        -d '{"name":"caffeine.level","value":12,"units":"","type":"int32","slope":"both","ttl":60}' \
        "http://127.0.0.1:$port/mrd/1/metrics")" '{"status":200}'
t_eq "and the jobs listing" \
    "$(curl -s -H 'X-TC-APP-KEY: devkey-123456' "http://127.0.0.1:$port/v1.0/projects/proj1/jobs")" \
    '{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"body":[]}'

out=$("$VIGIL_ROOT/scripts/serve" --port "$(vigil_free_port)" --data "$data" 2>&1)
rc=$?
t_check "a second serve on the same data dir fails" test "$rc" -ne 0
t_contains "with a clear message" "$out" "another serve is running on $data (pid $serve)"
t_eq "and the first keeps serving" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" 200

# everything serve started is in its process group (setsid above)
pgid=$(ps -o pgid= -p "$serve" | tr -d ' ')
members=$(pgrep -g "$pgid" | wc -l)
t_check "serve runs master, workers, compactor, scraper and nginx ($members processes)" test "$members" -ge 7
t_check "the scraper is one of them" pgrep -g "$pgid" -x vigil-scraper
kill -TERM "$serve"
for _ in $(seq 1 200); do pgrep -g "$pgid" >/dev/null || break; sleep 0.05; done
t_eq "SIGTERM stops every process serve started" "$(pgrep -g "$pgid" | wc -l)" 0
t_check "the port is free again" bash -c "! curl -s --max-time 1 http://127.0.0.1:$port/healthz"

# conf/vigil.conf is the documented default config: it must list every key the code knows,
# with the defaults the code has
want=$(env -i PATH="$PATH" "$BIN/vigilctl" --config /dev/null config)
t_eq "conf/vigil.conf matches the built-in keys and defaults" \
    "$(grep -v '^#' "$VIGIL_ROOT/conf/vigil.conf" | grep .)" "$(grep -v '^#' <<<"$want" | grep .)"

t_done

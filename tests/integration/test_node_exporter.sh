#!/usr/bin/env bash
# tests/integration/test_node_exporter.sh - the sysmon path end to end with real third-party
# programs: Debian's prometheus-node-exporter on a loopback port is registered as a server and
# a target through /v1.0, vigil-scraper collects it, and promtool (which cannot send headers,
# so it authenticates with the appkey as the Basic password) reads up and node_load1 back
# through /prometheus with instant, range, series and labels queries. Another project's key
# sees none of it.
. "$(dirname "$0")/lib.sh"

exporter=/usr/bin/prometheus-node-exporter
if [ ! -x "$exporter" ] || ! command -v promtool >/dev/null; then
    echo "test_node_exporter.sh: needs prometheus-node-exporter and promtool (scripts/test installs them)" >&2
    exit 1
fi
conf=$(t_conf nodeexp VIGIL_SCRAPER_INTERVAL_S=1 VIGIL_SCRAPER_TIMEOUT_S=1)
sock=$T_DIR/nodeexp.sock
t_start_master "$conf" "$sock" 2 || exit 1
t_check "nginx and vigil come up" t_start_nginx "$sock" 32
base=http://127.0.0.1:$T_PORT
ctl() { "$BIN/vigilctl" --config "$conf" "$@"; }

xport=$(vigil_free_port)
# a few collectors are enough; loadavg gives node_load1
"$exporter" --web.listen-address="127.0.0.1:$xport" --collector.disable-defaults \
    --collector.loadavg --collector.meminfo --collector.uname >"$T_DIR/exporter.log" 2>&1 &
T_PIDS+=($!)
t_check "node exporter answers" vigil_wait_http "http://127.0.0.1:$xport/metrics" 200 10

"$BIN/vigil-scraper" --config "$conf" 2>>"$T_DIR/scraper.log" &
T_PIDS+=($!)

key=$(ctl appkey create --project nodes | tail -n 1)
other=$(ctl appkey create --project others | tail -n 1)
ctl server add --project nodes --host-id host-1 --name localhost --ip 127.0.0.1 >/dev/null
H=(-H "X-TC-APP-KEY: $key" -H 'Content-Type: application/json')
job=$(curl -s "${H[@]}" -H 'X-SYSMON-REGION: kr' -d '{"jobName":"node","metricsPath":"/metrics","description":"node exporter"}' \
    "$base/v1.0/projects/nodes/jobs" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["body"]["jobId"])')
target=$(curl -s "${H[@]}" -d "{\"hostId\":\"host-1\",\"port\":$xport,\"description\":\"local\"}" \
    "$base/v1.0/projects/nodes/jobs/$job/targets" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["body"])')
t_check "the job and target are created" test -n "$job" -a -n "$target"

prom=http://nodes:$key@127.0.0.1:$T_PORT/prometheus
# two intervals and then some: wait until up is 1
for _ in $(seq 1 50); do
    out=$(promtool query instant "$prom" "up{job=\"node\"}" 2>&1) || true
    case $out in *"=> 1 @"*) break ;; esac
    sleep 0.2
done
t_contains "promtool instant: up{job=\"node\"} is 1" "$out" "up{instance=\"127.0.0.1:$xport\", job=\"node\"} => 1 @"
sleep 2
out=$(promtool query instant "$prom" 'node_load1' 2>&1)
t_contains "promtool instant: node_load1 carries job and instance" "$out" "node_load1{instance=\"127.0.0.1:$xport\", job=\"node\"} => "
now=$(date +%s)
out=$(promtool query range --start=$((now - 5)) --end="$now" --step=1s "$prom" 'up{job="node"}' 2>&1)
t_check "promtool range: several points of up" test "$(grep -o '1 @\[' <<<"$out" | wc -l)" -ge 2
out=$(promtool query series --match='{job="node"}' "$prom" 2>&1)
t_contains "promtool series: node_load1" "$out" '{__name__="node_load1", instance="127.0.0.1:'
t_contains "promtool series: scrape_duration_seconds" "$out" '{__name__="scrape_duration_seconds", instance="127.0.0.1:'
out=$(promtool query labels "$prom" job 2>&1)
t_eq "promtool labels: job" "$out" "node"
got=$(curl -s -H "X-TC-APP-KEY: $key" "$base/v1.0/projects/nodes/jobs/$job/targets/$target" |
    /usr/bin/python3 -c 'import json,sys; b=json.load(sys.stdin)["body"]; print(b["resultCd"], b["failReason"], b["svrIp"], b["port"])')
t_eq "the target reports its last scrape" "$got" "0 None 127.0.0.1 $xport"

# the other project sees nothing of it, even with a match-everything selector
out=$(promtool query instant "http://others:$other@127.0.0.1:$T_PORT/prometheus" '{__name__=~".+"}' 2>&1)
t_eq "another project's key sees no series" "$out" ""
t_eq "promtool with a wrong key fails" \
    "$(promtool query instant "http://nodes:wrongkey@127.0.0.1:$T_PORT/prometheus" up >/dev/null 2>&1; echo $?)" 1

t_done

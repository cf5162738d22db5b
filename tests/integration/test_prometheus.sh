#!/usr/bin/env bash
# tests/integration/test_prometheus.sh - the series store end to end through nginx: a dataset
# imported with /import/prometheus comes back exactly through /series, /labels and
# /label/{name}/values; a bad body stores nothing; a body past the limit gets Prometheus's
# error with 413; and a worker killed in the middle of an import leaves its batch either wholly
# present or wholly absent.
. "$(dirname "$0")/lib.sh"

conf=$(t_conf prom VIGIL_FCGI_MAX_BODY_MB=64)
sock=$T_DIR/prom.sock
t_start_master "$conf" "$sock" 2 || exit 1
port=$(vigil_free_port)
mkdir -p "$T_DIR/nginx"
vigil_nginx_conf "$T_DIR/nginx" "127.0.0.1:$port" "unix:$sock" 64 >"$T_DIR/nginx/nginx.conf"
/usr/sbin/nginx -p "$T_DIR/nginx" -c "$T_DIR/nginx/nginx.conf" -e "$T_DIR/nginx/error.log" &
T_PIDS+=($!)
url=http://127.0.0.1:$port/prometheus/api/v1
t_check "nginx and vigil come up" vigil_wait_http "http://127.0.0.1:$port/healthz" 200 10

# 20 series x 50 samples, out of order and with 1970 and 2024 timestamps
/usr/bin/python3 - "$T_DIR/data.prom" <<'PY'
import random, sys
random.seed(7)
lines = ["# HELP http_requests_total Requests served.", "# TYPE http_requests_total counter"]
rows = []
for s in range(20):
    for i in range(50):
        t = (0 if s % 2 else 1704067200000) + i * 15000
        rows.append('http_requests_total{instance="host-%02d",code="%d"} %d %d' % (s, 200 + s % 3, i * s, t))
random.shuffle(rows)
open(sys.argv[1], "w").write("\n".join(lines + rows) + "\n")
PY
code=$(curl -s -o "$T_DIR/imp.out" -w '%{http_code}' -H 'Content-Type: text/plain; version=0.0.4' \
    --data-binary @"$T_DIR/data.prom" "$url/import/prometheus")
t_eq "import answers 204" "$code" 204

series=$(curl -s "$url/series" --data-urlencode 'match[]=http_requests_total' | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["status"], len(d["data"]), sorted({s["instance"] for s in d["data"]})[:2])')
t_eq "/series returns every imported series" "$series" "success 20 ['host-00', 'host-01']"
want=$(/usr/bin/python3 -c 'print(sorted({"%d" % (200 + s % 3) for s in range(20)}))')
got=$(curl -s "$url/label/code/values" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"])')
t_eq "label values are the imported ones" "$got" "$want"
got=$(curl -s "$url/labels?match[]=http_requests_total" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"])')
t_eq "label names" "$got" "['__name__', 'code', 'instance']"
# the odd series were written at 1970: a 2024 range finds only the even ones
got=$(curl -s "$url/series" --data-urlencode 'match[]={__name__=~"http_.*"}' \
    --data-urlencode start=2024-01-01T00:00:00Z --data-urlencode end=2024-01-02T00:00:00Z |
    /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))')
t_eq "start/end select by sample time" "$got" 10
got=$(curl -s "$url/metadata" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["http_requests_total"][0]["type"])')
t_eq "metadata from # TYPE" "$got" counter

code=$(curl -s -o "$T_DIR/bad.out" -w '%{http_code}' -H 'Content-Type: text/plain' \
    --data-binary $'fresh_metric 1\nfresh_metric{ 2\n' "$url/import/prometheus")
t_eq "a bad body is a 400" "$code" 400
t_contains "with the parser's words" "$(cat "$T_DIR/bad.out")" '"errorType":"bad_data","error":"text format parsing error in line 2'
t_eq "and stores nothing of it" "$(curl -s "$url/series" --data-urlencode 'match[]=fresh_metric')" \
    '{"status":"success","data":[]}'

head -c $((65 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$T_DIR/big.prom"
code=$(curl -s -o "$T_DIR/big.out" -w '%{http_code}' -H 'Content-Type: text/plain' \
    --data-binary @"$T_DIR/big.prom" "$url/import/prometheus")
t_eq "a body past [fcgi] max_body_mb is 413" "$code" 413
t_contains "in Prometheus's error shape" "$(cat "$T_DIR/big.out")" '"status":"error","errorType":"bad_data"'

# line protocol through Kapacitor's write endpoint, read back through the Prometheus API
code=$(curl -s -o "$T_DIR/w.out" -w '%{http_code}' --data-binary \
    $'weather,city=paris temp=21.5,humidity=60i 1700000000\nweather,city=oslo temp=4 1700000000\n' \
    "http://127.0.0.1:$port/write?db=telegraf&precision=s")
t_eq "line protocol write answers 204" "$code" 204
t_eq "its points are series" "$(curl -s "$url/label/city/values")" \
    '{"status":"success","data":["oslo","paris"]}'
code=$(curl -s -o "$T_DIR/w.out" -w '%{http_code}' --data-binary $'ok v=1\nbad\n' \
    "http://127.0.0.1:$port/kapacitor/v1/write?db=telegraf")
t_eq "a bad line rejects the write" "$code" 400
t_eq "naming the line" "$(cat "$T_DIR/w.out")" "unable to parse 'bad': missing fields"
t_eq "and storing none of it" "$(curl -s "$url/series" --data-urlencode 'match[]=ok')" \
    '{"status":"success","data":[]}'

# a large import, and the worker serving it killed while its transaction is open: afterwards
# the batch is wholly absent (then a retry stores all of it)
/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for s in range(15000):
        for i in range(60):
            f.write("big_import{s=\"%d\"} %d %d\n" % (s, i, 1700000000000 + i * 15000))
' "$T_DIR/large.prom"
curl -s -o /dev/null -H 'Content-Type: text/plain' --data-binary @"$T_DIR/large.prom" \
    "$url/import/prometheus" &
cpid=$!
active=0
for _ in $(seq 1 400); do
    active=$("$BIN/vigilctl" --config "$conf" status 2>/dev/null | awk '$1 == "active_transactions" {print $2}')
    [ "${active:-0}" -gt 0 ] && break
    sleep 0.01
done
for w in $(t_workers "$T_MASTER"); do kill -9 "$w"; done
wait $cpid
t_check "the workers were killed with the import's transaction open" test "${active:-0}" -gt 0
for _ in $(seq 1 100); do [ "$(t_workers "$T_MASTER" | wc -l)" -eq 2 ] && break; sleep 0.05; done
count() {
    curl -s "$url/series" --data-urlencode "match[]=$1" |
        /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))'
}
t_eq "after the kill nothing of the batch is stored" "$(count big_import)" 0
t_eq "and the earlier data is intact" "$(count http_requests_total)" 20
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
    --data-binary @"$T_DIR/large.prom" "$url/import/prometheus")
t_eq "the same import then succeeds" "$code" 204
t_eq "with every series" "$(count big_import)" 15000

t_done

#!/usr/bin/env bash
# tests/integration/test_prometheus.sh - the series store end to end through nginx: a dataset
# imported with /import/prometheus comes back exactly through /series, /labels and
# /label/{name}/values; a bad body stores nothing; a body past the limit gets Prometheus's
# error with 413; remote write stores its series (and a corrupt body nothing); delete_series
# removes what it matches; a gzip line-protocol body is inflated; and a worker killed in the middle of an import leaves its batch either wholly
# present or wholly absent.
. "$(dirname "$0")/lib.sh"

conf=$(t_conf prom VIGIL_FCGI_MAX_BODY_MB=64 VIGIL_FCGI_MAX_DECODED_MB=8 VIGIL_PROMETHEUS_ADMIN_API=on)
sock=$T_DIR/prom.sock
t_start_master "$conf" "$sock" 2 || exit 1
t_check "nginx and vigil come up" t_start_nginx "$sock" 64
port=$T_PORT
url=http://127.0.0.1:$port/prometheus/api/v1
key=$(t_appkey "$conf" default) || exit 1
auth=(-H "X-TC-APP-KEY: $key")
aurl=http://default:$key@127.0.0.1:$port/prometheus/api/v1 # the key as the Basic password

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
code=$(curl -s "${auth[@]}" -o "$T_DIR/imp.out" -w '%{http_code}' -H 'Content-Type: text/plain; version=0.0.4' \
    --data-binary @"$T_DIR/data.prom" "$url/import/prometheus")
t_eq "import answers 204" "$code" 204

series=$(curl -s "${auth[@]}" "$url/series" --data-urlencode 'match[]=http_requests_total' | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["status"], len(d["data"]), sorted({s["instance"] for s in d["data"]})[:2])')
t_eq "/series returns every imported series" "$series" "success 20 ['host-00', 'host-01']"
want=$(/usr/bin/python3 -c 'print(sorted({"%d" % (200 + s % 3) for s in range(20)}))')
got=$(curl -s "${auth[@]}" "$url/label/code/values" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"])')
t_eq "label values are the imported ones" "$got" "$want"
got=$(curl -s "${auth[@]}" "$url/labels?match[]=http_requests_total" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"])')
t_eq "label names" "$got" "['__name__', 'code', 'instance']"
# the odd series were written at 1970: a 2024 range finds only the even ones
got=$(curl -s "${auth[@]}" "$url/series" --data-urlencode 'match[]={__name__=~"http_.*"}' \
    --data-urlencode start=2024-01-01T00:00:00Z --data-urlencode end=2024-01-02T00:00:00Z |
    /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))')
t_eq "start/end select by sample time" "$got" 10
# every sample comes back out exactly: the dump, normalised, equals the imported file
"$BIN/vigilctl" --config "$conf" dump --match http_requests_total >"$T_DIR/data.dump"
norm() {
    /usr/bin/python3 -c '
import re, sys
rows = []
for line in open(sys.argv[1]):
    m = re.match(r"(\w+)\{(.*)\} (\S+) (-?\d+)$", line.strip())
    if m:
        labels = tuple(sorted(re.findall(r"(\w+)=\"([^\"]*)\"", m.group(2))))
        rows.append((m.group(1), labels, int(m.group(4)), float(m.group(3))))
rows.sort()
print(len(rows))
for r in rows:
    print(r)' "$1"
}
t_eq "the dump has all 1000 samples" "$(norm "$T_DIR/data.dump" | head -1)" 1000
t_eq "vigilctl dump gives back every imported sample" "$(norm "$T_DIR/data.dump")" \
    "$(norm "$T_DIR/data.prom")"
got=$(curl -s "${auth[@]}" "$url/metadata" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["http_requests_total"][0]["type"])')
t_eq "metadata from # TYPE" "$got" counter

code=$(curl -s "${auth[@]}" -o "$T_DIR/bad.out" -w '%{http_code}' -H 'Content-Type: text/plain' \
    --data-binary $'fresh_metric 1\nfresh_metric{ 2\n' "$url/import/prometheus")
t_eq "a bad body is a 400" "$code" 400
t_contains "with the parser's words" "$(cat "$T_DIR/bad.out")" '"errorType":"bad_data","error":"text format parsing error in line 2'
t_eq "and stores nothing of it" "$(curl -s "${auth[@]}" "$url/series" --data-urlencode 'match[]=fresh_metric')" \
    '{"status":"success","data":[]}'

head -c $((65 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$T_DIR/big.prom"
code=$(curl -s "${auth[@]}" -o "$T_DIR/big.out" -w '%{http_code}' -H 'Content-Type: text/plain' \
    --data-binary @"$T_DIR/big.prom" "$url/import/prometheus")
t_eq "a body past [fcgi] max_body_mb is 413" "$code" 413
t_contains "in Prometheus's error shape" "$(cat "$T_DIR/big.out")" '"status":"error","errorType":"bad_data"'

# line protocol through Kapacitor's write endpoint, read back through the Prometheus API
code=$(curl -s "${auth[@]}" -o "$T_DIR/w.out" -w '%{http_code}' --data-binary \
    $'weather,city=paris temp=21.5,humidity=60i 1700000000\nweather,city=oslo temp=4 1700000000\n' \
    "http://127.0.0.1:$port/write?db=telegraf&precision=s")
t_eq "line protocol write answers 204" "$code" 204
t_eq "its points are series" "$(curl -s "${auth[@]}" "$url/label/city/values")" \
    '{"status":"success","data":["oslo","paris"]}'
code=$(curl -s "${auth[@]}" -o "$T_DIR/w.out" -w '%{http_code}' --data-binary $'ok v=1\nbad\n' \
    "http://127.0.0.1:$port/kapacitor/v1/write?db=telegraf")
t_eq "a bad line rejects the write" "$code" 400
t_eq "naming the line" "$(cat "$T_DIR/w.out")" "unable to parse 'bad': missing fields"
t_eq "and storing none of it" "$(curl -s "${auth[@]}" "$url/series" --data-urlencode 'match[]=ok')" \
    '{"status":"success","data":[]}'

# remote write: series with samples and metadata, read back through the API
export VIGIL_ROOT
/usr/bin/python3 - "$T_DIR/rw.bin" <<'PY'
import sys
import os
sys.path.insert(0, os.environ["VIGIL_ROOT"] + "/tests/support")
import promrw
series = [({"__name__": "rw_temp", "site": "a", "empty": ""}, [(1700000000000 + i * 1000, 20.5 + i) for i in range(3)]),
          ([("site", "b"), ("__name__", "rw_temp")], [(1700000000000, float("nan")), (1700000001000, float("inf"))])]
open(sys.argv[1], "wb").write(promrw.compress(promrw.write_request(series, [("rw_temp", 2, "Temperature.", "celsius")])))
PY
code=$(curl -s "${auth[@]}" -o "$T_DIR/rw.out" -w '%{http_code}' -H 'Content-Encoding: snappy' \
    -H 'Content-Type: application/x-protobuf' --data-binary @"$T_DIR/rw.bin" "$url/write")
t_eq "remote write answers 204" "$code" 204
t_eq "its series are stored (an empty label value is no label)" \
    "$(curl -s "${auth[@]}" "$url/series" --data-urlencode 'match[]=rw_temp')" \
    '{"status":"success","data":[{"__name__":"rw_temp","site":"a"},{"__name__":"rw_temp","site":"b"}]}'
t_eq "with its metadata" "$(curl -s "${auth[@]}" "$url/metadata?metric=rw_temp")" \
    '{"status":"success","data":{"rw_temp":[{"type":"gauge","help":"Temperature.","unit":"celsius"}]}}'
t_eq "and its samples" "$("$BIN/vigilctl" --config "$conf" dump --match 'rw_temp{site="a"}' 2>&1)" \
    "$(printf 'rw_temp{site="a"} 20.5 1700000000000\nrw_temp{site="a"} 21.5 1700000001000\nrw_temp{site="a"} 22.5 1700000002000')"
printf 'not snappy at all' >"$T_DIR/rw.bad"
code=$(curl -s "${auth[@]}" -o "$T_DIR/rw.out" -w '%{http_code}' --data-binary @"$T_DIR/rw.bad" "$url/write")
t_eq "a corrupt remote-write body is a 400" "$code" 400
t_eq "with the decoder's words in plain text" "$(cat "$T_DIR/rw.out")" "snappy: corrupt input"
# valid snappy around a truncated protobuf: the first series is whole, the second cut short
/usr/bin/python3 - "$T_DIR/rw.trunc" <<'PY'
import os, sys
sys.path.insert(0, os.environ["VIGIL_ROOT"] + "/tests/support")
import promrw
raw = promrw.write_request([({"__name__": "rw_cut", "n": "1"}, [(1, 1.0)]), ({"__name__": "rw_cut", "n": "2"}, [(1, 2.0)])])
open(sys.argv[1], "wb").write(promrw.compress(raw[:-3]))
PY
code=$(curl -s "${auth[@]}" -o "$T_DIR/rw.out" -w '%{http_code}' --data-binary @"$T_DIR/rw.trunc" "$url/write")
t_eq "a truncated WriteRequest is a 400" "$code" 400
t_contains "named as a protobuf error" "$(cat "$T_DIR/rw.out")" "proto: cannot unmarshal WriteRequest"
t_eq "and nothing of it is stored" "$(curl -s "${auth[@]}" "$url/series" --data-urlencode 'match[]=rw_cut')" \
    '{"status":"success","data":[]}'
# 9 MiB of zeros decodes past [fcgi] max_decoded_mb = 8
/usr/bin/python3 -c '
import os, sys
sys.path.insert(0, os.environ["VIGIL_ROOT"] + "/tests/support")
import promrw
open(sys.argv[1], "wb").write(promrw.compress(bytes(9 << 20)))' "$T_DIR/rw.huge"
code=$(curl -s "${auth[@]}" -o "$T_DIR/rw.out" -w '%{http_code}' --data-binary @"$T_DIR/rw.huge" "$url/write")
t_eq "a body that decodes past the limit is a 413" "$code" 413

# delete_series: a range of one series, then all of another
code=$(curl -s "${auth[@]}" -o "$T_DIR/del.out" -w '%{http_code}' -X POST "$url/admin/tsdb/delete_series" \
    --data-urlencode 'match[]=rw_temp{site="a"}' --data-urlencode 'start=1700000001' \
    --data-urlencode 'end=1700000001.5')
t_eq "delete_series answers 204" "$code" 204
t_eq "the range's sample is gone, the rest stays" \
    "$("$BIN/vigilctl" --config "$conf" dump --match 'rw_temp{site="a"}' 2>&1 | wc -l)" 2
code=$(curl -s "${auth[@]}" -o /dev/null -w '%{http_code}' -X PUT "$url/admin/tsdb/delete_series?match[]=rw_temp%7Bsite%3D%22b%22%7D")
t_eq "PUT works too" "$code" 204
t_eq "a series without samples leaves the catalog" \
    "$(curl -s "${auth[@]}" "$url/series" --data-urlencode 'match[]=rw_temp')" \
    '{"status":"success","data":[{"__name__":"rw_temp","site":"a"}]}'
t_eq "delete_series without match[] is a 400" \
    "$(curl -s "${auth[@]}" -X POST "$url/admin/tsdb/delete_series")" \
    '{"status":"error","errorType":"bad_data","error":"no match[] parameter provided"}'
t_contains "a bad selector is a 400 with the parser's words" \
    "$(curl -s "${auth[@]}" -X POST "$url/admin/tsdb/delete_series" --data-urlencode 'match[]=up{')" \
    '"errorType":"bad_data","error":"1:4: parse error: unexpected end of input inside braces"'

# gzip line protocol (Content-Encoding: gzip), and a body that is not gzip
printf 'gz_m,host=h1 value=7 1700000000\n' | gzip -c >"$T_DIR/lp.gz"
code=$(curl -s "${auth[@]}" -o "$T_DIR/gz.out" -w '%{http_code}' -H 'Content-Encoding: gzip' \
    --data-binary @"$T_DIR/lp.gz" "http://127.0.0.1:$port/write?db=telegraf&precision=s")
t_eq "a gzip line-protocol body is stored" "$code" 204
t_eq "and readable" "$(curl -s "${auth[@]}" "$url/series" --data-urlencode 'match[]=gz_m')" \
    '{"status":"success","data":[{"__name__":"gz_m","host":"h1"}]}'
code=$(curl -s "${auth[@]}" -o "$T_DIR/gz.out" -w '%{http_code}' -H 'Content-Encoding: gzip' \
    --data-binary 'gz_m value=8' "http://127.0.0.1:$port/write?db=telegraf")
t_eq "a body that is not gzip is a 400" "$code" 400
t_eq "with the decompressor's words" "$(cat "$T_DIR/gz.out")" "gzip: invalid header"

# a large import, and the worker serving it killed while its transaction is open: afterwards
# the batch is wholly absent (then a retry stores all of it). The import writes its samples as
# it parses, so the transaction is open once the store's log grows past what was there before
# and before the response comes back.
/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for s in range(15000):
        for i in range(60):
            f.write("big_import{s=\"%d\"} %d %d\n" % (s, i, 1700000000000 + i * 15000))
' "$T_DIR/large.prom"
log_bytes() { stat -c %s "$T_DIR/prom/store"/log.* | awk '{ n += $1 } END { print n }'; }
# One try: 0 when the workers were killed with the transaction open. When the import answered
# before the kill landed (a loaded machine), the caller deletes it and tries again.
kill_mid_import() {
    local before cpid code
    before=$(log_bytes)
    curl -s "${auth[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
        --data-binary @"$T_DIR/large.prom" "$url/import/prometheus" >"$T_DIR/kill.code" &
    cpid=$!
    for _ in $(seq 1 2000); do
        kill -0 $cpid 2>/dev/null || break
        [ $(($(log_bytes) - before)) -gt 2000000 ] && break
        sleep 0.005
    done
    for w in $(t_workers "$T_MASTER"); do kill -9 "$w"; done
    wait $cpid || true
    code=$(cat "$T_DIR/kill.code")
    [ "$code" != 204 ] && return 0
    vigil_wait_http "$aurl/labels" 200 30 &&
        curl -s "${auth[@]}" -o /dev/null -X POST "$url/admin/tsdb/delete_series?match[]=big_import"
    return 1
}
killed=0
for _ in 1 2 3; do
    if kill_mid_import; then killed=1; break; fi
done
t_check "the workers were killed with the import's transaction open" test "$killed" -eq 1
# the master replaces the workers (recovering the store first when the kill left it needing
# that): wait until the API answers again
t_check "the API answers again after the kill" vigil_wait_http "$aurl/labels" 200 30
count() {
    curl -s "${auth[@]}" "$url/series" --data-urlencode "match[]=$1" |
        /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))'
}
t_eq "after the kill nothing of the batch is stored" "$(count big_import)" 0
t_eq "and the earlier data is intact" "$(count http_requests_total)" 20
code=$(curl -s "${auth[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
    --data-binary @"$T_DIR/large.prom" "$url/import/prometheus")
t_eq "the same import then succeeds" "$code" 204
t_eq "with every series" "$(count big_import)" 15000

t_done

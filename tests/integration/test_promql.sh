#!/usr/bin/env bash
# tests/integration/test_promql.sh - the PromQL endpoints through nginx with a real Prometheus
# client (promtool): instant and range queries, series and label lookups read back what was
# imported; a malformed query is a 400 with its position, a query over [query] max_samples a
# 422, one past its timeout a 503 after which the worker answers again.
. "$(dirname "$0")/lib.sh"

conf=$(t_conf promql VIGIL_QUERY_MAX_SAMPLES=5000)
sock=$T_DIR/promql.sock
t_start_master "$conf" "$sock" 2 || exit 1
t_check "nginx and vigil come up" t_start_nginx "$sock" 32
port=$T_PORT
key=$(t_appkey "$conf" default) || exit 1
auth=(-H "X-TC-APP-KEY: $key")
# promtool cannot send headers: it authenticates with the appkey as the Basic password
base=http://default:$key@127.0.0.1:$port/prometheus
url=http://127.0.0.1:$port/prometheus/api/v1

# two counters at 15 s for 10 minutes from t=1700000000 s: job a grows 1/s, job b 2/s
/usr/bin/python3 -c '
for job, slope in (("a", 1), ("b", 2)):
    for i in range(41):
        print("http_requests_total{job=\"%s\",instance=\"i1\"} %d %d" % (job, slope * 15 * i, (1700000000 + 15 * i) * 1000))
' >"$T_DIR/data.prom"
code=$(curl -s "${auth[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
    --data-binary @"$T_DIR/data.prom" "$url/import/prometheus")
t_eq "the data imports" "$code" 204

t_eq "promtool: instant query" \
    "$(promtool query instant --time=1700000600 "$base" 'sum by (job) (rate(http_requests_total[5m]))' 2>&1)" \
    "$(printf '{job="a"} => 1 @[1700000600]\n{job="b"} => 2 @[1700000600]')"
t_eq "promtool: range query" \
    "$(promtool query range --start=1700000300 --end=1700000600 --step=150s "$base" \
        'http_requests_total{job="b"} / 2' 2>&1)" \
    "$(printf '{instance="i1", job="b"} =>\n300 @[1700000300]\n450 @[1700000450]\n600 @[1700000600]')"
t_eq "promtool: series" \
    "$(promtool query series --start=1700000000 --end=1700000600 \
        --match='http_requests_total{job="a"}' "$base" 2>&1)" \
    '{__name__="http_requests_total", instance="i1", job="a"}'
t_eq "promtool: label values" \
    "$(promtool query labels --start=1700000000 --end=1700000600 "$base" job 2>&1)" "$(printf 'a\nb')"

got=$(curl -s "${auth[@]}" "$url/query" --data-urlencode 'query=sum(rate(http_requests_total[5m]) by (job)' \
    -w ' %{http_code}')
t_eq "a malformed query is a 400 with its position" "$got" \
    '{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:35: parse error: unexpected <by> in aggregation"} 400'
got=$(curl -s "${auth[@]}" "$url/query_range" --data-urlencode 'query=http_requests_total' \
    -d start=1700000000 -d end=1700000600 -d step=0.01 -w ' %{http_code}')
t_eq "more than 11,000 points per series is refused" "$got" \
    '{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"} 400'
# the limit counts the points a query loads: 82 here, 6000 for wide[1h] below
got=$(curl -s "${auth[@]}" -o /dev/null -w '%{http_code}' "$url/query_range" \
    --data-urlencode 'query=count_over_time(http_requests_total[1d])' \
    -d start=1600000000 -d end=1800000000 -d step=1d)
t_eq "a query within the sample limit answers" "$got" 200
/usr/bin/python3 -c '
for s in range(100):
    for i in range(60):
        print("wide{s=\"%d\"} %d %d" % (s, i, (1700000000 + 15 * i) * 1000))
' | curl -s "${auth[@]}" -o /dev/null -H 'Content-Type: text/plain' --data-binary @- "$url/import/prometheus"
got=$(curl -s "${auth[@]}" "$url/query" --data-urlencode 'query=sum(count_over_time(wide[1h]))' \
    -d time=1700000900 -w ' %{http_code}')
t_eq "one past [query] max_samples is a 422" "$got" \
    '{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"} 422'
got=$(curl -s "${auth[@]}" -o /dev/null -w '%{http_code}' "$url/query" \
    --data-urlencode 'query=sum(rate(http_requests_total[5m]))' -d time=1700000600 -d timeout=0.000001)
t_eq "a query past its timeout is a 503" "$got" 503
for _ in 1 2 3 4; do # every worker
    got=$(curl -s "${auth[@]}" -o /dev/null -w '%{http_code}' "$url/query" \
        --data-urlencode 'query=sum(rate(http_requests_total[5m]))' -d time=1700000600)
    [ "$got" = 200 ] || break
done
t_eq "and the workers answer the next queries" "$got" 200

t_done

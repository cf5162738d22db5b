#!/usr/bin/env bash
# tests/integration/test_scraper.sh - vigil-scraper end to end: jobs and targets registered
# through the sysmon API (nginx + a pool) point at a fake exporter (fake_exporter.py, 127.0.0.1
# on a free port). Checks: samples arrive with job/instance (a scraped job becomes
# exported_job), Prometheus's request headers, gzip, up=1/0 and the target's failReason for a
# hanging, garbage, 100 MB, HTTP 500 and refused target and a removed host, metadata, a series
# that disappears goes stale, a deleted job is scraped no more and its series go stale, and the
# scraper runs throughout and stops promptly on SIGTERM.
. "$(dirname "$0")/lib.sh"

P=scr
conf=$(t_conf scr VIGIL_STORE_DEFAULT_PROJECT=$P VIGIL_SCRAPER_INTERVAL_S=1 \
    VIGIL_SCRAPER_TIMEOUT_S=1 VIGIL_SCRAPER_MAX_BODY_MB=2)
sock=$T_DIR/scr.sock
t_start_master "$conf" "$sock" 2 || exit 1
t_check "nginx and vigil come up" t_start_nginx "$sock" 32
base=http://127.0.0.1:$T_PORT
key=$(t_appkey "$conf" "$P") || exit 1
ctl() { "$BIN/vigilctl" --config "$conf" "$@"; }
ctl server add --project $P --host-id H --name exporter --ip 127.0.0.1 >/dev/null
ctl server add --project $P --host-id H2 --name doomed --ip 127.0.0.1 >/dev/null

/usr/bin/python3 "$(dirname "$0")/fake_exporter.py" "$T_DIR/exporter.port" 2>>"$T_DIR/exporter.log" &
T_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T_DIR/exporter.port" ] && break; sleep 0.05; done
exp=$(cat "$T_DIR/exporter.port" 2>/dev/null)
t_check "the fake exporter listens (port ${exp:-none})" test -n "$exp"
[ -n "$exp" ] || { t_done; exit 1; }
refused=$(vigil_free_port)
inst=127.0.0.1:$exp

# api METHOD PATH [BODY]: the sysmon API's JSON answer
api() {
    curl -s -X "$1" -H "X-TC-APP-KEY: $key" -H 'X-SYSMON-REGION: kr' \
        ${3:+-H 'Content-Type: application/json' --data-binary "$3"} "$base/v1.0/projects/$P$2"
}
# field JSON PYTHON-EXPR: EXPR with d = the parsed JSON
field() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

declare -A job tid
# add NAME PATH HOST PORT: a job with one target
add() {
    local out
    out=$(api POST /jobs "{\"jobName\":\"$1\",\"metricsPath\":\"$2\",\"description\":\"d\"}")
    job[$1]=$(field "$out" 'd["body"]["jobId"]' 2>/dev/null)
    out=$(api POST "/jobs/${job[$1]}/targets" "{\"hostId\":\"$3\",\"port\":$4,\"description\":\"d\"}")
    tid[$1]=$(field "$out" 'd["body"]' 2>/dev/null)
    [ -n "${job[$1]}" ] && [ -n "${tid[$1]}" ]
}
for j in good gzip hang garbage big change error; do
    t_check "job $j and its target registered" add $j "/$j/metrics" H "$exp"
done
t_check "job refused and its target registered" add refused /metrics H "$refused"
t_check "job gone and its target registered" add gone /good/metrics H2 "$exp"

"$BIN/vigil-scraper" --config "$conf" 2>>"$T_DIR/scraper.log" &
scraper=$!
T_PIDS+=("$scraper")

# q EXPR: the instant vector, one "label=value ... value" line per series, sorted
q() {
    curl -s -H "X-TC-APP-KEY: $key" --data-urlencode "query=$1" \
        "$base/prometheus/api/v1/query" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
for r in sorted(d["data"]["result"], key=lambda r: sorted(r["metric"].items())):
    print(" ".join("%s=%s" % kv for kv in sorted(r["metric"].items())), r["value"][1])'
}
# status NAME: the target's "resultCd mntrnStatCd failReason"
status() {
    field "$(api GET "/jobs/${job[$1]}/targets/${tid[$1]}")" \
        '"%s %s %s" % (d["body"]["resultCd"], d["body"]["mntrnStatCd"], d["body"]["failReason"])'
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS
wait_for() {
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 10; i++)); do "$@" && return 0; sleep 0.1; done
    return 1
}
all_up_reported() { [ "$(q 'count(up)' | awk '{print $NF}')" = 9 ]; }
t_check "every target reports up within 15 s" wait_for 15 all_up_reported
reported() { [ "$(status "$1" | cut -d' ' -f1)" != None ]; }
for j in good gzip hang garbage big change error refused gone; do wait_for 10 reported $j; done

t_eq "up per job" "$(q up | sed "s/ instance=$inst//; s/ instance=127.0.0.1:$refused//" | sort)" \
    "__name__=up job=big 0
__name__=up job=change 1
__name__=up job=error 0
__name__=up job=garbage 0
__name__=up job=gone 1
__name__=up job=good 1
__name__=up job=gzip 1
__name__=up job=hang 0
__name__=up job=refused 0"
t_eq "samples carry job and instance; a scraped job becomes exported_job" \
    "$(q 'fake_requests_total{job="good"}')" \
    "__name__=fake_requests_total code=200 exported_job=inner instance=$inst job=good 42
__name__=fake_requests_total code=500 exported_job=inner instance=$inst job=good 3"
t_eq "the synthetic series" \
    "$(q '{job="good",__name__=~"scrape_samples_.*|scrape_series_added"}' | sed "s/ instance=$inst job=good//")" \
    "__name__=scrape_samples_post_metric_relabeling 3
__name__=scrape_samples_scraped 3
__name__=scrape_series_added 0"
t_check "scrape_duration_seconds of the hanging target is about the timeout" \
    /usr/bin/python3 -c 'import sys; v = float(sys.argv[1]); sys.exit(not 0.9 <= v < 3)' \
    "$(q 'scrape_duration_seconds{job="hang"}' | awk '{print $NF}')"
t_eq "gzip: the OpenMetrics body was inflated and parsed" "$(q 'fake_gzip_bytes' | awk '{print $NF}')" 1234
reqs=$(curl -s "http://127.0.0.1:$exp/_requests")
t_eq "the scraper asks for gzip" "$(field "$reqs" 'd["/gzip/metrics"]["headers"]["accept-encoding"]')" gzip
t_eq "Prometheus's Accept header" "$(field "$reqs" 'd["/good/metrics"]["headers"]["accept"]')" \
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
t_contains "User-Agent" "$(field "$reqs" 'd["/good/metrics"]["headers"]["user-agent"]')" "vigil-scraper/"
t_eq "X-Prometheus-Scrape-Timeout-Seconds" \
    "$(field "$reqs" 'd["/good/metrics"]["headers"]["x-prometheus-scrape-timeout-seconds"]')" 1
meta=$(curl -s -H "X-TC-APP-KEY: $key" "$base/prometheus/api/v1/metadata?metric=fake_requests_total")
t_eq "HELP and TYPE reach the metadata" "$(field "$meta" 'd["data"]["fake_requests_total"][0]')" \
    "{'type': 'counter', 'help': 'Requests the fake exporter pretends to have served.', 'unit': ''}"

# --- the targets' status ---
t_eq "a good target: resultCd 0, UP" "$(status good)" "0 UP None"
t_contains "a hanging target is cut at the timeout" "$(status hang)" "1 DOWN "
t_contains "... and says so" "$(status hang)" "context deadline exceeded"
t_contains "garbage fails at the parser" "$(status garbage)" "1 DOWN text format parsing error in line"
t_eq "100 MB is cut at max_body_mb" "$(status big)" "1 DOWN body size limit exceeded (2097152 bytes)"
t_eq "HTTP 500" "$(status error)" "1 DOWN server returned HTTP status 500 Internal Server Error"
t_eq "connection refused" "$(status refused)" \
    "1 DOWN Get \"http://127.0.0.1:$refused/metrics\": dial tcp 127.0.0.1:$refused: connect: connection refused"
t_eq "nothing of the cut body is stored" "$(q 'count(fake_big)')" ""

# --- a host that goes away ---
ctl server remove --project $P --host-id H2 >/dev/null
gone_reported() { [ "$(status gone)" = "1 DOWN host H2 is not registered" ]; }
t_check "a removed host: failReason says so" wait_for 5 gone_reported
t_eq "... and its series go stale" "$(q '{job="gone"}')" ""

# --- a series that disappears goes stale ---
t_eq "both flappy series are there" "$(q '{__name__=~"flappy_.*"}' | awk '{print $1}')" \
    "__name__=flappy_a
__name__=flappy_b"
curl -s "http://127.0.0.1:$exp/_set?change=1" >/dev/null
b_gone() { [ -z "$(q flappy_b)" ]; }
t_check "flappy_b goes stale once the exporter drops it" wait_for 5 b_gone
t_eq "flappy_a stays" "$(q flappy_a | awk '{print $NF}')" 1
t_check "... after samples it had" test "$(q 'count_over_time(flappy_b[1h])' | awk '{print $NF}')" -gt 0

# --- deleting a job stops its scrapes ---
member=$(cat /proc/sys/kernel/random/uuid)
t_eq "delete job good" "$(field "$(api DELETE "/jobs/${job[good]}?memberId=$member")" 'd["header"]["resultCode"]')" 0
sleep 2.5 # one interval for the scraper to look again, and a margin
n1=$(q 'count_over_time(up{job="good"}[1h])' | awk '{print $NF}')
r1=$(field "$(curl -s "http://127.0.0.1:$exp/_requests")" 'd["/good/metrics"]["count"]')
sleep 3
n2=$(q 'count_over_time(up{job="good"}[1h])' | awk '{print $NF}')
r2=$(field "$(curl -s "http://127.0.0.1:$exp/_requests")" 'd["/good/metrics"]["count"]')
t_check "samples of the deleted job had arrived ($n1)" test "${n1:-0}" -gt 2
t_eq "no new samples after the deletion" "$n2" "$n1"
t_eq "the exporter is asked no more" "$r2" "$r1"
t_eq "the deleted job's series are stale" "$(q '{job="good"}')" ""
t_contains "the scraper logged the removal" "$(grep -a 'removed' "$T_DIR/scraper.log")" \
    "scraper: target $P/${job[good]}/${tid[good]} removed"
t_eq "other jobs go on" "$(q 'up{job="gzip"}' | awk '{print $NF}')" 1

# --- the scraper ran throughout and stops promptly ---
t_check "the scraper is still running" kill -0 "$scraper"
start=$(date +%s%N)
kill -TERM "$scraper"
wait "$scraper"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
t_eq "SIGTERM: exit status 0" "$rc" 0
t_check "SIGTERM: exits within 2 s (${ms} ms)" test "$ms" -lt 2000
t_contains "says it stopped" "$(tail -n 3 "$T_DIR/scraper.log")" "scraper: stopped"
t_check "no errors logged" bash -c "! grep -a '\] error ' '$T_DIR/scraper.log'"

t_done

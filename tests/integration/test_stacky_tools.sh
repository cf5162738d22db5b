#!/usr/bin/env bash
# tests/integration/test_stacky_tools.sh - the StackTach tools: `vigilctl stacky ingest` of the
# conformance stream and of a glance message on stdin, a bad line stopping the ingest with its
# number, `vigilctl stacky report` for one hour and the report read back through nginx
# (/stacky/reports/ and /stacky/report/<id>/), `vigilctl stacky images`, and vigil-compactor's
# scheduled report: made once per ended period, never again for one already stored (across
# restarts too), none for a period without notifications.
. "$(dirname "$0")/lib.sh"

# the shared data beside the repository (../shared), else at its usual place
SHARED=$VIGIL_ROOT/../shared
[ -d "$SHARED/conformance/stacktach" ] || SHARED=/work/shared
DATA=$SHARED/conformance/stacktach

conf=$(t_conf sk)
ctl() { "$BIN/vigilctl" --config "$conf" "$@"; }
py() { /usr/bin/python3 -c "$@"; }

# ingest: 301 messages, a summary line on stderr (not a terminal here)
out=$(ctl stacky ingest --deployment region-1 --service nova "$DATA/all_events_by_time.jsonl" 2>&1)
t_eq "ingest of the conformance stream exits 0" "$?" 0
t_contains "and says how many went in" "$out" "ingested 301 messages in "

# a glance message on stdin, then its image delete row
py 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))))' \
    "$DATA/glance_and_minimal/glance_image_delete.json" >"$T_DIR/glance.jsonl"
out=$(ctl stacky ingest --deployment region-1 --service glance - <"$T_DIR/glance.jsonl" 2>&1)
t_contains "ingest from stdin" "$out" "ingested 1 messages"
out=$(ctl stacky images deletes)
t_eq "images deletes lists the glance delete" \
    "$(py 'import json, sys; r = json.loads(sys.argv[1]); print(len(r), r[0]["uuid"], r[0]["deleted_at"])' "$out")" \
    "1 2df2ccf6-bc1b-4853-aab0-25fda346b3bb 1371738717.939614"
t_eq "images usage is an empty array" "$(ctl stacky images usage)" "[]"
ctl stacky images nothing >/dev/null 2>&1
t_eq "images with an unknown kind: usage error" "$?" 2

# the report of 13:00-13:59:59 on demand
id=$(ctl stacky report --start '2014-03-10 13:00' --hours 1)
t_eq "stacky report prints the new id" "$id" 1
out=$(ctl stacky report --start '2014-03-10 13:30' 2>&1)
t_eq "a start off the hour: usage error" "$?" 2
t_contains "saying so" "$out" "whole UTC hour"
out=$(ctl stacky report --start 'yesterday' 2>&1)
t_contains "an unreadable start" "$out" "--start takes unix seconds or"

# a bad third line (after the report, which it must not touch): exit 1, its number and the two before it stored
head -n 2 "$DATA/all_events_by_time.jsonl" >"$T_DIR/bad.jsonl"
echo '["monitor.info", {"event_type": "x"' >>"$T_DIR/bad.jsonl"
tail -n 1 "$DATA/all_events_by_time.jsonl" >>"$T_DIR/bad.jsonl"
out=$(ctl stacky ingest --deployment bad-dc --service nova "$T_DIR/bad.jsonl" 2>&1)
t_eq "a bad line: exit 1" "$?" 1
t_contains "naming its line and what went in before it" "$out" "line 3: "
t_contains "with the count" "$out" "(2 ingested before it)"
out=$(ctl stacky ingest --service neutron "$T_DIR/bad.jsonl" 2>&1)
t_eq "an unknown --service: usage error" "$?" 2
t_contains "saying so" "$out" "--service must be nova, glance or generic"

sock=$T_DIR/sk.sock
t_start_master "$conf" "$sock" 2 || exit 1
t_check "nginx and vigil come up" t_start_nginx "$sock" 32
base=http://127.0.0.1:$T_PORT/stacky
list=$(curl -s "$base/reports/?created_from=0")
t_eq "/stacky/reports/ lists it" \
    "$(py 'import json, sys; r = json.loads(sys.argv[1]); print(r[0][0], len(r), r[1][0], r[1][1], r[1][2], r[1][4], r[1][5])' "$list")" \
    "Id 2 1 1394456400.0 1394459999.0 summary for region: all 4"
rep=$(curl -s "$base/report/$id/")
check_report() {
    /usr/bin/python3 - "$1" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
m = r[0]
want = {"percentile": 97, "pct": 0.015, "hours": 1, "start": 1394456400.0, "end": 1394459999.0,
        "region": None, "cells": ["region-1"], "total": 7, "4xx failure count": 1,
        "5xx failure count": 0, "> 30 failure count": 2, "state failure count": 0,
        "failure_grand_total": 3}
bad = [k for k in want if m.get(k) != want[k]]
if abs(m["failure_grand_rate"] - 300 / 7) > 1e-9:
    bad.append("failure_grand_rate")
if r[1][:8] != ["Operation", "Image", "OS Type", "Min", "Max", "Med", "97%", "Requests"]:
    bad.append("title row")
rows = {tuple(x[:3]): x[3:] for x in r[2:]}
if rows.get(("create", "base", "linux")) != ["01:01:39", "01:01:39", "01:01:39", "01:01:39", 1,
                                             0, 0.0, 0, 0.0, 1, 1.0, 0, 0.0]:
    bad.append("create row")
if rows.get(("rebuild", "snap", "linux"), [None] * 6)[4:6] != [1, 1.0]:
    bad.append("rebuild 4xx row")
if len(r) != 8 or [x[:3] for x in r[2:]] != sorted(x[:3] for x in r[2:]):
    bad.append("rows")
print(" ".join(bad) or "ok")
PY
}
t_eq "/stacky/report/$id/ is the report" "$(check_report "$rep")" ok

# the compactor's scheduled report, with the clock pinned: the hour 13:00 is stored already
# (vigilctl made it), so at 14:01:30 it makes nothing; at 15:01:30 it makes 14:00 once
nreports() { py 'import json, sys; print(len(json.loads(sys.argv[1])) - 1)' "$(curl -s "$base/reports/?created_from=0")"; }
cpt_run() { # cpt_run FAKE_NOW: runs the compactor until it has looked at its report, then stops it
    local log=$T_DIR/cpt-$1.log
    VIGIL_FAKE_NOW=$1 VIGIL_LOG_LEVEL=debug "$BIN/vigil-compactor" --config "$conf" 2>"$log" &
    local pid=$!
    for _ in $(seq 1 100); do grep -q "compactor: store" "$log" && break; sleep 0.05; done
    sleep 1.5
    kill -TERM "$pid"
    wait "$pid"
}
cpt_run 2014-03-10T14:01:30Z
t_eq "the compactor skips an hour already reported" "$(nreports)" 1
cpt_run 2014-03-10T15:01:30Z
t_eq "and reports the next hour once it ended" "$(nreports)" 2
t_contains "logging it" "$(cat "$T_DIR/cpt-2014-03-10T15:01:30Z.log")" \
    "compactor: stacky report 2 stored: \"summary for region: all\", 1 h from 1394460000"
cpt_run 2014-03-10T15:01:30Z
t_eq "a restart does not make it again" "$(nreports)" 2
cpt_run 2014-03-10T15:00:30Z
t_eq "nor before report_delay_s has passed (the previous hour is stored)" "$(nreports)" 2
cpt_run 2014-03-11T03:01:30Z
t_eq "an hour without notifications gets no report" "$(nreports)" 2
second=$(curl -s "$base/report/2/")
t_eq "the scheduled report covers 14:00-14:59:59" \
    "$(py 'import json, sys; m = json.loads(sys.argv[1])[0]; print(m["start"], m["end"], m["hours"])' "$second")" \
    "1394460000.0 1394463599.0 1"

t_done

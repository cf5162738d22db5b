#!/usr/bin/env bash
# tests/integration/test_stacky.sh - StackTach's stacky API under /stacky through nginx: the
# conformance stream ingested (line by line, then as one NDJSON body), every test case of
# ../shared/specs/stacktach.md §6 compared as parsed JSON with expected/expected.json, the glance
# and minimal samples, bad input (malformed, missing fields, bad timestamps, an NDJSON stream
# stopping at its bad line, 413, bad parameters, unknown paths, wrong methods) in the §3.3 error
# shape with nothing stored, both path forms, stacktach_events_total through PromQL, and the
# clock-dependent views (kpi, watch) under VIGIL_FAKE_NOW.
. "$(dirname "$0")/lib.sh"

# the shared data beside the repository (../shared), else at its usual place
DATA=${STACKTACH_DATA:-$VIGIL_ROOT/../shared/conformance/stacktach}
[ -d "$DATA" ] || DATA=/work/shared/conformance/stacktach
[ -f "$DATA/all_events_by_time.jsonl" ] || {
    echo "no conformance data in $DATA (set STACKTACH_DATA)" >&2
    exit 1
}
conf=$(t_conf stacky VIGIL_FCGI_MAX_BODY_MB=1)
sock=$T_DIR/stacky.sock
t_start_master "$conf" "$sock" 2 || exit 1
t_check "nginx and vigil come up" t_start_nginx "$sock" 1
base=http://127.0.0.1:$T_PORT/stacky

# sk.py: checks one answer against a JSON value, or against expected.json
cat >"$T_DIR/sk.py" <<'PY'
import json, re, sys, urllib.error, urllib.request

def fetch(url):
    try:
        with urllib.request.urlopen(url) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()

def load(text):
    try:
        return json.loads(text)
    except ValueError:
        return "<not JSON: %r>" % text[:300]

def check(url, status, want):
    st, ct, body = fetch(url)
    got = load(body)
    if st != status or got != want or ct != "application/json":
        print("    %s\n    got  %s %s %s\n    want %s %s" % (url, st, ct, json.dumps(got)[:900],
              status, json.dumps(want)[:900]))
        return False
    return True

mode, args = sys.argv[1], sys.argv[2:]
if mode == "eq":  # eq URL STATUS WANT-JSON
    sys.exit(0 if check(args[0], int(args[1]), json.loads(args[2])) else 1)
if mode == "exp":  # exp URL EXPECTED.JSON PYTHON-EXPR-OVER-e
    e = json.load(open(args[1]))
    sys.exit(0 if check(args[0], 200, eval(args[2])) else 1)
if mode == "all":  # all BASE EXPECTED.JSON: every per-key view of expected.json
    e, base, ok, n = json.load(open(args[1])), args[0], True, 0
    views = [("timings_uuid", "/timings/uuid/?uuid="), ("timings_by_name", "/timings/?name="),
             ("request", "/request/?request_id="), ("uuid", "/uuid/?uuid=")]
    for key, path in views:
        for k, want in e[key].items():
            ok = check(base + path + k, 200, want) and ok
            n += 1
    for key, path in [("usage_launches", "/usage/launches/"), ("usage_deletes", "/usage/deletes/"),
                      ("usage_exists", "/usage/exists/"), ("summary", "/summary/"),
                      ("deployments", "/deployments/"), ("events_nova_sorted", "/events/?service=nova"),
                      ("hosts_nova_sorted", "/hosts/")]:
        ok = check(base + path, 200, e[key]) and ok
        n += 1
    print("    %d views compared" % n)
    sys.exit(0 if ok else 1)
if mode == "py":  # py URL STATUS PYTHON-EXPR-OVER-d (the parsed body) [EXPECTED.JSON as e]
    st, ct, body = fetch(args[0])
    d = load(body)
    e = json.load(open(args[3])) if len(args) > 3 else None
    ok = st == int(args[1]) and bool(eval(args[2]))
    if not ok:
        print("    %s: %s %s" % (args[0], st, json.dumps(d)[:900]))
    sys.exit(0 if ok else 1)
PY
sk() { /usr/bin/python3 "$T_DIR/sk.py" "$@"; }
EXP=$DATA/expected/expected.json
# jeq NAME PATH STATUS WANT-JSON
jeq() { t_check "$1" sk eq "$base$2" "$3" "$4"; }
# jexp NAME PATH PYTHON-EXPR-OVER-e (expected.json)
jexp() { t_check "$1" sk exp "$base$2" "$EXP" "$3"; }
# jpy NAME PATH STATUS PYTHON-EXPR-OVER-d
jpy() { t_check "$1" sk py "$base$2" "$3" "$4" "$EXP"; }
# post QUERY CONTENT-TYPE [curl data args...]: prints "STATUS BODY"
post() {
    local q=$1 ct=$2 out
    shift 2
    out=$(curl -s -X POST -w ' %{http_code}' -H "Content-Type: $ct" "$@" "$base/ingest/?$q")
    echo "${out##* } ${out% *}"
}
# bad NAME STATUS CURL-ARGS...: the status and the ["Error","Message"] title of the answer
bad() {
    local name=$1 want=$2 out
    shift 2
    out=$(curl -s -w ' %{http_code}' "$@")
    t_eq "$name" "${out##* } $(cut -c1-21 <<<"${out% *}")" "$want [[\"Error\",\"Message\"],"
}
# the id the next nova raw gets: show answers an empty 200 past the last one
shown() { curl -s -o /dev/null -w '%{size_download}' "$base/show/$1/"; }

# --- ingest: the first 20 lines one by one, the other 281 as one NDJSON body ---
Q='deployment=region-1&service=nova'
ids=""
while IFS= read -r line; do
    out=$(post "$Q" application/json --data-binary "$line")
    ids="$ids ${out#200 }"
done < <(head -n 20 "$DATA/all_events_by_time.jsonl")
t_contains "line-by-line ingest: the first answer" "$ids" '{"ingested":1,"ids":[1]}'
t_contains "line-by-line ingest: the 20th" "$ids" '{"ingested":1,"ids":[20]}'
tail -n +21 "$DATA/all_events_by_time.jsonl" >"$T_DIR/rest.jsonl"
out=$(post "$Q" application/x-ndjson --data-binary @"$T_DIR/rest.jsonl")
t_eq "NDJSON ingest: 281 more, ids 21..301" "$out" \
    "200 $(/usr/bin/python3 -c 'import json; print(json.dumps({"ingested": 281, "ids": list(range(21, 302))}, separators=(",", ":")))')"

# --- §6 test cases ---
jeq "1 deployments" /deployments/ 200 '[["#","Name"],[1,"region-1"]]'
jeq "2 deployments without the slash" /deployments 200 '[["#","Name"],[1,"region-1"]]'
jexp "3 events of nova" '/events/?service=nova' 'e["events_nova_sorted"]'
jeq "4 events of glance" '/events/?service=glance' 200 '[["Event Name"]]'
jexp "events of all: nova's then the others" '/events/' 'e["events_nova_sorted"]'
jexp "5 hosts" /hosts/ 'e["hosts_nova_sorted"]'
REQ=req-f00d4f61-3f37-4a52-8e29-11ccd82e42c1
NT='["#","?","When","Deployment","Event","Host","State","State'"'"'","Task'"'"'"]'
R150='[150," ","2014-03-10 13:00:00","region-1","compute.instance.update","api-01.region-1.example.net","active","active",null]'
R151='[151," ","2014-03-10 13:00:00.175295","region-1","compute.instance.power_off.start","compute-2472","active","",""]'
R152='[152," ","2014-03-10 13:00:00.990505","region-1","compute.instance.update","compute-2472","stopped","active","powering-off"]'
R153='[153," ","2014-03-10 13:00:01.019109","region-1","compute.instance.power_off.end","compute-2472","stopped","",""]'
jeq "6 request" "/request/?request_id=$REQ" 200 "[$NT,$R150,$R151,$R152,$R153]"
jeq "7 request, limit 2 offset 1" "/request/?request_id=$REQ&limit=2&offset=1" 200 "[$NT,$R151,$R152]"
jeq "8 request id not request-id-like" '/request/?request_id=8888bbbb' 400 \
    '[["Error","Message"],["Bad Request","8888bbbb is not request-id-like"]]'
jeq "9 unknown request: the title row" '/request/?request_id=req-00000000-0000-0000-0000-000000000000' 200 "[$NT]"
U=449f644d-64f9-469d-b359-5aa74aea5023
jeq "10 uuid" "/uuid/?uuid=$U" 200 "[$NT,$R150,$R151,$R152,$R153]"
jeq "11 unknown uuid: []" '/uuid/?uuid=00000000-0000-0000-0000-000000000000' 200 '[]'
jeq "12 upper-case uuid" '/uuid/?uuid=449F644D-64F9-469D-B359-5AA74AEA5023' 400 \
    '[["Error","Message"],["Bad Request","449F644D-64F9-469D-B359-5AA74AEA5023 is not uuid-like"]]'
jeq "13 uuid within when bounds" "/uuid/?uuid=$U&when_min=1394456400.1&when_max=1394456401" 200 "[$NT,$R151,$R152]"
jeq "14 timings of one instance" '/timings/uuid/?uuid=6c97fd2b-d233-444e-870d-4309af6c530f' 200 \
    '[["?","Event","Time (secs)"],[".","compute.instance.create","0d 00:00:50.98"]]'
jeq "15 retries: open starts and pairs" '/timings/uuid/?uuid=88443e12-2f27-4830-8841-3538055feacb' 200 \
    '[["?","Event","Time (secs)"],["S","compute.instance.create","n/a"],[".","compute.instance.shutdown","0d 00:00:00.65"],["S","compute.instance.create","n/a"],[".","compute.instance.shutdown","0d 00:00:00.69"],["S","compute.instance.create","n/a"],[".","compute.instance.shutdown","0d 00:00:00.65"]]'
jeq "16 resize timings" '/timings/uuid/?uuid=f790b013-6d9f-48e9-b634-f9a5fd161826' 200 \
    '[["?","Event","Time (secs)"],[".","compute.instance.resize.prep","0d 00:00:00.69"],[".","compute.instance.resize","0d 08:36:07.84"],[".","compute.instance.finish_resize","0d 00:04:39.40"]]'
CT='[["compute.instance.create","Time"],["6c97fd2b-d233-444e-870d-4309af6c530f","0d 00:00:50.98"],["7f562299-0535-4713-bb12-8deaf4666a26","0d 00:06:03.94"],["3daed6ff-a920-4f74-bda5-67a798cacd00","0d 01:01:38.19"]]'
jeq "17 timings by name" '/timings/?name=compute.instance.create' 200 "$CT"
jeq "18 timings by name, limit 1 offset 1" '/timings/?name=compute.instance.create&limit=1&offset=1' 200 \
    '[["compute.instance.create","Time"],["7f562299-0535-4713-bb12-8deaf4666a26","0d 00:06:03.94"]]'
jexp "19 summary" /summary/ 'e["summary"]'
jpy "20 summary, limit 1: N = 1 for every name" '/summary/?limit=1' 200 \
    '[r[0] for r in d] == [r[0] for r in e["summary"]] and all(r[1] == 1 for r in d[1:])'
jpy "21 show" /show/151/ 200 \
    'len(d) == 3 and all(p in d[0] for p in [["#",151],["When","2014-03-10 13:00:00.175295"],["Category","monitor.info"],["Publisher","compute.compute-2472"],["Service","compute"],["Host","compute-2472"],["State","active"],["UUID","449f644d-64f9-469d-b359-5aa74aea5023"],["Req ID","req-f00d4f61-3f37-4a52-8e29-11ccd82e42c1"],["Deployment","region-1"],["Event","compute.instance.power_off.start"]]) and d[0][0] == ["Key","Value"] and json.loads(d[1])[0] == "monitor.info" and json.loads(d[1])[1]["event_type"] == "compute.instance.power_off.start" and "\n  " in d[1] and d[2] == "449f644d-64f9-469d-b359-5aa74aea5023"'
t_eq "21 show: element 1 is the stored pair" \
    "$(curl -s "$base/show/151/" | /usr/bin/python3 -c 'import json,sys; print(json.loads(json.load(sys.stdin)[1]) == json.loads(open(sys.argv[1]).readlines()[150]))' "$DATA/all_events_by_time.jsonl")" True
t_eq "22 show of an unknown id: 200, empty" "$(curl -s -w ' %{http_code} %{size_download}' "$base/show/99999/")" " 200 0"
jeq "23 search by host, newest first" '/search/?field=host&value=compute-2472' 200 "[$NT,$R153,$R152,$R151]"
jeq "24 search, limit 1" '/search/?field=host&value=compute-2472&limit=1' 200 "[$NT,$R153]"
jeq "25 search on a field glance lacks" '/search/?field=tenant&value=x&service=glance' 400 \
    '[["Error","Message"],["Bad Request","The requested field '"'tenant'"' does not exist for the corresponding object.\nNote: The field names of database are case-sensitive."]]'
jeq "26 search with no match: []" '/search/?field=host&value=nowhere' 200 '[]'
jexp "27 usage launches" /usage/launches/ 'e["usage_launches"]'
jeq "28 usage deletes of one instance" '/usage/deletes/?instance=5abd78cb-f400-4a47-a9cb-e8fe067ae374' 200 \
    '[["UUID","Launched At","Deleted At"],["5abd78cb-f400-4a47-a9cb-e8fe067ae374","2014-03-09 04:21:13.585401","2014-03-10 12:50:24.585401"]]'
jeq "29 usage exists of one instance" '/usage/exists/?instance=6c97fd2b-d233-444e-870d-4309af6c530f' 200 \
    '[["UUID","Launched At","Deleted At","Instance Type Id","Instance Flavor Id","Message ID","Status"],["6c97fd2b-d233-444e-870d-4309af6c530f","2014-03-10 12:10:51.194870",null,"2","2","e669f303-6638-446e-99fc-48774fe04531","pending"]]'
jpy "30 watch since 13:00:00" '/watch/1/?since=1394456400' 200 \
    'd[0] == [10,1,15,20,38,36] and d[1][0] == [151," ","2014-03-10","13:00:00.175295","region-1","compute.instance.power_off.start","449f644d-64f9-469d-b359-5aa74aea5023"] and len(d[1]) == 151 and [r[0] for r in d[1]] == sorted(r[0] for r in d[1]) and re.match("^[0-9]+$", d[2]) and int(d[2]) > 1394456400'
jpy "watch of every deployment equals deployment 1's" '/watch/0/?since=1394456400' 200 'len(d[1]) == 151'
jpy "watch of one event" '/watch/1/?since=1394456400&event_name=compute.instance.power_off.start' 200 \
    'len(d[1]) > 0 and all(r[5] == "compute.instance.power_off.start" for r in d[1])'
jpy "watch of a deployment that does not exist" '/watch/7/?since=1394456400' 200 'd[1] == []'
jeq "31 reports/search: created is a date" '/reports/search/?created=2014-01-01%2000:00:00' 400 \
    '[["Error","Message"],["Bad Request","'"'2014-01-01 00:00:00'"' value has an invalid format. It must be in YYYY-MM-DD format."]]'
jeq "31 reports/search: fields not searchable, sorted" '/reports/search/?version=4&json=x' 400 \
    '[["Error","Message"],["Bad Request","The requested fields either do not exist for the corresponding object or are not searchable: json, version. Note: The field names of database are case-sensitive."]]'
t_check "every timings, request, uuid and usage view of expected.json" sk all "$base" "$EXP"

# --- the rest of §3-§4 ---
jexp "uuid paged" "/uuid/?uuid=88443e12-2f27-4830-8841-3538055feacb&limit=5&offset=10" \
    'e["uuid"]["88443e12-2f27-4830-8841-3538055feacb"][0:1] + e["uuid"]["88443e12-2f27-4830-8841-3538055feacb"][11:16]'
jeq "uuid past its rows: []" "/uuid/?uuid=$U&offset=4" 200 '[]'
jpy "limit above 1000 is cut to 1000" '/search/?field=deployment&value=1&limit=5000' 200 'len(d) == 302 and d[1][0] == 301'
jpy "limit 0: the title only" "/request/?request_id=$REQ&limit=0" 200 'len(d) == 1'
jpy "an empty limit is the default" "/request/?request_id=$REQ&limit=" 200 'len(d) == 5'
jeq "search by id" '/search/?field=id&value=151' 200 "[$NT,$R151]"
jeq "search by when" '/search/?field=when&value=1394456400.175295' 200 "[$NT,$R151]"
jeq "search by a scanned column" '/search/?field=old_task&value=powering-off&when_max=1394456401&limit=1' 200 "[$NT,$R152]"
jpy "search by image_type, a number" '/search/?field=image_type&value=0&limit=1000' 200 'len(d) > 1 and len(d) < 302'
jpy "search by request id" "/search/?field=request_id&value=$REQ" 200 '[r[0] for r in d[1:]] == [153, 152, 151, 150]'
jpy "search within when bounds" '/search/?field=host&value=compute-2472&when_min=1394456400.5&when_max=1394456401' 200 \
    '[r[0] for r in d[1:]] == [152]'
jeq "search on an upstream lookup" '/search/?field=when__gt&value=1' 400 \
    '[["Error","Message"],["Bad Request","The requested field '"'when__gt'"' does not exist for the corresponding object.\nNote: The field names of database are case-sensitive."]]'
jpy "hosts of glance, empty" '/hosts/?service=glance' 200 'd == [["Host Name"]]'
jpy "timings by name within end bounds" '/timings/?name=compute.instance.create&end_when_max=1394453500' 200 \
    'd == [["compute.instance.create","Time"],["6c97fd2b-d233-444e-870d-4309af6c530f","0d 00:00:50.98"]]'
jeq "reports: none stored" /reports/ 200 '[["Id","Start","End","Created","Name","Version"]]'
jeq "reports/search: none stored" '/reports/search/?name=x' 200 '[["Id","Start","End","Created","Name","Version"]]'
jeq "report of an unknown id" /report/5971/ 404 '[["Error","Message"],["Not Found","Report 5971 not found"]]'
jeq "reports/search: a bad id" '/reports/search/?id=x' 400 \
    '[["Error","Message"],["Bad Request","'"'x'"' value has an invalid format. It must be in integer format."]]'
jeq "reports/search: a bad period_start" '/reports/search/?period_start=yesterday' 400 \
    '[["Error","Message"],["Bad Request","'"'yesterday'"' value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format."]]'
jeq "kpi of a tenant without raws" /kpi/nobody/ 404 '[["Error","Message"],["Not Found","Could not find raws for tenant nobody"]]'
jeq "kpi: nothing in the last 24 hours" /kpi/ 200 '[["Event","Time","UUID","Deployment"]]'

# a report made on demand: listed, searchable, and its text served verbatim
t_eq "vigilctl stacky report prints the report's id" \
    "$("$BIN/vigilctl" --config "$conf" stacky report --hours 1 --start '2014-03-10 13:00')" 1
jpy "reports lists it, times as floats" /reports/ 200 \
    'd[0] == ["Id","Start","End","Created","Name","Version"] and d[1][:3] == [1, 1394456400.0, 1394459999.0] and d[1][4:] == ["summary for region: all", 4] and isinstance(d[1][3], float) and len(d) == 2'
jpy "reports/search finds it by period, times as text" '/reports/search/?period_start=2014-03-10%2013:00&name=summary%20for%20region:%20all' 200 \
    'd[1][:3] == [1, "2014-03-10 13:00:00", "2014-03-10 13:59:59"] and re.match("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$", d[1][3]) and len(d) == 2'
jpy "report/1 is the stored report" /report/1/ 200 'isinstance(d, list) and d[0]["hours"] == 1 and d[1][0] == "Operation"'
jeq "reports/search by another period" '/reports/search/?period_start=2014-03-10%2012:00' 200 '[["Id","Start","End","Created","Name","Version"]]'

# every GET answers the same with and without its trailing slash
same=1
for p in 'deployments' 'events?service=nova' 'hosts' "uuid?uuid=$U" "timings/uuid?uuid=$U" \
    'timings?name=compute.instance.create' 'summary' "request?request_id=$REQ" 'show/151' \
    'watch/1?since=1394456400' 'search?field=host&value=compute-2472' 'kpi' 'kpi/nobody' \
    'usage/launches' 'usage/deletes' 'usage/exists' 'reports' 'reports/search?name=x' 'report/1'; do
    a=$(curl -s -w ' %{http_code}' "$base/${p%%\?*}/${p#"${p%%\?*}"}")
    b=$(curl -s -w ' %{http_code}' "$base/$p")
    # watch's now may tick between the two requests
    [ "${a%,\"*}" = "${b%,\"*}" ] && [ "${a: -3}" = "${b: -3}" ] || {
        same=0
        echo "    /stacky/$p differs: [${a:0:200}] [${b:0:200}]"
    }
done
t_eq "every route with and without its slash" $same 1

# --- errors, all in the §3.3 shape ---
bad "non-integer limit" 400 "$base/request/?request_id=$REQ&limit=abc"
t_contains "with its message" "$(curl -s "$base/request/?request_id=$REQ&limit=abc")" 'Invalid value for limit: abc'
bad "negative offset" 400 "$base/summary/?offset=-1"
bad "unknown service" 400 "$base/uuid/?uuid=$U&service=foo"
t_contains "with its message" "$(curl -s "$base/uuid/?uuid=$U&service=foo")" 'Unknown service: foo'
bad "non-numeric when_min" 400 "$base/uuid/?uuid=$U&when_min=yesterday"
bad "missing uuid" 400 "$base/uuid/"
bad "missing request_id" 400 "$base/request/"
bad "missing search value" 400 "$base/search/?field=host"
bad "missing timings name" 400 "$base/timings/"
bad "usage with a bad instance" 400 "$base/usage/launches/?instance=nope"
bad "unknown /stacky path" 404 "$base/nothing/here/"
bad "the prefix itself" 404 "$base"
bad "show of a non-number" 404 "$base/show/abc/"
bad "kpi of a tenant that is not a word" 404 "$base/kpi/a-b/"
bad "POST on a GET route" 405 -X POST --data-binary x "$base/deployments/"
bad "GET on ingest" 405 "$base/ingest/"
t_contains "405 names what is allowed" "$(curl -s -D - -o /dev/null -X POST --data-binary x "$base/uuid/" | tr -d '\r')" 'Allow: GET, HEAD'
t_contains "errors are application/json" "$(curl -s -D - -o /dev/null "$base/nothing" | tr -d '\r')" 'Content-Type: application/json'

# --- §6 32-34: glance, the error string payload, a minimal nova message ---
G=glance_and_minimal
t_eq "32 glance upload" "$(post 'deployment=region-1&service=glance' application/json --data-binary @"$DATA/$G/glance_image_upload.json")" \
    '200 {"ingested":1,"ids":[1]}'
jeq "32 glance uuid view" '/uuid/?uuid=2df2ccf6-bc1b-4853-aab0-25fda346b3bb&service=glance' 200 \
    '[["#","?","When","Deployment","Event","Host","Status"],[1," ","2013-06-20 17:31:57.939614","region-1","image.upload","global.preprod-ord.ohthree.com","saving"]]'
t_eq "33 a string payload is accepted" "$(post 'deployment=region-1&service=glance' application/json --data-binary @"$DATA/$G/glance_image_upload_error_string_payload.json")" \
    '200 {"ingested":1,"ids":[2]}'
jpy "33 its row: E, status null" '/search/?field=id&value=2&service=glance' 200 'd[1][1] == "E" and d[1][6] is None'
jpy "33 show: uuid null" '/show/2/?service=glance' 200 'd[2] is None and ["Status", None] in d[0]'
jeq "glance events" '/events/?service=glance' 200 '[["Event Name"],["image.upload"]]'
jpy "events of all: nova's then glance's" /events/ 200 'd == e["events_nova_sorted"] + [["image.upload"]]'
exists_before=$(curl -s "$base/usage/exists/" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
t_eq "34 minimal nova exists" "$(post 'deployment=region-1&service=nova' application/json --data-binary @"$DATA/$G/nova_exists_minimal.json")" \
    '200 {"ingested":1,"ids":[302]}'
jpy "34 found by its tenant" '/search/?field=tenant&value=testtenantid1' 200 '[r[0] for r in d[1:]] == [302]'
t_eq "34 usage/exists gains no row" "$(curl -s "$base/usage/exists/" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$exists_before"
t_eq "generic sample" "$(post 'deployment=region-1&service=generic' application/json --data-binary @"$DATA/$G/generic_image_upload.json")" \
    '200 {"ingested":1,"ids":[1]}'
jpy "generic row shape" '/search/?field=message_id&value=4444dddd-29a2-43f2-9ba1-ccb3e53ab6c8&service=generic' 200 \
    'd[0] == ["#","?","When","Deployment","Event","Host","Instance","Request id"] and d[1][6:] == ["2222bbbb-6352-4dbc-8271-96cc54bf14cd","req-8888bbbb-9e47-4b27-a95e-27996cc40c06"]'
jpy "generic show: State null" '/show/1/?service=generic' 200 '["State", None] in d[0]'

# --- bad input: 400 in the §3.3 shape, nothing stored ---
next=303
t_contains "malformed JSON" "$(post "$Q" application/json --data-binary '["monitor.info", {"event_type": ')" \
    '400 [["Error","Message"],["Bad Request","line 1: '
t_eq "missing publisher_id" "$(post "$Q" application/json --data-binary '{"event_type":"compute.instance.update","timestamp":"2014-03-10 13:00:00"}' | cut -c1-4)" '400 '
t_eq "bad timestamp" "$(post "$Q" application/json --data-binary '{"event_type":"x","publisher_id":"compute.h","timestamp":"10/03/2014"}' | cut -c1-4)" '400 '
t_contains "it says which line and how many went in" "$(post "$Q" application/json --data-binary '{"event_type":"x","publisher_id":"compute.h","timestamp":"10/03/2014"}')" \
    '(0 ingested before it)'
t_eq "an empty body" "$(post "$Q" application/json --data-binary '' | cut -c1-4)" '400 '
t_eq "nothing of them was stored" "$(shown $next)" 0
t_eq "unknown service on ingest" "$(post 'service=cinder' application/json --data-binary @"$DATA/$G/nova_exists_minimal.json")" \
    '400 [["Error","Message"],["Bad Request","Unknown service: cinder"]]'
t_eq "a deployment name over 50 characters" "$(post "deployment=$(printf 'd%.0s' {1..51})" application/json --data-binary @"$DATA/$G/nova_exists_minimal.json" | cut -c1-4)" '400 '
{
    sed -n 1p "$DATA/all_events_by_time.jsonl"
    sed -n 2p "$DATA/all_events_by_time.jsonl"
    echo '["monitor.info", {"event_type": "compute.instance.update", "timestamp": "2014-03-10 13:00:00"}]'
    sed -n 3p "$DATA/all_events_by_time.jsonl"
    sed -n 4p "$DATA/all_events_by_time.jsonl"
} >"$T_DIR/five.jsonl"
out=$(post 'deployment=region-2&service=nova' application/x-ndjson --data-binary @"$T_DIR/five.jsonl")
t_eq "NDJSON stops at line 3 of 5" "$(cut -c1-4 <<<"$out")" '400 '
t_contains "naming the line" "$out" '"line 3: '
t_contains "and the two before it" "$out" '(2 ingested before it)'
t_eq "those two are stored, nothing after them" \
    "$([ "$(shown $next)" -gt 0 ] && [ "$(shown $((next + 1)))" -gt 0 ] && echo yes) $(shown $((next + 2)))" "yes 0"
jeq "in a new deployment, id 2" /deployments/ 200 '[["#","Name"],[1,"region-1"],[2,"region-2"]]'
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T_DIR/big.json"
t_contains "a body past [fcgi] max_body_mb" "$(post "$Q" application/json --data-binary @"$T_DIR/big.json")" \
    '413 [["Error","Message"],["Payload Too Large",'
t_eq "the old form field args" "$(post 'deployment=region-1&service=nova' application/x-www-form-urlencoded --data-urlencode "args@$DATA/$G/nova_exists_minimal.json")" \
    "200 {\"ingested\":1,\"ids\":[$((next + 2))]}"
t_eq "a form without args" "$(post "$Q" application/x-www-form-urlencoded --data 'other=1' | cut -c1-4)" '400 '

# --- stacktach_events_total through PromQL: 301 + 1 + 2 + 1 nova events ---
key=$(t_appkey "$conf" default) || exit 1
got=$(curl -s -H "X-TC-APP-KEY: $key" "http://127.0.0.1:$T_PORT/prometheus/api/v1/query" \
    --data-urlencode 'query=sum(stacktach_events_total)' |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
t_eq "stacktach_events_total counts every nova event" "$got" 305
got=$(curl -s -H "X-TC-APP-KEY: $key" "http://127.0.0.1:$T_PORT/prometheus/api/v1/query" \
    --data-urlencode 'query=stacktach_events_total{deployment="region-1",event="compute.instance.power_off.start",host="compute-2472"}' |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
t_eq "by deployment, event and host" "$got" 1

# --- the clock: a master whose now is 2014-03-11T00:00:00Z ---
kill -TERM "$T_MASTER"
wait "$T_MASTER" 2>/dev/null
VIGIL_FAKE_NOW=2014-03-11T00:00:00Z t_start_master "$conf" "$T_DIR/fake.sock" 2 || exit 1
t_check "nginx for the faked clock" t_start_nginx "$T_DIR/fake.sock" 1
base=http://127.0.0.1:$T_PORT/stacky
jexp "kpi within 24 hours" /kpi/ 'e["kpi_ignoring_24h_window"]'
# tenant 5802126 owns two of the instances
insts=$(awk -F'\t' '$7 == "5802126" { printf "\"%s\", ", $2 }' "$DATA/sequences/INDEX.tsv")
jexp "kpi of one tenant" /kpi/5802126/ "[r for r in e['kpi_ignoring_24h_window'] if r[2] in ('UUID', $insts)]"
jpy "which has rows" /kpi/5802126/ 200 'len(d) > 1'
jpy "watch: now is the faked second" '/watch/1/?since=1394456400' 200 'd[2] == "1394496000" and len(d[1]) == 151'
jpy "watch without since: the last 2 seconds" '/watch/0/' 200 '[r[0] for r in d[1]] == [301] and d[2] == "1394496000"'
t_done

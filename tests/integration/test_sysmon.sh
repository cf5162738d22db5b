#!/usr/bin/env bash
# tests/integration/test_sysmon.sh - the sysmon API and appkey tenancy through nginx with curl:
# 401/403 in both APIs' shapes, HTTP Basic auth, servers by region, job and target life cycles
# with every documented result code in the documented order, bad input, and that project A's
# key never reaches project B's jobs, targets, servers or series; a revoked key stops at once.
. "$(dirname "$0")/lib.sh"

conf=$(t_conf sysmon)
sock=$T_DIR/sysmon.sock
t_start_master "$conf" "$sock" 2 || exit 1
t_check "nginx and vigil come up" t_start_nginx "$sock" 32
base=http://127.0.0.1:$T_PORT
ctl() { "$BIN/vigilctl" --config "$conf" "$@"; }

# appkey create prints the key as its last line
keyA=$(ctl appkey create --project projA | tail -n 1)
keyB=$(ctl appkey create --project projB | tail -n 1)
t_check "appkey create prints a 20-character key" test "${#keyA}" -eq 20
t_contains "appkey list shows both projects" "$(ctl appkey list)" "projB"
ctl server add --project projA --host-id hostA1 --name web-1 --ip 127.0.0.1 --instance-id i-1 >/dev/null
ctl server add --project projA --host-id hostA2 --name web-2 --ip 10.0.0.2 --region jp >/dev/null
ctl server add --project projB --host-id hostB1 --name db-1 --ip 10.1.0.1 >/dev/null
t_contains "server list shows the project's hosts" "$(ctl server list --project projA)" "web-2"
t_check "server add refuses a bad address" bash -c \
    "! '$BIN/vigilctl' --config '$conf' server add --project projA --host-id h --name n --ip 300.1.1.1 2>/dev/null"

# call METHOD PATH KEY [BODY] [extra curl args...]: prints "STATUS BODY"
call() {
    local m=$1 p=$2 k=$3 body=${4:-} out
    shift 4 2>/dev/null || shift $#
    out=$(curl -s -X "$m" -w ' %{http_code}' ${k:+-H "X-TC-APP-KEY: $k"} \
        ${body:+-H 'Content-Type: application/json' --data-binary "$body"} "$@" "$base$p")
    echo "${out##* } ${out% *}"
}
# field JSON-TEXT PYTHON-EXPR: evaluates EXPR with d = the parsed JSON
field() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
rc() { field "${1#* }" 'd["header"]["resultCode"]'; }

# --- authentication ---
t_eq "no appkey: 401 envelope" "$(call GET /v1.0/projects/projA/jobs "")" \
    '401 {"header":{"isSuccessful":false,"resultCode":401,"resultMessage":"UNAUTHORIZED"},"body":"appkey required: send it in X-TC-APP-KEY or as the HTTP Basic password"}'
t_eq "unknown appkey: 401" "$(call GET /v1.0/projects/projA/jobs nosuchkey123 | cut -c1-3)" 401
t_eq "another project's path: 403 envelope" "$(call GET /v1.0/projects/projB/jobs "$keyA")" \
    '403 {"header":{"isSuccessful":false,"resultCode":403,"resultMessage":"FORBIDDEN"},"body":"the appkey does not give access to project projB"}'
t_eq "header name is case-insensitive" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "x-tc-app-key: $keyA" "$base/v1.0/projects/projA/jobs")" 200
t_eq "the key as the HTTP Basic password" \
    "$(curl -s -o /dev/null -w '%{http_code}' -u "anyone:$keyA" "$base/v1.0/projects/projA/jobs")" 200
t_eq "prometheus without a key: 401 in Prometheus's shape" \
    "$(curl -s -w ' %{http_code}' "$base/prometheus/api/v1/labels")" \
    '{"status":"error","errorType":"unauthorized","error":"appkey required: send it in X-TC-APP-KEY or as the HTTP Basic password"} 401'
t_eq "prometheus with a bad Basic password: 401" \
    "$(curl -s -o /dev/null -w '%{http_code}' -u "p:wrong-key-1" "$base/prometheus/api/v1/labels")" 401

# --- servers ---
got=$(call GET /v1.0/projects/projA/servers "$keyA" "" -H 'X-SYSMON-REGION: kr')
t_eq "servers of region kr" "$got" \
    '200 {"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"body":[{"hostId":"hostA1","hostNm":"web-1","svrIp":"127.0.0.1","projectId":"projA","instanceId":"i-1"}]}'
t_eq "servers of region jp" "$(field "$(call GET /v1.0/projects/projA/servers "$keyA" "" -H 'X-SYSMON-REGION: jp' | cut -d' ' -f2-)" '[s["hostId"] for s in d["body"]]')" "['hostA2']"
t_eq "servers without a region: -40002" "$(rc "$(call GET /v1.0/projects/projA/servers "$keyA")")" -40002
t_eq "servers of a bad region: -40002" "$(rc "$(call GET /v1.0/projects/projA/servers "$keyA" "" -H 'X-SYSMON-REGION: mars')")" -40002

# --- jobs ---
R=(-H 'X-SYSMON-REGION: kr')
got=$(call POST /v1.0/projects/projA/jobs "$keyA" '{"jobName":"node","metricsPath":"/metrics","description":"nodes"}' "${R[@]}")
t_eq "create a job" "$(field "${got#* }" '(d["header"]["resultCode"], d["body"]["jobName"], d["body"]["metricsPath"], d["body"]["lstModifier"], d["body"]["reservedJobCd"], len(d["body"]["lstModYmdt"]))')" \
    "(0, 'node', '/metrics', None, None, 19)"
job=$(field "${got#* }" 'd["body"]["jobId"]')
t_eq "the same jobName again: -40001" "$(rc "$(call POST /v1.0/projects/projA/jobs "$keyA" '{"jobName":"node","metricsPath":"/m"}' "${R[@]}")")" -40001
t_eq "the same jobName in another project is fine" "$(rc "$(call POST /v1.0/projects/projB/jobs "$keyB" '{"jobName":"node","metricsPath":"/metrics"}' "${R[@]}")")" 0
for bad in '{"jobName":"x","metricsPath":"metrics"}' '{"jobName":"x"}' '{"metricsPath":"/m"}' \
    '{"jobName":5,"metricsPath":"/m"}' '{"jobName":"x","metricsPath":"/m","extra":1}' '[1,2]' '{"jobName":"x",' \
    '{"jobName":"","metricsPath":"/m"}' "{\"jobName\":\"$(printf 'x%.0s' $(seq 1 101))\",\"metricsPath\":\"/m\"}" \
    '{"jobName":"a\u0001b","metricsPath":"/m"}' '{"jobName":"x","metricsPath":"/m","description":7}'; do
    t_eq "bad job body $bad: -40002" "$(rc "$(call POST /v1.0/projects/projA/jobs "$keyA" "$bad" "${R[@]}")")" -40002
done
t_eq "a job without X-SYSMON-REGION: -40002" "$(rc "$(call POST /v1.0/projects/projA/jobs "$keyA" '{"jobName":"y","metricsPath":"/m"}')")" -40002
t_eq "list jobs" "$(field "$(call GET /v1.0/projects/projA/jobs "$keyA" | cut -d' ' -f2-)" '[j["jobName"] for j in d["body"]]')" "['node']"
t_eq "get the job" "$(field "$(call GET "/v1.0/projects/projA/jobs/$job" "$keyA" | cut -d' ' -f2-)" 'd["body"]["jobId"]')" "$job"
t_eq "an unknown job: -40006" "$(rc "$(call GET /v1.0/projects/projA/jobs/00000000-0000-4000-8000-000000000000 "$keyA")")" -40006
t_eq "projB's key cannot read projA's job: 403" "$(call GET "/v1.0/projects/projA/jobs/$job" "$keyB" | cut -c1-3)" 403
for m in "PUT /v1.0/projects/projA/jobs/$job" "DELETE /v1.0/projects/projA/jobs/$job?memberId=2f1d7c0e-5b7a-4c1e-9a53-0c5d1e6f7a8b" \
    "POST /v1.0/projects/projA/jobs/$job/targets" "GET /v1.0/projects/projA/servers"; do
    t_eq "projB's key: $m is 403" "$(call ${m% *} "${m#* }" "$keyB" '{"metricsPath":"/x","hostId":"hostB1","port":1}' "${R[@]}" | cut -c1-3)" 403
done
t_eq "projA's job is not under projB's path" "$(rc "$(call GET "/v1.0/projects/projB/jobs/$job" "$keyB")")" -40006
member=2f1d7c0e-5b7a-4c1e-9a53-0c5d1e6f7a8b
got=$(call PUT "/v1.0/projects/projA/jobs/$job?memberId=$member" "$keyA" '{"metricsPath":"/metrics2","description":"d2"}')
t_eq "update the job" "$(field "${got#* }" '(d["body"]["metricsPath"], d["body"]["description"], d["body"]["lstModifier"], d["body"]["jobName"])')" \
    "('/metrics2', 'd2', '$member', 'node')"
t_eq "update an unknown job with a bad body: -40006 first" "$(rc "$(call PUT /v1.0/projects/projA/jobs/nojob "$keyA" '{"jobName":"z"}')")" -40006
t_eq "update with jobName: -40002" "$(rc "$(call PUT "/v1.0/projects/projA/jobs/$job" "$keyA" '{"jobName":"z"}')")" -40002
t_eq "update with a path without '/': -40002" "$(rc "$(call PUT "/v1.0/projects/projA/jobs/$job" "$keyA" '{"metricsPath":"x"}')")" -40002

# --- targets ---
T=/v1.0/projects/projA/jobs/$job/targets
got=$(call POST "$T" "$keyA" '{"hostId":"hostA1","port":"9100","description":"node exporter"}')
t_eq "create a target (port as a string)" "$(rc "$got")" 0
target=$(field "${got#* }" 'd["body"]')
t_eq "the same host:port again: -40001" "$(rc "$(call POST "$T" "$keyA" '{"hostId":"hostA1","port":9100}')")" -40001
t_eq "another port is fine (number)" "$(rc "$(call POST "$T" "$keyA" '{"hostId":"hostA1","port":9101}')")" 0
t_eq "an unknown host: -40004" "$(rc "$(call POST "$T" "$keyA" '{"hostId":"nohost","port":9100}')")" -40004
t_eq "projB's host from projA: -40004" "$(rc "$(call POST "$T" "$keyA" '{"hostId":"hostB1","port":9100}')")" -40004
for bad in '{"hostId":"hostA1","port":0}' '{"hostId":"hostA1","port":65536}' '{"hostId":"hostA1","port":"12x"}' \
    '{"hostId":"hostA1","port":1.5}' '{"hostId":"hostA1"}' '{"port":9100}' '{"hostId":"hostA1","port":9100,"x":1}' \
    '{"hostId":"hostA1","port":-1}' '{"hostId":"hostA1","port":true}'; do
    t_eq "bad target body $bad: -40002" "$(rc "$(call POST "$T" "$keyA" "$bad")")" -40002
done
t_eq "a target in an unknown job with a bad body: -40006 first" \
    "$(rc "$(call POST /v1.0/projects/projA/jobs/nojob/targets "$keyA" '{"port":0}')")" -40006
got=$(call GET "$T/$target" "$keyA")
t_eq "get the target, joined with its host" "$(field "${got#* }" '(d["body"]["hostId"], d["body"]["port"], d["body"]["hostNm"], d["body"]["svrIp"], d["body"]["jobId"], d["body"]["failReason"])')" \
    "('hostA1', 9100, 'web-1', '127.0.0.1', '$job', None)"
t_eq "list targets" "$(field "$(call GET "$T" "$keyA" | cut -d' ' -f2-)" 'sorted(t["port"] for t in d["body"])')" "[9100, 9101]"
t_eq "an unknown target: -40007" "$(rc "$(call GET "$T/nosuchtarget" "$keyA")")" -40007
t_eq "projB's key cannot list projA's targets: 403" "$(call GET "$T" "$keyB" | cut -c1-3)" 403
t_eq "delete a target without memberId: -40002" "$(rc "$(call DELETE "$T/$target" "$keyA")")" -40002
t_eq "delete with a non-UUID memberId: -40002" "$(rc "$(call DELETE "$T/$target?memberId=bob" "$keyA")")" -40002
t_eq "delete an unknown target: -40007" "$(rc "$(call DELETE "$T/nosuchtarget?memberId=$member" "$keyA")")" -40007
t_eq "delete the target" "$(call DELETE "$T/$target?memberId=$member" "$keyA")" \
    "200 {\"header\":{\"isSuccessful\":true,\"resultCode\":0,\"resultMessage\":\"SUCCESS\"},\"body\":\"$target\"}"
t_eq "it is gone" "$(rc "$(call GET "$T/$target" "$keyA")")" -40007

# --- limits and routing ---
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
t_eq "a body past 64 KiB: 413" "$(call POST /v1.0/projects/projA/jobs "$keyA" "{\"jobName\":\"$big\"}" "${R[@]}" | cut -c1-3)" 413
t_eq "an unknown path: 404 envelope" "$(call GET /v1.0/projects/projA/nothing "$keyA" | cut -c1-3)" 404
t_eq "a wrong method: 405" "$(call PATCH /v1.0/projects/projA/jobs "$keyA" | cut -c1-3)" 405

# --- the job's delete takes its targets ---
t_eq "delete the job without memberId: -40002" "$(rc "$(call DELETE "/v1.0/projects/projA/jobs/$job" "$keyA")")" -40002
t_eq "delete the job" "$(field "$(call DELETE "/v1.0/projects/projA/jobs/$job?memberId=$member" "$keyA" | cut -d' ' -f2-)" 'd["body"]')" "$job"
t_eq "its targets went with it" "$(rc "$(call GET "$T" "$keyA")")" -40006
t_contains "no target documents are left" "$(ctl status >/dev/null; echo ok)" ok

# --- series tenancy ---
imp() { curl -s -o /dev/null -w '%{http_code}' -H "X-TC-APP-KEY: $1" -H 'Content-Type: text/plain' \
    --data-binary "$2" "$base/prometheus/api/v1/import/prometheus"; }
now=$(date +%s)000
t_eq "projA imports" "$(imp "$keyA" "secret_a{k=\"1\"} 1 $now")" 204
t_eq "projB imports" "$(imp "$keyB" "secret_b{k=\"2\"} 2 $now")" 204
q() { curl -s -H "X-TC-APP-KEY: $1" "$base/prometheus/api/v1/$2" --data-urlencode "$3"; }
t_eq "projA sees only its series" \
    "$(field "$(q "$keyA" series 'match[]={__name__=~".+"}')" 'sorted(s["__name__"] for s in d["data"])')" "['secret_a']"
t_eq "projB's query over every name sees only projB" \
    "$(field "$(q "$keyB" query 'query={__name__=~".+"}')" 'sorted(s["metric"]["__name__"] for s in d["data"]["result"])')" "['secret_b']"
t_eq "projB's label values" "$(field "$(curl -s -u "x:$keyB" "$base/prometheus/api/v1/label/__name__/values")" 'd["data"]')" "['secret_b']"

# --- revocation is immediate ---
t_contains "revoke projB's key" "$(ctl appkey revoke "$keyB")" revoked
t_eq "the revoked key gets 401 from /v1.0" "$(call GET /v1.0/projects/projB/jobs "$keyB" | cut -c1-3)" 401
t_eq "and from /prometheus" "$(curl -s -o /dev/null -w '%{http_code}' -H "X-TC-APP-KEY: $keyB" "$base/prometheus/api/v1/labels")" 401
t_eq "projA's key still works" "$(call GET /v1.0/projects/projA/jobs "$keyA" | cut -c1-3)" 200
digest=$(ctl appkey list | awk '$1=="projA"{print $3}')
t_contains "revoke by digest prefix" "$(ctl appkey revoke "$digest")" revoked
t_eq "projA's key is gone too" "$(call GET /v1.0/projects/projA/jobs "$keyA" | cut -c1-3)" 401

t_done

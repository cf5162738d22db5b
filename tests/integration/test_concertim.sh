#!/usr/bin/env bash
# tests/integration/test_concertim.sh - the Concertim metric reporting daemon under /mrd through
# nginx with curl: every conformance case of specs/concertim.md §7 (auth, decoding, validation,
# devices, the processing run, current and historic views, routing), forged tokens, limits,
# persistence across a restart, and the same data read back through PromQL.
. "$(dirname "$0")/lib.sh"

conf=$(t_conf mrd VIGIL_CONCERTIM_SECRET=secret VIGIL_CONCERTIM_STEP_S=1)
sock=$T_DIR/mrd.sock
t_start_master "$conf" "$sock" 2 || exit 1
t_check "nginx and vigil come up" t_start_nginx "$sock" 32
base=http://127.0.0.1:$T_PORT/mrd
ctl() { "$BIN/vigilctl" --config "$conf" "$@"; }

cat >"$T_DIR/dsm.json" <<'JSON'
{"unspecified":{"unspecified":{"device:1":"1","device:2":"2"}}}
JSON
t_contains "vigilctl devices load" "$(ctl devices load "$T_DIR/dsm.json")" "2 devices loaded"
TOKEN=$(ctl token create --ttl 1h)
t_check "vigilctl token create prints a JWT" test "$(tr -cd . <<<"$TOKEN" | wc -c)" -eq 2

# tokens for the failure cases, made with the standard library only
mktok() { # mktok SECRET ALG CLAIMS-JSON
    /usr/bin/python3 - "$@" <<'PY'
import base64, hashlib, hmac, json, sys
secret, alg, claims = sys.argv[1].encode(), sys.argv[2], sys.argv[3]
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
head = b(json.dumps({"alg": alg, "typ": "JWT"}).encode()) + "." + b(claims.encode())
if alg == "none":
    print(head + ".")
else:
    h = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    print(head + "." + b(hmac.new(secret, head.encode(), h).digest()))
PY
}
now=$(date +%s)
BODY='{"name":"caffeine.level","value":12,"units":"","type":"int32","slope":"both","ttl":60}'
# put DEVICE BODY [curl args]: prints "STATUS BODY"
put() {
    local d=$1 body=$2 out
    shift 2
    out=$(curl -s -X PUT -w '\n%{http_code}' -H 'Content-Type: application/json' "$@" \
        --data-binary "$body" "$base/$d/metrics")
    printf '%s %s' "${out##*$'\n'}" "${out%$'\n'*}"
}
# get PATH: prints "BODY STATUS", the body without the newline Go's encoder ends it with
get() {
    local out body
    out=$(curl -s -w '\n%{http_code}' "$base$1")
    body=${out%$'\n'*}
    printf '%s %s' "${body%$'\n'}" "${out##*$'\n'}"
}
A=(-H "Authorization: Bearer $TOKEN")

# §7 1-6: status and authentication
t_eq "1 status" "$(curl -s "$base/status")" '{"status":200}'
t_eq "2 no token" "$(put 1 "$BODY")" $'401 no token found'
t_eq "3 garbage token" "$(put 1 "$BODY" -H 'Authorization: Bearer abc.def.ghi')" '401 token is unauthorized'
t_eq "3 another secret" "$(put 1 "$BODY" -H "Authorization: Bearer $(mktok other HS256 "{\"exp\":$((now + 3600))}")")" '401 token is unauthorized'
t_eq "3 HS512" "$(put 1 "$BODY" -H "Authorization: Bearer $(mktok secret HS512 "{\"exp\":$((now + 3600))}")")" '401 token is unauthorized'
t_eq "3 alg none" "$(put 1 "$BODY" -H "Authorization: Bearer $(mktok secret none "{\"exp\":$((now + 3600))}")")" '401 token is unauthorized'
t_eq "4 expired" "$(put 1 "$BODY" -H "Authorization: Bearer $(mktok secret HS256 "{\"exp\":$((now - 10))}")")" '401 token is expired'
t_eq "nbf in the future" "$(put 1 "$BODY" -H "Authorization: Bearer $(mktok secret HS256 "{\"nbf\":$((now + 600))}")")" '401 token nbf validation failed'
t_eq "iat in the future" "$(put 1 "$BODY" -H "Authorization: Bearer $(mktok secret HS256 "{\"iat\":$((now + 600))}")")" '401 token iat validation failed'
t_eq "no exp, with aud/sub: accepted" "$(put 1 "$BODY" -H "Authorization: Bearer $(mktok secret HS256 '{"aud":"alces-ct","sub":"1"}')")" '200 {"status":200}'
hdr=$(curl -s -o /dev/null -D - -X PUT --data-binary "$BODY" "$base/1/metrics" | tr -d '\r')
t_contains "401 is plain text" "$hdr" "Content-Type: text/plain; charset=utf-8"
t_contains "with nosniff" "$hdr" "X-Content-Type-Options: nosniff"
t_eq "5 lower-case bearer" "$(put 1 "$BODY" -H "Authorization: bearer $TOKEN")" '200 {"status":200}'
t_eq "6 jwt cookie" "$(put 1 "$BODY" -H "Cookie: jwt=$TOKEN")" '200 {"status":200}'

# §7 7-21: decoding, validation, devices
t_eq "7 empty body" "$(put 1 "" "${A[@]}")" '400 {"errors":[{"title":"Bad Request","detail":"EOF"}],"status":400}'
t_eq "8 truncated" "$(put 1 "{" "${A[@]}")" '400 {"errors":[{"title":"Bad Request","detail":"unexpected EOF"}],"status":400}'
t_eq "9 ttl as a string" "$(put 1 '{"name":"foo","value":1,"type":"int32","slope":"both","ttl":"60"}' "${A[@]}")" \
    '400 {"errors":[{"title":"Bad Request","detail":"json: cannot unmarshal string into Go struct field putMetricRequest.ttl of type int"}],"status":400}'
v422() { echo "422 {\"errors\":[$1],\"status\":422}"; }
e() { echo "{\"status\":422,\"title\":\"$1\",\"detail\":\"$2\",\"source\":\"$3\"}"; }
t_eq "10 name required" "$(put 1 '{"type":"int32","name":"","value":1,"units":" ","slope":"both","ttl":60}' "${A[@]}")" \
    "$(v422 "$(e required 'name is a required field' name)")"
t_eq "11 name blank" "$(put 1 '{"type":"int32","name":" ","value":1,"units":" ","slope":"both","ttl":60}' "${A[@]}")" \
    "$(v422 "$(e notblank 'name cannot be blank' name)")"
TYPES='type must be one of [string int8 uint8 int16 uint16 int32 uint32 float double]'
t_eq "12 bad type" "$(put 1 '{"type":"invalid","name":"foo","value":1,"units":" ","slope":"both","ttl":60}' "${A[@]}")" \
    "$(v422 "$(e oneof "$TYPES" type)")"
t_eq "13 bad slope" "$(put 1 '{"type":"int32","name":"foo","value":1,"units":" ","slope":"invalid","ttl":60}' "${A[@]}")" \
    "$(v422 "$(e oneof 'slope must be one of [zero positive negative both derivative]' slope)")"
t_eq "14 ttl 0" "$(put 1 '{"type":"int32","name":"foo","value":1,"units":" ","slope":"both","ttl":0}' "${A[@]}")" \
    "$(v422 "$(e required 'ttl is a required field' ttl)")"
t_eq "15 ttl -1" "$(put 1 '{"type":"int32","name":"foo","value":1,"units":" ","slope":"both","ttl":-1}' "${A[@]}")" \
    "$(v422 "$(e min 'ttl must be 1 or greater' ttl)")"
t_eq "16 units with <" "$(put 1 '{"type":"int32","name":"foo","value":1,"units":"<","slope":"both","ttl":1}' "${A[@]}")" \
    "$(v422 "$(e excludesall "units cannot contain any of the following characters '\\u003c\\u003e'\\\"\\u0026'" units)")"
for tv in 'int32 "a string"' 'int32 3.14' 'double "a string"' 'string 10' 'string 3.14' 'uint32 -1'; do
    t=${tv%% *} v=${tv#* }
    t_eq "17 $t with $v" "$(put 1 "{\"type\":\"$t\",\"name\":\"foo\",\"value\":$v,\"units\":\"\",\"slope\":\"both\",\"ttl\":60}" "${A[@]}")" \
        "$(v422 "$(e validtype "value is not valid for type $t" value)")"
done
t_eq "18 no value" "$(put 1 '{"type":"int32","name":"foo","slope":"both","ttl":60}' "${A[@]}")" \
    "$(v422 "$(e required 'value is a required field' value),$(e validtype 'value is not valid for type int32' value)")"
t_eq "19 four failures in order" "$(put 1 '{"name":"","type":"bogus","slope":"","ttl":-5,"value":1}' "${A[@]}")" \
    "$(v422 "$(e required 'name is a required field' name),$(e oneof "$TYPES" type),$(e required 'slope is a required field' slope),$(e min 'ttl must be 1 or greater' ttl)")"
for ok in '{"type":"string","name":"foo","value":"","slope":"both","ttl":60}' \
    '{"type":"int32","name":"foo","value":0,"slope":"both","ttl":60}' \
    '{"type":"uint32","name":"foo","value":0,"slope":"both","ttl":60}' \
    '{"type":"int8","name":"foo","value":1000,"slope":"both","ttl":60}' \
    '{"NAME":"foo","TYPE":"double","VALUE":1.5,"SLOPE":"both","TTL":60}'; do
    t_eq "20 accepted: $ok" "$(put 1 "$ok" "${A[@]}")" '200 {"status":200}'
done
t_eq "21 unknown device" "$(put NOPE "$BODY" "${A[@]}")" \
    '404 {"errors":[{"title":"Host Not Found","detail":"adding host: Unknown host: NOPE"}],"status":404}'
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
t_eq "a body past the limit is 413" "$(put 1 "{\"name\":\"$big\"}" "${A[@]}" | cut -c1-3)" 413
t_eq "30 wrong method" "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$base/1/metrics")" "405 0"
t_eq "30 unknown path" "$(get /nothing/here/at/all)" '404 page not found 404'

# §7 22: before the first processing run (the compactor is not running yet)
W503='{"errors":[{"title":"Service Unavailable","detail":"Waiting on metric processing run"}],"status":503}'
t_eq "22 metrics/current before a run" "$(get /metrics/current)" "$W503 503"
t_eq "22 metric current before a run" "$(get /metrics/caffeine.level/current)" "$W503 503"
t_eq "22 device current before a run" "$(get /devices/1/metrics/current)" "$W503 503"
t_eq "29 historic on an empty store" "$(get /metrics/historic)" "[] 200"

# reports survive a restart of the workers before any run
t_eq "report os" "$(put 1 '{"name":"os","value":"linux","units":"","type":"string","slope":"zero","ttl":60}' "${A[@]}")" '200 {"status":200}'
t_eq "report cap" "$(put 1 '{"name":"cap","value":10,"units":"","type":"int32","slope":"zero","ttl":60}' "${A[@]}")" '200 {"status":200}'
t_eq "report t (ttl 1)" "$(put 1 '{"name":"t","value":1,"units":"","type":"int32","slope":"both","ttl":1}' "${A[@]}")" '200 {"status":200}'
t_eq "report caffeine" "$(put 1 "$BODY" "${A[@]}")" '200 {"status":200}'
kill -9 $(t_workers "$T_MASTER")
t_check "the workers come back" vigil_wait_http "http://127.0.0.1:$T_PORT/mrd/status" 200 20

"$BIN/vigil-compactor" --config "$conf" 2>>"$T_DIR/compactor.log" &
T_PIDS+=($!)
for _ in $(seq 1 100); do
    [ "$(get /devices/1/metrics/current | tail -c 3)" = 200 ] && break
    sleep 0.1
done
dev1=$(curl -s "$base/devices/1/metrics/current")
t_contains "23 device 1 has caffeine.level" "$dev1" '{"id":"caffeine.level","name":"caffeine.level","nature":"volatile","units":"","value":12}'
t_contains "25 os is string_and_time" "$dev1" '{"id":"os","name":"os","nature":"string_and_time","units":"","value":"linux"}'
t_contains "25 cap is constant" "$dev1" '{"id":"cap","name":"cap","nature":"constant","units":"","value":10}'
t_eq "23 metric current" "$(curl -s "$base/metrics/caffeine.level/current")" '[{"id":"1","value":12}]'
t_contains "23 metrics current" "$(curl -s "$base/metrics/current")" '{"id":"caffeine.level","max":12,"min":12,"name":"caffeine.level","nature":"volatile","units":""}'
t_contains "25 os has null min/max" "$(curl -s "$base/metrics/current")" '{"id":"os","max":null,"min":null,"name":"os","nature":"string_and_time","units":""}'
t_eq "24 device 2 never reported" "$(get /devices/2/metrics/current)" \
    '{"errors":[{"title":"Not Found","detail":"Host not found"}],"status":404} 404'
t_eq "24 unknown metric" "$(get /metrics/nope/current)" '{"errors":[{"title":"Not Found","detail":"Metric not found"}],"status":404} 404'
sleep 2.5
t_check "26 t goes stale after its ttl" bash -c "! curl -s '$base/devices/1/metrics/current' | grep -q '\"id\":\"t\"'"
t_eq "26 device 1 still answers" "$(get /devices/1/metrics/current | tail -c 3)" 200
hist=$(curl -s "$base/metrics/historic")
t_contains "25 historic lists cap" "$hist" '{"id":"cap","name":"cap"}'
t_check "25 but not os" bash -c "! grep -q '\"os\"' <<<'$hist'"

# §7 27-29: historic errors
t_eq "27 bad duration" "$(get /metrics/caffeine.level/historic/last/week)" \
    '{"errors":[{"title":"Bad Request","detail":"week is not a valid LastDuration, try [hour, day, quarter]"}],"status":400} 400'
t_eq "28 bad start" "$(get /metrics/caffeine.level/historic/abc/1696431300)" \
    "{\"errors\":[{\"title\":\"Bad Request\",\"detail\":\"Time format 'abc' is not valid: invalid syntax. It should be integer number of seconds since the unix epoch.\"}],\"status\":400} 400"
NF='{"errors":[{"title":"Not Found","detail":"Host not found"}],"status":404} 404'
t_eq "29 unknown device history" "$(get /devices/NOPE/metrics/caffeine.level/historic/last/hour)" "$NF"
t_eq "29 never reported" "$(get /devices/1/metrics/never.reported/historic/last/hour)" \
    '{"errors":[{"title":"Not Found","detail":"Metric not found"}],"status":404} 404'
t_eq "29 unknown device's list" "$(get /devices/NOPE/metrics/historic)" "$NF"
got=$(curl -s "$base/devices/1/metrics/caffeine.level/historic/last/hour" | /usr/bin/python3 -c '
import json, sys
rows = json.load(sys.stdin)
vals = [r["value"] for r in rows if r["value"] is not None]
print(len(rows), rows[1]["timestamp"] - rows[0]["timestamp"], sorted(set(vals)))')
t_eq "historic last hour: 15 s rows, the value recorded" "$got" "241 15 [12]"

# the same data through PromQL (the default project's appkey)
key=$(t_appkey "$conf" "$(sed -n 's/^default_project = //p' "$conf")")
got=$(curl -s -H "X-TC-APP-KEY: $key" "http://127.0.0.1:$T_PORT/prometheus/api/v1/query" \
    --data-urlencode 'query={__name__="caffeine.level",device="1"}' |
    /usr/bin/python3 -c 'import json,sys; print([r["value"][1] for r in json.load(sys.stdin)["data"]["result"]])')
t_eq "PromQL reads the recorded value" "$got" "['12']"

# POST /token (§3.5) exists only behind [concertim] token_endpoint; vigil-fcgi as plain CGI
cgi_token() { # on|off BODY
    REQUEST_METHOD=POST PATH_INFO=/mrd/token CONTENT_LENGTH=${#2} CONTENT_TYPE=application/json \
        VIGIL_CONCERTIM_TOKEN_ENDPOINT=$1 "$BIN/vigil-fcgi" --config "$conf" <<<"$2" 2>/dev/null | tr -d '\r'
}
t_contains "POST /token is a 404 by default" "$(cgi_token off '{"expires_in":3600000000000}')" "Status: 404"
out=$(cgi_token on '{"expires_in":3600000000000}')
t_contains "with token_endpoint on it issues a token" "$out" '{"status":200,"token":"'
tok=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$out")
t_eq "which reports" "$(put 1 "$BODY" -H "Authorization: Bearer $tok")" '200 {"status":200}'
t_contains "an empty body is the decoder's EOF" "$(cgi_token on '')" '"detail":"EOF"'
tok=$(cgi_token on '{"expires_in":5}' | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
t_eq "expires_in under a second makes an expired token" "$(put 1 "$BODY" -H "Authorization: Bearer $tok")" '401 token is expired'

t_done

#!/usr/bin/env bash
# tests/integration/test_ctl_import.sh - vigilctl import and dump against a store, no server:
# Prometheus text, line protocol and OpenMetrics files come back from dump exactly as expected,
# a dump re-imported into a fresh store dumps identically, batch boundaries change nothing, a
# bad line is reported as FILE:LINE: with a nonzero exit, and a 32 MiB file imports in bounded
# memory.
. "$(dirname "$0")/lib.sh"

export VIGIL_FAKE_NOW=2024-01-01T00:00:00Z # the time of samples written without one
conf=$(t_conf ctl)
conf2=$(t_conf ctl2)
ctl() { "$BIN/vigilctl" --config "$conf" "$@"; }
ctl2() { "$BIN/vigilctl" --config "$conf2" "$@"; }
all='{__name__=~".+"}'

# HELP/TYPE, escapes in label values, the special values, timestamps out of order, 1970
cat >"$T_DIR/data.prom" <<'EOF'
# HELP http_requests_total Requests "served",\nper code.
# TYPE http_requests_total counter
http_requests_total{code="200",path="/a\\b"} 7 1704067215000
http_requests_total{code="200",path="/a\\b"} 3 1704067200000
http_requests_total{path="say \"hi\"\nbye",code="500"} 1 1704067200000
# a plain comment

odd_values{kind="nan"} NaN 1704067200000
odd_values{kind="pinf"} +Inf 1704067200000
odd_values{kind="ninf"} -Inf 1704067200000
odd_values{kind="stale"} stale 1704067200000
odd_values{kind="frac"} 0.1 1704067200000
odd_values{kind="tiny"} -1e-310 1704067200000
odd_values{kind="big"} 1.7976931348623157e308 1704067200000
epoch_metric 42 1000
no_timestamp 5
EOF
# a string field holding a newline makes no sample and does not end its line
printf '%s\n' '# line protocol, nanoseconds' \
    'cpu,host=web-1,region=eu usage_idle=92.5,usage_user=3i 1704067260000000000' \
    'cpu,host=web-1,region=eu usage_idle=91,usage_user=4i 1704067200000000000' \
    'disk,host=web\ 2 free=100u,ok=true,note="two' 'lines" 1704067200000000000' \
    'temp value=21.5' >"$T_DIR/data.lp"
cat >"$T_DIR/data.om" <<'EOF'
# TYPE build info
# HELP build Build information.
build_info{version="1.2.3"} 1 1704067200.5
# TYPE req counter
req_total{code="200"} 18 1704067261
req_total{code="200"} 17 1704067201.123
# EOF
EOF
cat >"$T_DIR/want.txt" <<'EOF'
build_info{version="1.2.3"} 1 1704067200500
cpu_usage_idle{host="web-1",region="eu"} 91 1704067200000
cpu_usage_idle{host="web-1",region="eu"} 92.5 1704067260000
cpu_usage_user{host="web-1",region="eu"} 4 1704067200000
cpu_usage_user{host="web-1",region="eu"} 3 1704067260000
disk_free{host="web 2"} 100 1704067200000
disk_ok{host="web 2"} 1 1704067200000
epoch_metric 42 1000
http_requests_total{code="200",path="/a\\b"} 3 1704067200000
http_requests_total{code="200",path="/a\\b"} 7 1704067215000
http_requests_total{code="500",path="say \"hi\"\nbye"} 1 1704067200000
no_timestamp 5 1704067200000
odd_values{kind="big"} 1.7976931348623157e+308 1704067200000
odd_values{kind="frac"} 0.10000000000000001 1704067200000
odd_values{kind="nan"} NaN 1704067200000
odd_values{kind="ninf"} -Inf 1704067200000
odd_values{kind="pinf"} +Inf 1704067200000
odd_values{kind="stale"} stale 1704067200000
odd_values{kind="tiny"} -9.9999999999999694e-311 1704067200000
req_total{code="200"} 17 1704067201123
req_total{code="200"} 18 1704067261000
temp 21.5 1704067200000
EOF

t_check "import of Prometheus text" ctl import "$T_DIR/data.prom" 2>>"$T_DIR/ctl.log"
ctl import "$T_DIR/data.lp" >/dev/null 2>&1
t_eq "line protocol without --db is refused, as POST /write refuses it" $? 2
stream0=$(ctl status | awk '$1 == "stream_bytes" { print $2 }')
summary=$(ctl import --db telegraf --rp autogen "$T_DIR/data.lp" 2>&1)
t_contains "import of line protocol" "$summary" "imported 7 samples in 1 batches from $T_DIR/data.lp"
stream1=$(ctl status | awk '$1 == "stream_bytes" { print $2 }')
t_check "line protocol goes to the stream log too" test "$stream1" -gt "$stream0"
t_check "import of OpenMetrics" ctl import "$T_DIR/data.om" 2>>"$T_DIR/ctl.log"
ctl dump --match "$all" >"$T_DIR/dump1.txt"
t_check "dump prints exactly the expected text" diff -u "$T_DIR/want.txt" "$T_DIR/dump1.txt"
ctl dump --match 'http_requests_total{code="200"}' --start 1704067201 \
    --end 2024-01-01T00:00:15Z >"$T_DIR/range.txt"
t_eq "dump --match --start --end" "$(cat "$T_DIR/range.txt")" \
    'http_requests_total{code="200",path="/a\\b"} 7 1704067215000'

t_check "the dump imports into a fresh store" ctl2 import - <"$T_DIR/dump1.txt" 2>>"$T_DIR/ctl.log"
ctl2 dump --match "$all" >"$T_DIR/dump2.txt"
t_check "which dumps identically" cmp "$T_DIR/dump1.txt" "$T_DIR/dump2.txt"

printf 'ok_metric 1 1000\nok_metric 2 2000\nbad_metric{ 3\n' >"$T_DIR/bad.prom"
ctl import "$T_DIR/bad.prom" 2>"$T_DIR/bad.err"
t_eq "a bad line exits 1" $? 1
t_eq "and is reported as FILE:LINE:" "$(head -1 "$T_DIR/bad.err")" \
    "$T_DIR/bad.prom:3: invalid label name for metric \"bad_metric\""

# batches: OpenMetrics pieces get their own terminator, line protocol is cut outside strings,
# and line numbers count from the start of the file (the 50 strings before the bad line hold one
# newline each, so it is on line 50051)
/usr/bin/python3 - "$T_DIR" <<'PY'
import sys
d, T0 = sys.argv[1], 1700000000 * 10**9
om = []
for f in range(300):
    om += ["# HELP fam%d_total Family %d." % (f, f), "# TYPE fam%d counter" % f]
    om += ['fam%d_total{i="%d"} %d %d.%03d' % (f, i % 7, i, 1700000000 + i, i) for i in range(100)]
open(d + "/multi.om", "w").write("\n".join(om + ["# EOF"]) + "\n")
lp = []
for i in range(60000):
    if i % 1000 == 999:
        lp.append('logs,host=h%d msg="one\ntwo \\" three",n=%di %d' % (i % 5, i, T0 + i * 10**9))
    else:
        lp.append("load,host=h%d usage=%d.5,idle=%di %d" % (i % 5, i, i, T0 + i * 10**9))
open(d + "/multi.lp", "w").write("\n".join(lp) + "\n")
open(d + "/late-bad.lp", "w").write("\n".join(lp[:50000] + ["load,host=x usage="] + lp[50000:]) + "\n")
PY
ctl import --batch-mb 1 "$T_DIR/multi.om" 2>/dev/null &&
    ctl import --batch-mb 1 --db telegraf "$T_DIR/multi.lp" 2>/dev/null
t_eq "multi-batch imports succeed" $? 0
ctl2 import --batch-mb 64 "$T_DIR/multi.om" 2>/dev/null &&
    ctl2 import --batch-mb 64 --db telegraf "$T_DIR/multi.lp" 2>/dev/null
ctl dump --match '{__name__=~"fam.*|load_.*|logs_.*"}' >"$T_DIR/small.txt"
ctl2 dump --match '{__name__=~"fam.*|load_.*|logs_.*"}' >"$T_DIR/whole.txt"
t_eq "1 MiB batches store what one batch stores" "$(md5sum <"$T_DIR/small.txt")" \
    "$(md5sum <"$T_DIR/whole.txt")"
t_eq "every sample is there" "$(wc -l <"$T_DIR/small.txt")" 149940
conf3=$(t_conf ctl3)
"$BIN/vigilctl" --config "$conf3" import --batch-mb 1 --db t "$T_DIR/late-bad.lp" 2>"$T_DIR/late.err"
t_eq "a bad line in a later batch exits 1" $? 1
t_eq "with its line number in the file" "$(head -1 "$T_DIR/late.err")" \
    "$T_DIR/late-bad.lp:50051: unable to parse 'load,host=x usage=': missing field value"
got=$("$BIN/vigilctl" --config "$conf3" dump --match 'load_usage' | wc -l)
t_check "the batches before it stay stored" test "$got" -gt 0

# 32 MiB in 4 MiB batches: peak RSS stays under 64 MiB (the store's shared regions included)
/usr/bin/python3 - "$T_DIR/big.prom" <<'PY'
import sys
rows, size, i = [], 0, 0
while size < 32 << 20:
    l = 'bench_metric{host="host-%04d",job="node",cpu="%d"} %d.%03d %d\n' % (
        i % 1000, i % 8, i * 7 % 100000, i % 1000, 1700000000000 + (i // 1000) * 15000)
    rows.append(l)
    size += len(l)
    i += 1
open(sys.argv[1], "w").write("".join(rows))
PY
want=$(wc -l <"$T_DIR/big.prom")
conf4=$(t_conf ctl4)
/usr/bin/time -v -o "$T_DIR/big.time" "$BIN/vigilctl" --config "$conf4" import "$T_DIR/big.prom" \
    2>"$T_DIR/big.err"
t_eq "the 32 MiB import succeeds" $? 0
rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$T_DIR/big.time")
echo "  32 MiB import: peak RSS ${rss} KiB, $(tail -1 "$T_DIR/big.err")"
t_check "with peak RSS under 64 MiB" test "$rss" -lt 65536
t_contains "summary line" "$(cat "$T_DIR/big.err")" "imported $want samples in"
t_eq "and every sample stored" \
    "$("$BIN/vigilctl" --config "$conf4" dump --match bench_metric | wc -l)" "$want"

t_done

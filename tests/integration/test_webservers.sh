#!/usr/bin/env bash
# tests/integration/test_webservers.sh - vigil-fcgi behind real nginx (master mode on a unix
# socket), Apache httpd + mod_fcgid and lighttpd (both spawning vigil-fcgi with its socket on
# fd 0), each with the shipped config (conf/nginx.conf, apache/vigil.conf, conf/lighttpd.conf)
# on a free 127.0.0.1 port: routing, errors, bodies and headers must come through unchanged.
# One server at a time; each is stopped, and checked to be gone, before the next starts.
. "$(dirname "$0")/lib.sh"

ROOT=$VIGIL_ROOT
MAX_MB=1 # vigil's body limit here: the 2 MiB body must get vigil's 413
VIGIL_ENV=(VIGIL_FCGI_DEBUG_ROUTES=on "VIGIL_FCGI_MAX_BODY_MB=$MAX_MB")
WAIT_S=8     # longest wait for a server to come up (or go away)
WS_MASTER="" # the vigil-fcgi master behind nginx

vigil_need_pkgs nginx-light apache2 libapache2-mod-fcgid lighttpd || exit 1

# Apache and lighttpd started as root run themselves and vigil-fcgi as another account, which
# needs its own files and a way through $T_DIR (mktemp made it 0700).
if [ "$(id -u)" -eq 0 ]; then
    if id www-data >/dev/null 2>&1; then RUN_USER=www-data RUN_GROUP=$(id -gn www-data)
    else RUN_USER=nobody RUN_GROUP=$(id -gn nobody); fi
    chmod 0755 "$T_DIR"
else
    RUN_USER=$(id -un) RUN_GROUP=$(id -gn)
fi
give() { [ "$(id -u)" -ne 0 ] || chown -R "$RUN_USER:$RUN_GROUP" "$@"; }

# random body for the echo check: odd-sized, so it ends mid-record and mid-buffer
head -c $((100 * 1024 + 7)) /dev/urandom >"$T_DIR/body.bin"
BODY_SHA=$(sha256sum <"$T_DIR/body.bin" | cut -d' ' -f1)
head -c $((2 * 1024 * 1024)) /dev/zero >"$T_DIR/big.bin"

# ws_req NAME CURL-ARGS...: one request; its status, head and body go to $R/NAME.{code,hdr,body}
R=$T_DIR/responses
mkdir -p "$R"
ws_req() {
    local name=$1
    shift
    curl -s --max-time 10 -o "$R/$name.body" -D "$R/$name.hdr" -w '%{http_code}' "$@" \
        >"$R/$name.code" 2>/dev/null || true
}
ws_code() { cat "$R/$1.code"; }
ws_body() { cat "$R/$1.body"; }
# the value of header $2 in response $1 (of the final response: skips "100 Continue")
ws_hdr() {
    tr -d '\r' <"$R/$1.hdr" |
        awk -v h="$2" 'BEGIN { h = tolower(h) ":" }
            /^HTTP\// { v = "" }
            { split($0, a, " "); if (tolower(a[1]) == h) { sub(/^[^:]*: */, ""); v = $0 } }
            END { print v }'
}

# The checks every server must pass; $1 names the server, $2 is its base URL, $3 the store.
ws_checks() {
    local s=$1 url=$2 store=$3

    ws_req "$s-health" "$url/healthz"
    t_eq "$s: GET /healthz status" "$(ws_code "$s-health")" 200
    t_contains "$s: GET /healthz body" "$(ws_body "$s-health")" '"status":"ok"'
    # the config path reached vigil: its store is ours
    t_contains "$s: vigil runs with our config" "$(ws_body "$s-health")" "\"home\":\"$store\""

    ws_req "$s-nope" "$url/nope"
    t_eq "$s: GET /nope status" "$(ws_code "$s-nope")" 404
    t_eq "$s: GET /nope body" "$(ws_body "$s-nope")" \
        '{"status":"error","error":"not_found","message":"no such path: /nope"}'

    # the whole URL space is vigil's: "/" and an encoded slash too, not the server's own pages
    ws_req "$s-root" "$url/"
    t_eq "$s: GET / status" "$(ws_code "$s-root")" 404
    t_eq "$s: GET / body" "$(ws_body "$s-root")" \
        '{"status":"error","error":"not_found","message":"no such path: /"}'
    ws_req "$s-2f" "$url/a%2Fb"
    t_eq "$s: GET /a%2Fb status" "$(ws_code "$s-2f")" 404
    t_eq "$s: GET /a%2Fb body" "$(ws_body "$s-2f")" \
        '{"status":"error","error":"not_found","message":"no such path: /a/b"}'

    ws_req "$s-delete" -X DELETE "$url/healthz"
    t_eq "$s: DELETE /healthz status" "$(ws_code "$s-delete")" 405
    t_eq "$s: DELETE /healthz Allow" "$(ws_hdr "$s-delete" Allow)" "GET, HEAD"
    t_contains "$s: DELETE /healthz body" "$(ws_body "$s-delete")" \
        '"error":"method_not_allowed"'

    ws_req "$s-big" -H 'Content-Type: application/octet-stream' \
        --data-binary @"$T_DIR/big.bin" "$url/_vigil/echo"
    t_eq "$s: 2 MiB POST status" "$(ws_code "$s-big")" 413
    t_eq "$s: 2 MiB POST body is vigil's" "$(ws_body "$s-big")" \
        "{\"status\":\"error\",\"error\":\"too_large\",\"message\":\"request body of 2097152 bytes exceeds the limit of $((MAX_MB * 1048576)) bytes\"}"

    ws_req "$s-echo" -H 'Content-Type: application/x-vigil-test; v=1' \
        --data-binary @"$T_DIR/body.bin" "$url/_vigil/echo"
    t_eq "$s: binary echo status" "$(ws_code "$s-echo")" 200
    t_eq "$s: binary echo sha256" "$(sha256sum <"$R/$s-echo.body" | cut -d' ' -f1)" \
        "$BODY_SHA"
    t_eq "$s: binary echo Content-Type" "$(ws_hdr "$s-echo" Content-Type)" \
        "application/x-vigil-test; v=1"
    t_eq "$s: binary echo X-Vigil-Body-Length" "$(ws_hdr "$s-echo" X-Vigil-Body-Length)" \
        $((100 * 1024 + 7))

    # vigil does not echo headers; the request must simply come through whole
    ws_req "$s-auth" -H 'Authorization: Bearer abc' -H 'Content-Type: text/plain' \
        --data-binary 'with a token' "$url/_vigil/echo"
    t_eq "$s: POST with Authorization status" "$(ws_code "$s-auth")" 200
    t_eq "$s: POST with Authorization body" "$(ws_body "$s-auth")" 'with a token'

    ws_req "$s-qs" "$url/healthz?a=%20b&c=d%2Fe"
    t_eq "$s: GET /healthz?a=%20b status" "$(ws_code "$s-qs")" 200
    ws_req "$s-badqs" "$url/healthz?a=%zz"
    t_eq "$s: GET /healthz?a=%zz status" "$(ws_code "$s-badqs")" 400
    t_contains "$s: GET /healthz?a=%zz body" "$(ws_body "$s-badqs")" 'invalid URL escape'
}

# All descendants of pid $1.
ws_tree() {
    local p
    for p in $(pgrep -P "$1"); do
        echo "$p"
        ws_tree "$p"
    done
}

# Drops pid $1 from T_PIDS once it is reaped, so cleanup never signals a reused pid.
ws_forget() {
    local keep=() p
    for p in "${T_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    T_PIDS=("${keep[@]}")
}

# ws_stop NAME PID [URL]: SIGTERM; then the process, every descendant (and the port) must be
# gone.
ws_stop() {
    local s=$1 pid=$2 url=${3:-} tree left="" p
    tree=$(ws_tree "$pid")
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 $((WAIT_S * 20))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    t_check "$s: stops on SIGTERM" eval "! kill -0 $pid 2>/dev/null"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    ws_forget "$pid"
    for _ in $(seq 1 $((WAIT_S * 20))); do
        left=""
        for p in $tree; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
        [ -z "$left" ] && break
        sleep 0.05
    done
    t_eq "$s: no process of it left" "$left" ""
    for p in $left; do kill -KILL "$p" 2>/dev/null; done
    [ -n "$url" ] || return 0
    t_eq "$s: port closed" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/healthz")" \
        000
}

# ws_up NAME PID URL LOG...: waits for /healthz to answer 200, at most WAIT_S seconds and only
# while PID runs; on failure shows the logs.
ws_up() {
    local s=$1 pid=$2 url=$3 end=$((SECONDS + WAIT_S))
    shift 3
    while [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url/healthz")" = 200 ] &&
            return 0
        sleep 0.05
    done
    echo "$s did not come up on $url; the last log lines:" >&2
    tail -n 15 "$@" >&2 2>/dev/null
    return 1
}

# Runs one server: $1 names it, start_$1 PORT starts it (setting WS_PID and WS_STORE and
# WS_LOGS); a port someone took meanwhile gets a second try on another.
ws_run() {
    local s=$1 port url up="" t0=$SECONDS
    echo "-- $s"
    for _ in 1 2 3; do
        port=$(vigil_free_port)
        url=http://127.0.0.1:$port
        WS_PID="" WS_LOGS=()
        "start_$s" "$port" || break
        if ws_up "$s" "$WS_PID" "$url" "${WS_LOGS[@]}"; then
            up=1
            break
        fi
        kill -0 "$WS_PID" 2>/dev/null && break # running but not answering: no second try
        wait "$WS_PID" 2>/dev/null
        ws_forget "$WS_PID"
        WS_PID=""
    done
    t_check "$s: comes up on 127.0.0.1" test -n "$up"
    [ -n "$up" ] && ws_checks "$s" "$url" "$WS_STORE"
    [ -n "$WS_PID" ] && ws_stop "$s" "$WS_PID" "$url"
    [ -n "$WS_MASTER" ] && ws_stop "$s: vigil master" "$WS_MASTER"
    WS_MASTER=""
    echo "-- $s: $((SECONDS - t0)) s"
}

# nginx with conf/nginx.conf as scripts/serve fills it in; vigil-fcgi master + 2 workers.
start_nginx() {
    local port=$1 d=$T_DIR/nginx conf
    conf=$(t_conf nginx "${VIGIL_ENV[@]}")
    WS_STORE=$d/store
    if [ -z "$WS_MASTER" ]; then
        t_start_master "$conf" "$d/vigil.sock" 2 || return 1
        WS_MASTER=$T_MASTER
    fi
    mkdir -p "$d/nginx"
    vigil_nginx_conf "$d/nginx" "127.0.0.1:$port" "unix:$d/vigil.sock" "$MAX_MB" \
        >"$d/nginx/nginx.conf"
    /usr/sbin/nginx -p "$d/nginx" -c "$d/nginx/nginx.conf" -e "$d/nginx/error.log" \
        >>"$d/nginx/stderr" 2>&1 &
    WS_PID=$!
    T_PIDS+=("$WS_PID")
    WS_LOGS=("$d/nginx/error.log" "$d/nginx/stderr" "$T_DIR/vigil.log")
}

# Apache with a private server config around apache/vigil.conf: own ServerRoot, pid file,
# logs, mutexes and mod_fcgid dirs; never /etc/apache2 or the system service.
start_apache() {
    local port=$1 d=$T_DIR/apache conf m=/usr/lib/apache2/modules
    conf=$(t_conf apache "${VIGIL_ENV[@]}")
    WS_STORE=$d/store
    rm -rf "$d/run" "$d/fcgid"
    mkdir -p "$d/run" "$d/fcgid"
    sed -e "s|@LISTEN@|127.0.0.1:$port|g" -e "s|@VIGIL_FCGI@|$BIN/vigil-fcgi|g" \
        -e "s|@CONFIG@|$conf|g" -e "s|@MAX_BODY_BYTES@|$(((MAX_MB + 1) * 1048576))|g" \
        "$ROOT/apache/vigil.conf" >"$d/site.conf"
    cat >"$d/httpd.conf" <<EOF
ServerRoot "$d"
ServerName 127.0.0.1
PidFile "$d/run/httpd.pid"
ErrorLog "$d/error.log"
LogLevel warn
DefaultRuntimeDir "$d/run"
Mutex file:$d/run default
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule alias_module $m/mod_alias.so
LoadModule fcgid_module $m/mod_fcgid.so
User $RUN_USER
Group $RUN_GROUP
FcgidIPCDir "$d/fcgid"
FcgidProcessTableFile "$d/run/fcgid_shm"
Include "$d/site.conf"
EOF
    give "$d"
    /usr/sbin/apache2 -f "$d/httpd.conf" -DFOREGROUND >>"$d/stderr" 2>&1 &
    WS_PID=$!
    T_PIDS+=("$WS_PID")
    WS_LOGS=("$d/error.log" "$d/stderr")
}

# lighttpd with conf/lighttpd.conf: it spawns vigil-fcgi itself (bin-path).
start_lighttpd() {
    local port=$1 d=$T_DIR/lighttpd conf
    conf=$(t_conf lighttpd "${VIGIL_ENV[@]}")
    WS_STORE=$d/store
    mkdir -p "$d/upload" "$d/empty"
    sed -e "s|@HOST@|127.0.0.1|g" -e "s|@PORT@|$port|g" -e "s|@PREFIX@|$d|g" \
        -e "s|@USER@|$RUN_USER|g" -e "s|@GROUP@|$RUN_GROUP|g" \
        -e "s|@VIGIL_FCGI@|$BIN/vigil-fcgi|g" -e "s|@CONFIG@|$conf|g" \
        -e "s|@MAX_BODY_KB@|$(((MAX_MB + 1) * 1024))|g" \
        "$ROOT/conf/lighttpd.conf" >"$d/lighttpd.conf"
    give "$d"
    /usr/sbin/lighttpd -D -f "$d/lighttpd.conf" >>"$d/stderr" 2>&1 &
    WS_PID=$!
    T_PIDS+=("$WS_PID")
    WS_LOGS=("$d/error.log" "$d/stderr")
}

ws_run nginx
ws_run apache
ws_run lighttpd
t_done

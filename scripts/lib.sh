# scripts/lib.sh - shared by scripts/serve, scripts/test and the test/bench scripts: package
# installation, building, free ports and waiting for a server.
# shellcheck shell=bash

VIGIL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# what building and serving need (Debian package names)
VIGIL_BUILD_PKGS="build-essential cmake ninja-build pkg-config libfcgi-dev libjson-c-dev
  libdb5.3-dev libjwt-dev libssl-dev libcmocka-dev libpcre2-dev libprotobuf-c-dev
  protobuf-c-compiler libsnappy-dev zlib1g-dev curl libcurl4-openssl-dev"
VIGIL_SERVE_PKGS="nginx-light db5.3-util"
# what the tests add: the three web servers, FastCGI tools, valgrind, the test glue, and
# prometheus for promtool (a real query client) and the benchmarks' reference, and
# prometheus-node-exporter for the scraper's end-to-end test
VIGIL_TEST_PKGS="apache2 libapache2-mod-fcgid lighttpd libfcgi-bin spawn-fcgi valgrind
  python3 python3-snappy clang libclang-rt-14-dev prometheus prometheus-node-exporter"

vigil_log() { printf '%s\n' "$*" >&2; }

# Installs the packages that are missing; does nothing (and needs no root) when all are there.
vigil_need_pkgs() {
    local missing=() p installed
    # one dpkg-query for all: serve runs this on every start
    installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
        awk '$1 == "ii" { printf "%s ", $2 }') "
    for p in "$@"; do
        case $installed in *" $p "*) ;; *) missing+=("$p") ;; esac
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    vigil_log "installing: ${missing[*]}"
    local sudo="" prc=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    # a package's postinst must not start a system-wide service (nginx, apache2, lighttpd):
    # while installing, policy-rc.d refuses every service start
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
        $sudo chmod 755 /usr/sbin/policy-rc.d
        prc=1
    fi
    local rc=0
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" \
        >/tmp/vigil-apt.log 2>&1 || {
        $sudo apt-get update -q >>/tmp/vigil-apt.log 2>&1
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" \
            >>/tmp/vigil-apt.log 2>&1 || rc=1
    }
    [ -n "$prc" ] && $sudo rm -f /usr/sbin/policy-rc.d
    if [ $rc -ne 0 ]; then
        vigil_log "apt-get install failed; see /tmp/vigil-apt.log"
        tail -n 20 /tmp/vigil-apt.log >&2
    fi
    return $rc
}

# Configures (Ninja: a build with nothing to do takes milliseconds, which serve's start-up
# needs) and builds into $1 (default build/) with extra cmake arguments after it.
vigil_build() {
    local dir=${1:-$VIGIL_ROOT/build}
    shift || true
    if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
        rm -rf "$dir" # configured with another generator: start over
    fi
    mkdir -p "$dir"
    if [ ! -f "$dir/CMakeCache.txt" ]; then
        cmake -S "$VIGIL_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir/configure.log" 2>&1 ||
            { cat "$dir/configure.log" >&2; return 1; }
    fi
    cmake --build "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1 ||
        { grep -E 'error|Error' -A3 "$dir/build.log" | head -60 >&2; return 1; }
}

# Prints a TCP port on 127.0.0.1 that nothing listens on.
vigil_free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until URL answers with HTTP status $2 (default 200), at most $3 seconds (default 10).
vigil_wait_http() {
    local url=$1 want=${2:-200} secs=${3:-10} i code
    for ((i = 0; i < secs * 20; i++)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null) || true
        [ "$code" = "$want" ] && return 0
        sleep 0.05
    done
    return 1
}

# Prints conf/nginx.conf filled in: $1 nginx's prefix dir, $2 listen host:port, $3 the vigil
# FastCGI address (unix:/path or host:port), $4 vigil's [fcgi] max_body_mb (nginx's own limit
# is set 1 MiB above it, so vigil answers its own 413).
vigil_nginx_conf() {
    sed -e "s|@PREFIX@|$1|g" -e "s|@LISTEN@|$2|g" -e "s|@USER@|$(id -un) $(id -gn)|g" \
        -e "s|@FASTCGI@|$3|g" -e "s|@MAX_BODY@|$(($4 + 1))m|g" "$VIGIL_ROOT/conf/nginx.conf"
}

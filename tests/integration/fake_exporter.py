#!/usr/bin/python3
# tests/integration/fake_exporter.py - a scrape target for test_scraper.sh (stdlib only). Binds
# 127.0.0.1 on a free port, writes the port to PORTFILE, and serves:
#   /good/metrics     text 0.0.4 with HELP/TYPE and a scraped `job` label (-> exported_job)
#   /gzip/metrics     OpenMetrics, gzip-encoded when the client accepts gzip
#   /hang/metrics     headers, then nothing for 60 s (the scraper's timeout must cut it)
#   /garbage/metrics  200 with a body no parser takes
#   /big/metrics      100 MB of valid text, streamed (the body limit must cut it)
#   /change/metrics   flappy_a and flappy_b; only flappy_a after GET /_set?change=1
#   /error/metrics    500 Internal Server Error
#   /_requests        JSON: per path, how many requests and the last request's headers
# SPDX-License-Identifier: MIT
import gzip
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

STATE = {"change": False, "requests": {}}
LOCK = threading.Lock()

GOOD = (
    "# HELP fake_requests_total Requests the fake exporter pretends to have served.\n"
    "# TYPE fake_requests_total counter\n"
    'fake_requests_total{code="200",job="inner"} 42\n'
    'fake_requests_total{code="500",job="inner"} 3\n'
    "# TYPE fake_temperature gauge\n"
    "fake_temperature 21.5\n"
)
GZIP_OM = (
    "# TYPE fake_gzip_bytes gauge\n"
    "# HELP fake_gzip_bytes A gauge served gzip-encoded.\n"
    'fake_gzip_bytes{kind="compressed"} 1234\n'
    "# EOF\n"
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_body(self, body, ctype, code=200, extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        path = url.path
        if path == "/_set":
            q = parse_qs(url.query)
            with LOCK:
                STATE["change"] = q.get("change", ["0"])[0] == "1"
            return self.send_body(b"ok\n", "text/plain")
        if path == "/_requests":
            with LOCK:
                body = json.dumps(STATE["requests"]).encode()
            return self.send_body(body, "application/json")
        with LOCK:
            r = STATE["requests"].setdefault(path, {"count": 0, "headers": {}})
            r["count"] += 1
            r["headers"] = {k.lower(): v for k, v in self.headers.items()}
        try:
            self.serve_metrics(path)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def serve_metrics(self, path):
        if path == "/good/metrics":
            self.send_body(GOOD.encode(), "text/plain; version=0.0.4; charset=utf-8")
        elif path == "/gzip/metrics":
            ctype = "application/openmetrics-text; version=1.0.0; charset=utf-8"
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                body = gzip.compress(GZIP_OM.encode())
                self.send_body(body, ctype, extra={"Content-Encoding": "gzip"})
            else:
                self.send_body(GZIP_OM.encode(), ctype)
        elif path == "/hang/metrics":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"fake_hang 1\n")
            self.wfile.flush()
            for _ in range(600):  # 60 s, or until the client gives up
                time.sleep(0.1)
                self.wfile.write(b"")
        elif path == "/garbage/metrics":
            self.send_body(b"this is { not an exposition\n\x00\x01\x02", "text/plain; version=0.0.4")
        elif path == "/big/metrics":
            total = 100 * 1024 * 1024
            line = b'fake_big{i="%08d"} 1\n'
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(total))
            self.end_headers()
            chunk = b"".join(line % i for i in range(4096))
            sent = 0
            while sent < total:
                part = chunk[: total - sent]
                self.wfile.write(part)
                sent += len(part)
        elif path == "/change/metrics":
            with LOCK:
                change = STATE["change"]
            body = "flappy_a 1\n" + ("" if change else "flappy_b 2\n")
            self.send_body(body.encode(), "text/plain; version=0.0.4")
        elif path == "/error/metrics":
            self.send_body(b"oops\n", "text/plain", code=500)
        else:
            self.send_body(b"not found\n", "text/plain", code=404)


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# bench/store_gen.py - the Python half of bench/store: builds the request bodies up front (remote
# write through tests/support/promrw.py, Prometheus text 0.0.4, InfluxDB line protocol), sends
# them over a few keep-alive connections, times read requests and samples a worker's
# Private_Dirty during one large import. Standard library and python3-snappy only.
# SPDX-License-Identifier: MIT
"""Subcommands (each prints one JSON object on stdout; progress goes to stderr):
  series-bodies DIR ...   remote-write (.rw) and exposition (.prom) bodies per group and window
  lp-bodies DIR ...       line-protocol (.lp) bodies per group and window
  catalog-bodies DIR ...  remote-write bodies loading many series with one sample each
  big-expo FILE ...       one exposition body of about the given size
  send URL DIR KIND ...   sends DIR/g*/w*.KIND, one thread and connection per group, in order
  latency URL PATH ...    sequential GETs on one connection: median and p99
  watch-post URL FILE ... POSTs FILE while sampling the Private_Dirty of a master's children
send, latency and watch-post take --appkey KEY: vigil's appkey, sent as X-TC-APP-KEY.
"""
import argparse
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests',
                                'support'))
import promrw  # noqa: E402  (found through the path set just above)

CTYPES = {
    'rw': {'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy',
           'X-Prometheus-Remote-Write-Version': '0.1.0'},
    'prom': {'Content-Type': 'text/plain; version=0.0.4'},
    'lp': {'Content-Type': 'text/plain; charset=utf-8'},
}

# twenty metric names of a node/process/HTTP exporter and how their values move between
# scrapes. The kinds decide how well the values compress; the mix (a third constant or nearly
# so, integer counters, a few noisy floats) is meant to be like an exporter's, and Prometheus
# stores it at about the bytes per sample it is known for on real data.
METRICS = [
    ('up', 'const'),
    ('node_cpu_seconds_total', 'counter_f2'),
    ('node_memory_MemAvailable_bytes', 'gauge_pages'),
    ('node_network_receive_bytes_total', 'counter_big'),
    ('node_network_receive_errs_total', 'const_zero'),
    ('node_disk_io_time_seconds_total', 'counter_f3'),
    ('node_memory_MemTotal_bytes', 'const_int'),
    ('node_filesystem_avail_bytes', 'gauge_slow'),
    ('node_filesystem_size_bytes', 'const_int'),
    ('http_requests_total', 'counter_small'),
    ('process_resident_memory_bytes', 'gauge_pages'),
    ('process_start_time_seconds', 'const_int'),
    ('process_open_fds', 'gauge_int'),
    ('go_goroutines', 'gauge_int'),
    ('go_memstats_alloc_bytes', 'gauge_random_int'),
    ('http_request_duration_seconds_bucket', 'counter_small'),
    ('node_context_switches_total', 'counter_big'),
    ('node_time_seconds', 'clock'),
    ('scrape_duration_seconds', 'gauge_random'),
    ('scrape_samples_scraped', 'const_int'),
]
REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-south-1']


def log(msg):
    print('[store_gen] ' + msg, file=sys.stderr, flush=True)


class Series:
    """One series of the ingest data: its label pairs (sorted by name, as Prometheus sends
    them), a scrape phase and a value that moves like its metric's kind."""

    def __init__(self, n, jobs):
        name, self.kind = METRICS[n % len(METRICS)]
        target = n // len(METRICS)
        job = target % jobs
        self.labels = [('__name__', name), ('env', 'prod' if target % 4 else 'staging'),
                       ('instance', '10.%d.%d.%d:9100' % (target >> 16 & 255, target >> 8 & 255,
                                                         target & 255)),
                       ('job', 'job-%d' % job), ('region', REGIONS[target % len(REGIONS)]),
                       ('team', 'team-%d' % (job % 7))]
        self.phase = n * 7919 % 15000  # targets are scraped at spread-out offsets
        self.rng = random.Random(n)
        self.v = {'const': 1.0, 'const_int': float(self.rng.randint(100, 10 ** 10)),
                  'gauge_pages': 4096.0 * self.rng.randint(100000, 4000000),
                  'gauge_slow': 4096.0 * self.rng.randint(10 ** 6, 10 ** 8),
                  'gauge_int': float(self.rng.randint(10, 500)),
                  'gauge_f2': round(self.rng.uniform(0, 4), 2)}.get(self.kind, 0.0)

    def next(self, t_ms):
        r, k = self.rng, self.kind
        if k == 'counter_f2':  # CPU seconds: idle modes often do not move
            if r.random() < 0.5:
                self.v = round(self.v + r.uniform(0, 15), 2)
        elif k == 'counter_f3':  # disk busy time: idle disks do not move
            if r.random() < 0.3:
                self.v = round(self.v + r.uniform(0, 2), 3)
        elif k == 'counter_big':
            self.v += r.randint(1000, 10 ** 6)
        elif k == 'counter_small':
            if r.random() < 0.6:
                self.v += r.randint(1, 20)
        elif k == 'gauge_pages':
            self.v = max(4096.0, self.v + 4096 * r.randint(-500, 500))
        elif k == 'gauge_slow':
            if r.random() < 0.05:
                self.v += 4096 * r.randint(-1000, 1000)
        elif k == 'gauge_int':
            if r.random() < 0.3:
                self.v = max(0.0, self.v + r.randint(-3, 3))
        elif k == 'gauge_f2':
            self.v = round(max(0.0, self.v + r.uniform(-0.3, 0.3)), 2)
        elif k == 'gauge_random_int':
            self.v = float(r.randint(10 ** 6, 10 ** 9))
        elif k == 'gauge_random':
            self.v = r.uniform(0.001, 0.5)
        elif k == 'clock':
            self.v = t_ms / 1000.0
        return self.v


def fmt_value(v):
    # repr keeps every bit of a float; integral values print as Prometheus prints them
    return '%d' % v if v == int(v) and abs(v) < 1e15 else repr(v)


def expo_labels(labels):
    return labels[0][1] + '{' + ','.join('%s="%s"' % (k, v) for k, v in labels[1:]) + '}'


def write_file(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def cmd_series_bodies(a):
    """groups x series-per-group series; window w of group g holds `samples` consecutive
    scrapes (step apart) of every series of g, so timestamps rise per series across windows."""
    total = 0
    raw_bytes = 0
    t0 = time.time()
    for g in range(a.groups):
        d = os.path.join(a.dir, 'g%02d' % g)
        os.makedirs(d, exist_ok=True)
        series = [Series(g * a.series + i, a.jobs) for i in range(a.series)]
        for w in range(a.windows):
            rw, text = [], []
            for s in series:
                pts = []
                for j in range(a.samples):
                    t = a.start_ms + s.phase + (w * a.samples + j) * a.step_ms
                    pts.append((t, s.next(t)))
                rw.append((s.labels, pts))
                if a.expo:
                    head = expo_labels(s.labels) + ' '
                    text.extend('%s%s %d\n' % (head, fmt_value(v), t) for t, v in pts)
            raw = promrw.write_request(rw)
            raw_bytes += len(raw)
            write_file(os.path.join(d, 'w%05d.rw' % w), promrw.compress(raw))
            if a.expo:
                write_file(os.path.join(d, 'w%05d.prom' % w), ''.join(text).encode())
            if w < a.bad:
                # the same body plus one series without a metric name at the end: vigil parses
                # all of it, then refuses it (400) and stores nothing, so it times the parse
                bad = raw + promrw.write_request([([('job', 'bad')], [(a.start_ms, 1.0)])])
                write_file(os.path.join(d, 'w%05d.rw.bad' % w), promrw.compress(bad))
                if a.expo:
                    write_file(os.path.join(d, 'w%05d.prom.bad' % w),
                               ''.join(text).encode() + b'bad line without a value\n')
            total += a.series * a.samples
    log('%d samples in %d x %d bodies in %.1f s' % (total, a.groups, a.windows, time.time() - t0))
    last = a.start_ms + 14999 + (a.windows * a.samples - 1) * a.step_ms
    json.dump({'samples': total, 'series': a.groups * a.series, 'requests': a.groups * a.windows,
               'raw_rw_bytes': raw_bytes, 'first_ms': a.start_ms, 'last_ms': last}, sys.stdout)
    print()


def cmd_lp_bodies(a):
    """Line protocol: each line a measurement with three tags and two float fields; window w of
    group g holds `stamps` consecutive timestamps (step seconds apart) of every series of g."""
    measurements = ['cpu', 'mem', 'disk', 'net', 'diskio', 'system', 'processes', 'swap',
                    'kernel', 'nginx']
    fields = {'cpu': ('usage_user', 'usage_system'), 'mem': ('used_percent', 'available'),
              'disk': ('used_percent', 'free'), 'net': ('bytes_recv', 'bytes_sent'),
              'diskio': ('read_time', 'write_time'), 'system': ('load1', 'load5'),
              'processes': ('running', 'sleeping'), 'swap': ('used_percent', 'free'),
              'kernel': ('interrupts', 'context_switches'), 'nginx': ('active', 'requests')}
    lines_total = 0
    t0 = time.time()
    for g in range(a.groups):
        d = os.path.join(a.dir, 'g%02d' % g)
        os.makedirs(d, exist_ok=True)
        heads, rngs, vals = [], [], []
        for i in range(a.series):
            n = g * a.series + i
            m = measurements[n % len(measurements)]
            host = n // len(measurements)
            heads.append('%s,host=host-%d,region=%s,dc=dc-%d %s=' % (
                m, host, REGIONS[host % len(REGIONS)], host % 3, fields[m][0]))
            rngs.append(random.Random(n))
            vals.append([rngs[-1].uniform(0, 100), rngs[-1].uniform(0, 1e6)])
        f2 = [',%s=' % fields[measurements[(g * a.series + i) % len(measurements)]][1]
              for i in range(a.series)]
        for w in range(a.windows):
            out = []
            for j in range(a.stamps):
                ts = a.start_s + (w * a.stamps + j) * a.step_s
                for i in range(a.series):
                    v = vals[i]
                    v[0] = round(max(0.0, v[0] + rngs[i].uniform(-1, 1)), 2)
                    v[1] = round(v[1] + rngs[i].uniform(0, 1000), 1)
                    out.append('%s%r%s%r %d\n' % (heads[i], v[0], f2[i], v[1], ts))
            write_file(os.path.join(d, 'w%05d.lp' % w), ''.join(out).encode())
            lines_total += len(out)
    log('%d lines in %d x %d bodies in %.1f s' % (lines_total, a.groups, a.windows,
                                                   time.time() - t0))
    json.dump({'points': lines_total, 'fields': 2 * lines_total, 'series': a.groups * a.series,
               'requests': a.groups * a.windows}, sys.stdout)
    print()


def cmd_catalog_bodies(a):
    """jobs x instances x metrics series with one sample each, `per_body` series a body, in one
    group: job-J selects instances x metrics series, a metric name jobs x instances."""
    d = os.path.join(a.dir, 'g00')
    os.makedirs(d, exist_ok=True)
    batch, w, n = [], 0, 0
    for j in range(a.jobs):
        for i in range(a.instances):
            for m in range(min(a.metrics, len(METRICS))):
                labels = [('__name__', METRICS[m][0]), ('env', 'prod'),
                          ('instance', 'host-%d-%d:9100' % (j, i)), ('job', 'job-%d' % j),
                          ('region', REGIONS[(j + i) % len(REGIONS)])]
                batch.append((labels, [(a.ts_ms, float(n % 1000))]))
                n += 1
                if len(batch) == a.per_body:
                    write_file(os.path.join(d, 'w%05d.rw' % w),
                               promrw.compress(promrw.write_request(batch)))
                    batch, w = [], w + 1
    if batch:
        write_file(os.path.join(d, 'w%05d.rw' % w), promrw.compress(promrw.write_request(batch)))
        w += 1
    json.dump({'series': n, 'samples': n, 'requests': w}, sys.stdout)
    print()


def cmd_big_expo(a):
    """One exposition body of about `bytes` bytes: 10 scrapes of as many series as it takes."""
    out, size, n = [], 0, 0
    samples = 0
    while size < a.bytes:
        s = Series(n, 50)
        head = expo_labels(s.labels) + ' '
        for j in range(10):
            t = a.start_ms + s.phase + j * 15000
            line = '%s%s %d\n' % (head, fmt_value(s.next(t)), t)
            out.append(line)
            size += len(line)
        samples += 10
        n += 1
    write_file(a.file, ''.join(out).encode())
    json.dump({'bytes': size, 'series': n, 'samples': samples}, sys.stdout)
    print()


def auth(a):
    """The header that carries vigil's appkey (--appkey); none without it."""
    return {'X-TC-APP-KEY': a.appkey} if a.appkey else {}


def connect(url, timeout):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=timeout), u


def cmd_send(a):
    """One thread per group directory, each with its own keep-alive connection, sending that
    group's windows in order. No group runs more than `lag` windows ahead of the slowest, so
    the newest and oldest samples in flight stay within Prometheus's append window."""
    groups = sorted(x for x in os.listdir(a.dir) if x.startswith('g'))
    files = [sorted(f for f in os.listdir(os.path.join(a.dir, g)) if f.endswith('.' + a.kind))
             for g in groups]
    done = [0] * len(groups)
    cond = threading.Condition()
    results = []
    lock = threading.Lock()
    headers = dict(CTYPES[a.kind.split('.')[0]], **auth(a))

    def run(gi):
        conn, u = connect(a.url, a.timeout)
        path = u.path + ('?' + u.query if u.query else '')
        stats = {'ok': 0, 'failed': 0, 'statuses': {}, 'first_error': '', 'bytes': 0,
                 'lat': []}
        for w, name in enumerate(files[gi]):
            with cond:
                cond.wait_for(lambda: min(done) >= w - a.lag)
            with open(os.path.join(a.dir, groups[gi], name), 'rb') as f:
                body = f.read()
            t = time.perf_counter()
            try:
                conn.request('POST', path, body=body, headers=headers)
                r = conn.getresponse()
                text = r.read()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn, u = connect(a.url, a.timeout)
                status, text = 0, str(e).encode()
            stats['lat'].append(time.perf_counter() - t)
            stats['bytes'] += len(body)
            stats['statuses'][str(status)] = stats['statuses'].get(str(status), 0) + 1
            if status == a.expect:
                stats['ok'] += 1
            else:
                stats['failed'] += 1
                if not stats['first_error']:
                    stats['first_error'] = '%s %s: %d %s' % (groups[gi], name, status,
                                                             text[:300].decode(errors='replace'))
            with cond:
                done[gi] = w + 1
                cond.notify_all()
        conn.close()
        with lock:
            results.append(stats)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(groups))]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    statuses = {}
    for r in results:
        for k, v in r['statuses'].items():
            statuses[k] = statuses.get(k, 0) + v
    lat = sorted(x for r in results for x in r['lat'])
    json.dump({'seconds': secs, 'requests': len(lat),
               'ok': sum(r['ok'] for r in results), 'failed': sum(r['failed'] for r in results),
               'statuses': statuses, 'bytes': sum(r['bytes'] for r in results),
               'mean_ms': 1000 * statistics.mean(lat) if lat else None,
               'median_ms': 1000 * statistics.median(lat) if lat else None,
               'first_error': next((r['first_error'] for r in results if r['first_error']), '')},
              sys.stdout)
    print()


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float('nan')


def cmd_latency(a):
    """GET PATH `n` times on one keep-alive connection after `warm` untimed requests."""
    conn, u = connect(a.url, a.timeout)
    times, failed, size, count = [], 0, 0, None
    for i in range(a.warm + a.n):
        t = time.perf_counter()
        conn.request('GET', a.path, headers=auth(a))
        r = conn.getresponse()
        body = r.read()
        dt = time.perf_counter() - t
        if r.status != 200:
            failed += 1
            if failed == 1:
                log('%s: %d %s' % (a.path, r.status, body[:200].decode(errors='replace')))
            continue
        if i >= a.warm:
            times.append(dt)
        size = len(body)
        if count is None:
            try:
                count = len(json.loads(body)['data'])
            except (ValueError, KeyError, TypeError):
                count = -1
    conn.close()
    json.dump({'median_ms': 1000 * statistics.median(times) if times else None,
               'p99_ms': 1000 * quantile(times, 0.99) if times else None,
               'failed': failed, 'bytes': size, 'results': count, 'n': len(times)}, sys.stdout)
    print()


def children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def private_dirty_kb(pid):
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for line in f:
                if line.startswith('Private_Dirty:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmd_watch_post(a):
    """POSTs FILE once and, meanwhile, every `interval` s, reads the Private_Dirty of every
    child of the master (the workers); reports the maximum and a coarse timeline to `trace`."""
    with open(a.file, 'rb') as f:
        body = f.read()
    stop = threading.Event()
    trace = []
    base = {p: private_dirty_kb(p) for p in children(a.master)}

    def sample():
        t0 = time.perf_counter()
        while not stop.is_set():
            vals = {p: private_dirty_kb(p) for p in children(a.master)}
            trace.append((time.perf_counter() - t0, max(vals.values()) if vals else 0))
            time.sleep(a.interval)

    th = threading.Thread(target=sample)
    th.start()
    conn, u = connect(a.url, a.timeout)
    t = time.perf_counter()
    try:
        conn.request('POST', u.path + ('?' + u.query if u.query else ''), body=body,
                     headers=dict(CTYPES['prom'], **auth(a)))
        r = conn.getresponse()
        text = r.read()
        status = r.status
    except (OSError, http.client.HTTPException) as e:
        status, text = 0, str(e).encode()
    secs = time.perf_counter() - t
    time.sleep(0.05)  # one more sample after the answer: memory kept past the request
    stop.set()
    th.join()
    after = {p: private_dirty_kb(p) for p in children(a.master)}
    with open(a.trace, 'w') as f:
        for x, kb in trace:
            f.write('%.3f %d\n' % (x, kb))
    json.dump({'status': status, 'seconds': secs, 'bytes': len(body),
               'error': '' if 200 <= status < 300 else text[:300].decode(errors='replace'),
               'base_kb': max(base.values()) if base else 0,
               'peak_kb': max((kb for _, kb in trace), default=0),
               'after_kb': max(after.values()) if after else 0,
               'samples': len(trace), 'workers': sorted(after)}, sys.stdout)
    print()


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('series-bodies')
    s.add_argument('dir')
    s.add_argument('--groups', type=int, default=4)
    s.add_argument('--series', type=int, default=1000, help='series per group and body')
    s.add_argument('--samples', type=int, default=10, help='samples per series and body')
    s.add_argument('--windows', type=int, default=10, help='bodies per group')
    s.add_argument('--start-ms', type=int, required=True)
    s.add_argument('--step-ms', type=int, default=15000)
    s.add_argument('--jobs', type=int, default=50)
    s.add_argument('--expo', action='store_true', help='also write the .prom text bodies')
    s.add_argument('--bad', type=int, default=0, help='parse-only copies of the first N windows')
    s = sub.add_parser('lp-bodies')
    s.add_argument('dir')
    s.add_argument('--groups', type=int, default=4)
    s.add_argument('--series', type=int, default=1000)
    s.add_argument('--stamps', type=int, default=5)
    s.add_argument('--windows', type=int, default=10)
    s.add_argument('--start-s', type=int, required=True)
    s.add_argument('--step-s', type=int, default=15)
    s = sub.add_parser('catalog-bodies')
    s.add_argument('dir')
    s.add_argument('--jobs', type=int, default=100)
    s.add_argument('--instances', type=int, default=50)
    s.add_argument('--metrics', type=int, default=20)
    s.add_argument('--per-body', type=int, default=10000)
    s.add_argument('--ts-ms', type=int, required=True)
    s = sub.add_parser('big-expo')
    s.add_argument('file')
    s.add_argument('--bytes', type=int, required=True)
    s.add_argument('--start-ms', type=int, required=True)
    s = sub.add_parser('send')
    s.add_argument('url')
    s.add_argument('dir')
    s.add_argument('kind', choices=['rw', 'prom', 'lp', 'rw.bad', 'prom.bad'])
    s.add_argument('--expect', type=int, default=204, help='the status that counts as success')
    s.add_argument('--lag', type=int, default=8)
    s.add_argument('--timeout', type=float, default=120)
    s.add_argument('--appkey', help='sent as X-TC-APP-KEY')
    s = sub.add_parser('latency')
    s.add_argument('url')
    s.add_argument('path')
    s.add_argument('--n', type=int, default=20)
    s.add_argument('--warm', type=int, default=2)
    s.add_argument('--timeout', type=float, default=60)
    s.add_argument('--appkey', help='sent as X-TC-APP-KEY')
    s = sub.add_parser('watch-post')
    s.add_argument('url')
    s.add_argument('file')
    s.add_argument('--master', type=int, required=True)
    s.add_argument('--interval', type=float, default=0.01)
    s.add_argument('--trace', required=True)
    s.add_argument('--timeout', type=float, default=300)
    s.add_argument('--appkey', help='sent as X-TC-APP-KEY')
    a = p.parse_args()
    {'series-bodies': cmd_series_bodies, 'lp-bodies': cmd_lp_bodies,
     'catalog-bodies': cmd_catalog_bodies, 'big-expo': cmd_big_expo, 'send': cmd_send,
     'latency': cmd_latency, 'watch-post': cmd_watch_post}[a.cmd](a)


if __name__ == '__main__':
    main()

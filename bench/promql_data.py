#!/usr/bin/python3
# bench/promql_data.py - the datasets and the Python half of bench/promql and
# tests/conformance/promql-compliance: writes each dataset twice (OpenMetrics with second
# timestamps for `promtool tsdb create-blocks-from openmetrics`, Prometheus text 0.0.4 with ms
# timestamps in bodies for vigil's import endpoint, the same samples), loads the bodies, compares
# query answers, times queries against two servers and samples a worker's Private_Dirty during
# one query. Standard library only.
# SPDX-License-Identifier: MIT
"""Subcommands (each prints one JSON object on stdout; progress goes to stderr):
  demo DIR --end-s S ...       the compliance dataset (three demo-service targets, 5 s scrapes)
  bench DIR --end-s S ...      the benchmark dataset (counters, gauges, classic histograms)
  load URL DIR                 POSTs DIR/import/*.prom in order on one connection
  bench-queries ...            the benchmark queries against vigil and Prometheus, alternating
  watch-query URL ...          one query while sampling the Private_Dirty of a master's children
  count-samples URL ...        the samples a server holds over a span, summed over metric names
The ones that talk to vigil take --appkey KEY, sent as X-TC-APP-KEY (to vigil only).
"""
import argparse
import http.client
import json
import math
import os
import random
import re
import statistics
import sys
import threading
import time
import urllib.parse
# the /proc readers bench/store uses, from its helper beside this file
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from store_gen import children, private_dirty_kb  # noqa: E402

BODY_LIMIT = 8 << 20  # bytes per import body
EPSILON = 1e-6  # relative tolerance of value comparisons


def log(msg):
    print('[promql_data] ' + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# writing a dataset
# ---------------------------------------------------------------------------------------------

def fmt_value(v):
    """Shortest text that reads back as the same double (both parsers round correctly)."""
    return repr(float(v))


def _esc(v):
    return v.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


class Writer:
    """Writes whole series, one after the other and each in time order, to DIR/data.om and to
    DIR/import/NNNNN.prom bodies of at most `limit` bytes. Series of one metric name are written
    together, as OpenMetrics wants its families."""

    def __init__(self, outdir, limit=BODY_LIMIT):
        self.dir = os.path.join(outdir, 'import')
        os.makedirs(self.dir, exist_ok=True)
        self.om = open(os.path.join(outdir, 'data.om'), 'w')
        self.limit = limit
        self.body, self.size, self.nbodies = [], 0, 0
        self.series = self.samples = 0
        self.min_ms, self.max_ms = None, None

    def add(self, name, labels, points):
        """labels: (name, value) pairs without __name__; points: (ts_ms, value) rising."""
        if not points:
            return
        sel = name + '{' + ','.join('%s="%s"' % (k, _esc(v)) for k, v in labels) + '}'
        om = []
        for ts, v in points:
            val = fmt_value(v)
            om.append('%s %s %d.%03d\n' % (sel, val, ts // 1000, ts % 1000))
            line = '%s %s %d\n' % (sel, val, ts)
            if self.size + len(line) > self.limit and self.body:
                self._flush()
            self.body.append(line)
            self.size += len(line)
        self.om.write(''.join(om))
        self.series += 1
        self.samples += len(points)
        lo, hi = points[0][0], points[-1][0]
        self.min_ms = lo if self.min_ms is None else min(self.min_ms, lo)
        self.max_ms = hi if self.max_ms is None else max(self.max_ms, hi)

    def _flush(self):
        with open(os.path.join(self.dir, '%05d.prom' % self.nbodies), 'w') as f:
            f.write(''.join(self.body))
        self.nbodies += 1
        self.body, self.size = [], 0

    def close(self):
        if self.body:
            self._flush()
        self.om.write('# EOF\n')
        self.om.close()
        return {'series': self.series, 'samples': self.samples, 'bodies': self.nbodies,
                'min_ms': self.min_ms, 'max_ms': self.max_ms}


def scrape_times(rng, start_ms, end_ms, step_ms, phase_ms):
    """One target's scrape timestamps: every step from start+phase, a few ms of jitter."""
    out = []
    t = start_ms + phase_ms
    while t <= end_ms:
        out.append(t + rng.randint(0, 25))
        t += step_ms
    return out


class Counter:
    """A counter that restarts from zero at the given sample indexes (process restarts)."""

    def __init__(self, resets, v=0.0):
        self.resets, self.v = resets, v

    def step(self, i, inc):
        if i in self.resets:
            self.v = 0.0
        self.v += inc
        return self.v


def histogram_series(rng, times, resets, bounds, rate_of, median_s, spread):
    """The cumulative buckets (+Inf last), sum and count of one classic histogram. Each scrape
    adds n observations spread over the buckets by a log-normal latency distribution, so
    buckets stay monotone in le and +Inf equals count."""
    cdf = []
    for b in bounds:
        if math.isinf(b):
            cdf.append(1.0)
        else:
            z = (math.log(b) - math.log(median_s)) / spread
            cdf.append(0.5 * (1 + math.erf(z / math.sqrt(2))))
    buckets = [[] for _ in bounds]
    sums, counts = [], []
    cum = [0.0] * len(bounds)
    s = c = 0.0
    prev = None
    for i, t in enumerate(times):
        if i in resets:
            cum = [0.0] * len(bounds)
            s = c = 0.0
        dt = (t - prev) / 1000.0 if prev is not None else 5.0
        prev = t
        n = max(0, int(round(rate_of(t) * dt * rng.uniform(0.7, 1.3))))
        for j, p in enumerate(cdf):
            cum[j] += round(n * p)
            buckets[j].append((t, cum[j]))
        c += n
        s = round(s + n * median_s * math.exp(spread * spread / 2) * rng.uniform(0.8, 1.25), 6)
        sums.append((t, s))
        counts.append((t, c))
    return buckets, sums, counts


def fmt_le(b):
    return '+Inf' if math.isinf(b) else repr(b)


DEMO_INSTANCES = ['demo.promlabs.com:10000', 'demo.promlabs.com:10001', 'demo.promlabs.com:10002']
DEMO_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, math.inf]
DEMO_ENDPOINTS = [('GET', '/api/foo', '200', 0.030, 8.0), ('POST', '/api/foo', '200', 0.080, 2.0),
                  ('GET', '/api/bar', '200', 0.020, 12.0), ('GET', '/api/bar', '500', 0.300, 0.3),
                  ('POST', '/api/bar', '503', 1.200, 0.1)]


def write_demo(outdir, end_ms, minutes=130, step_s=5, seed=1):
    """The compliance dataset: the metric names and label shapes of the demo service the
    compliance query list was written for, three targets scraped every step_s, ending at
    end_ms. Counters rise with occasional resets, gauges wander, demo_intermittent_metric comes
    and goes (its gaps are longer than the 5 m lookback)."""
    w = Writer(outdir)
    step = step_s * 1000
    start_ms = end_ms - minutes * 60000
    n = minutes * 60 // step_s + 1
    tgt = []
    for k, inst in enumerate(DEMO_INSTANCES):
        rng = random.Random('demo-times-%d-%d' % (seed, k))
        times = scrape_times(rng, start_ms, end_ms, step, (k * 1700) % step)
        # target 0 restarts a third of the way in, target 2 at 70 %; target 1 never
        resets = {0: {n // 3}, 1: set(), 2: {n * 7 // 10}}[k % 3]
        tgt.append({'inst': inst, 'times': times, 'resets': resets, 'ncpu': (4, 8, 2)[k % 3],
                    'mem': (8, 16, 4)[k % 3] * 2 ** 30, 'disk': (100, 250, 50)[k % 3] * 10 ** 9})
    base = [('instance', None), ('job', 'demo')]

    def lab(t, *extra):
        return sorted([(k, t['inst'] if v is None else v) for k, v in base] + list(extra))

    # demo_api_request_duration_seconds: buckets, then _count and _sum
    hist = {}
    for t in tgt:
        for m, p, st, med, rate in DEMO_ENDPOINTS:
            rng = random.Random('demo-hist-%d-%s-%s-%s-%s' % (seed, t['inst'], m, p, st))
            ph = rng.uniform(0, 2 * math.pi)
            hist[(t['inst'], m, p, st)] = histogram_series(
                rng, t['times'], t['resets'], DEMO_BOUNDS,
                lambda ts, r=rate, ph=ph: r * (1 + 0.5 * math.sin(ts / 900000.0 + ph)), med, 0.9)
    for t in tgt:
        for m, p, st, _, _ in DEMO_ENDPOINTS:
            buckets = hist[(t['inst'], m, p, st)][0]
            for b, pts in zip(DEMO_BOUNDS, buckets):
                w.add('demo_api_request_duration_seconds_bucket',
                      lab(t, ('le', fmt_le(b)), ('method', m), ('path', p), ('status', st)), pts)
    for idx, suffix in ((2, '_count'), (1, '_sum')):
        for t in tgt:
            for m, p, st, _, _ in DEMO_ENDPOINTS:
                w.add('demo_api_request_duration_seconds' + suffix,
                      lab(t, ('method', m), ('path', p), ('status', st)), hist[(t['inst'], m, p, st)][idx])

    # demo_batch_last_success_timestamp_seconds: a batch run every 150 s, one in five fails
    for k, t in enumerate(tgt):
        rng = random.Random('demo-batch-%d-%d' % (seed, k))
        last = float((start_ms // 1000) - 600)
        next_run = start_ms + rng.randint(0, 150000)
        pts = []
        for ts in t['times']:
            while next_run <= ts:
                if rng.random() >= 0.2:
                    last = float(next_run // 1000)
                next_run += 150000
            pts.append((ts, last))
        w.add('demo_batch_last_success_timestamp_seconds', lab(t), pts)

    # demo_cpu_usage_seconds_total{mode}
    for k, t in enumerate(tgt):
        for mode, frac in (('idle', 0.7), ('system', 0.1), ('user', 0.2)):
            rng = random.Random('demo-cpu-%d-%d-%s' % (seed, k, mode))
            c = Counter(t['resets'], rng.uniform(0, 1e5) if not t['resets'] else 0.0)
            pts, prev = [], None
            for i, ts in enumerate(t['times']):
                dt = (ts - prev) / 1000.0 if prev is not None else step_s
                prev = ts
                pts.append((ts, round(c.step(i, dt * t['ncpu'] * frac * rng.uniform(0.6, 1.4)), 3)))
            w.add('demo_cpu_usage_seconds_total', lab(t, ('mode', mode)), pts)

    # demo_disk_total_bytes, demo_disk_usage_bytes (grows, then a cleanup drops it)
    for t in tgt:
        w.add('demo_disk_total_bytes', lab(t), [(ts, float(t['disk'])) for ts in t['times']])
    for k, t in enumerate(tgt):
        rng = random.Random('demo-disk-%d-%d' % (seed, k))
        v = t['disk'] * rng.uniform(0.3, 0.6)
        pts = []
        for ts in t['times']:
            v += rng.randint(0, 4 * 10 ** 6)
            if v > t['disk'] * 0.62:
                v = t['disk'] * 0.35
            pts.append((ts, float(int(v))))
        w.add('demo_disk_usage_bytes', lab(t), pts)

    # demo_intermittent_metric: present 4 min, absent 7 min, per target shifted
    for k, t in enumerate(tgt):
        rng = random.Random('demo-int-%d-%d' % (seed, k))
        pts = []
        for ts in t['times']:
            if ((ts - start_ms) // 1000 + k * 200) % 660 < 240:
                pts.append((ts, float(rng.randint(0, 100))))
        w.add('demo_intermittent_metric', lab(t), pts)

    # demo_memory_usage_bytes{type}: used wanders, cached and buffers too, free is the rest
    for k, t in enumerate(tgt):
        rng = random.Random('demo-mem-%d-%d' % (seed, k))
        total = t['mem']
        used, cached, buffers = total * 0.4, total * 0.2, total * 0.03
        series = {'buffers': [], 'cached': [], 'free': [], 'used': []}
        for ts in t['times']:
            used = min(total * 0.65, max(total * 0.25, used + rng.randint(-2 ** 22, 2 ** 22)))
            cached = min(total * 0.3, max(total * 0.05, cached + rng.randint(-2 ** 20, 2 ** 20)))
            buffers = min(total * 0.05, max(total * 0.01, buffers + rng.randint(-2 ** 16, 2 ** 16)))
            u, c, b = float(int(used)), float(int(cached)), float(int(buffers))
            series['used'].append((ts, u))
            series['cached'].append((ts, c))
            series['buffers'].append((ts, b))
            series['free'].append((ts, float(total - u - c - b)))
        for typ in sorted(series):
            w.add('demo_memory_usage_bytes', lab(t, ('type', typ)), series[typ])

    # demo_num_cpus
    for t in tgt:
        w.add('demo_num_cpus', lab(t), [(ts, float(t['ncpu'])) for ts in t['times']])
    return w.close()


BENCH_JOBS = ['api', 'web', 'db', 'cache', 'queue']
BENCH_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, math.inf]
BENCH_HANDLERS = [('/api/v1/items', 0.04), ('/api/v1/users', 0.15)]
BENCH_CODES = [('GET', '200', 30.0), ('GET', '404', 0.8), ('GET', '500', 0.1),
               ('POST', '200', 8.0), ('POST', '404', 0.2), ('POST', '500', 0.05)]


def write_bench(outdir, end_ms, hours=6, step_s=15, instances=25, seed=2):
    """The benchmark dataset: `instances` targets of 43 series each (HTTP request counters,
    a two-handler latency histogram, CPU counters, memory gauges, open fds, up, a build-info
    metric), one scrape every step_s for `hours`, ending at end_ms. A quarter of the targets
    restart once (their counters reset)."""
    w = Writer(outdir)
    step = step_s * 1000
    start_ms = end_ms - hours * 3600000
    n = hours * 3600 // step_s + 1
    tgt = []
    for k in range(instances):
        rng = random.Random('bench-target-%d-%d' % (seed, k))
        times = scrape_times(rng, start_ms, end_ms, step, (k * 613) % step)
        resets = {rng.randint(n // 10, n - n // 10)} if k % 4 == 1 else set()
        tgt.append({'inst': 'host-%02d:9100' % k, 'job': BENCH_JOBS[k % len(BENCH_JOBS)],
                    'times': times, 'resets': resets, 'load': rng.uniform(0.3, 3.0),
                    'version': ('1.4.2', '1.5.0', '1.5.1')[k % 3],
                    'mem': (8, 16, 32, 64)[k % 4] * 2 ** 30})

    def lab(t, *extra):
        return sorted([('instance', t['inst']), ('job', t['job'])] + list(extra))

    def counter_pts(t, key, per_s, integral):
        rng = random.Random('bench-%d-%s-%s' % (seed, t['inst'], key))
        c = Counter(t['resets'])
        pts, prev = [], None
        for i, ts in enumerate(t['times']):
            dt = (ts - prev) / 1000.0 if prev is not None else step_s
            prev = ts
            wave = 1 + 0.6 * math.sin(ts / 2700000.0 + len(key))
            inc = per_s * t['load'] * wave * dt * rng.uniform(0.5, 1.5)
            if integral:
                inc = float(int(inc) + (rng.random() < inc - int(inc)))
            v = c.step(i, inc)
            pts.append((ts, v if integral else round(v, 2)))
        return pts

    for t in tgt:
        w.add('app_build_info', lab(t, ('version', t['version'])), [(ts, 1.0) for ts in t['times']])
    hist = {}
    for t in tgt:
        for h, med in BENCH_HANDLERS:
            rng = random.Random('bench-hist-%d-%s-%s' % (seed, t['inst'], h))
            hist[(t['inst'], h)] = histogram_series(
                rng, t['times'], t['resets'], BENCH_BOUNDS,
                lambda ts, ld=t['load']: 20 * ld * (1 + 0.6 * math.sin(ts / 2700000.0)), med, 1.0)
    for t in tgt:
        for h, _ in BENCH_HANDLERS:
            for b, pts in zip(BENCH_BOUNDS, hist[(t['inst'], h)][0]):
                w.add('http_request_duration_seconds_bucket',
                      lab(t, ('handler', h), ('le', fmt_le(b))), pts)
    for idx, suffix in ((2, '_count'), (1, '_sum')):
        for t in tgt:
            for h, _ in BENCH_HANDLERS:
                w.add('http_request_duration_seconds' + suffix, lab(t, ('handler', h)),
                      hist[(t['inst'], h)][idx])
    for t in tgt:
        for m, code, per_s in BENCH_CODES:
            w.add('http_requests_total', lab(t, ('code', code), ('method', m)),
                  counter_pts(t, 'req-%s-%s' % (m, code), per_s, True))
    for t in tgt:
        for cpu in ('0', '1'):
            for mode, frac in (('idle', 0.6), ('system', 0.1), ('user', 0.3)):
                w.add('node_cpu_seconds_total', lab(t, ('cpu', cpu), ('mode', mode)),
                      counter_pts(t, 'cpu-%s-%s' % (cpu, mode), frac / t['load'] if mode == 'idle'
                                  else frac * t['load'] / 3, False))
    for t in tgt:
        rng = random.Random('bench-mem-%d-%s' % (seed, t['inst']))
        v = t['mem'] * rng.uniform(0.3, 0.7)
        pts = []
        for ts in t['times']:
            v = min(t['mem'] * 0.9, max(t['mem'] * 0.05, v + 4096 * rng.randint(-2000, 2000)))
            pts.append((ts, float(int(v))))
        w.add('node_memory_MemAvailable_bytes', lab(t), pts)
    for t in tgt:
        w.add('node_memory_MemTotal_bytes', lab(t), [(ts, float(t['mem'])) for ts in t['times']])
    for t in tgt:
        rng = random.Random('bench-fds-%d-%s' % (seed, t['inst']))
        v = rng.randint(20, 400)
        pts = []
        for ts in t['times']:
            if rng.random() < 0.3:
                v = max(5, v + rng.randint(-5, 5))
            pts.append((ts, float(v)))
        w.add('process_open_fds', lab(t), pts)
    for k, t in enumerate(tgt):
        # one target in seven is down for a while
        down = (len(t['times']) // 3, len(t['times']) // 3 + 40) if k % 7 == 3 else (-1, -1)
        w.add('up', lab(t), [(ts, 0.0 if down[0] <= i < down[1] else 1.0) for i, ts in enumerate(t['times'])])
    return w.close()


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------

def appkey_headers(appkey):
    """The header that carries vigil's appkey; none without a key."""
    return {'X-TC-APP-KEY': appkey} if appkey else {}


class Client:
    """One keep-alive connection to a Prometheus-style API; `base` ends before /api/v1.
    `headers` go with every request (vigil's appkey)."""

    def __init__(self, base, timeout=300, headers=None):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = u.hostname, u.port, u.path.rstrip('/')
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.conn = None

    def request(self, method, path, params=None, body=None, headers=None):
        """(status, body bytes, seconds); status 0 when the connection failed."""
        url = self.prefix + path
        if params:
            url += '?' + urllib.parse.urlencode(params)
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            t = time.perf_counter()
            try:
                self.conn.request(method, url, body=body, headers=dict(self.headers, **(headers or {})))
                r = self.conn.getresponse()
                data = r.read()
                secs = time.perf_counter() - t
                if r.getheader('Connection', '').lower() == 'close':
                    self.conn.close()
                    self.conn = None
                return r.status, data, secs
            except (OSError, http.client.HTTPException) as e:
                self.conn.close()
                self.conn = None
                if attempt:
                    return 0, str(e).encode(), time.perf_counter() - t
        return 0, b'', 0.0

    def query(self, params):
        """GET /api/v1/query_range when params has `step`, else /api/v1/query."""
        return self.request('GET', '/api/v1/query_range' if 'step' in params else '/api/v1/query', params)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def post_bodies(url, files, ctype='text/plain; version=0.0.4', headers=None):
    """POSTs each file in order on one connection; the first refusal is reported."""
    c = Client(url, headers=headers)
    u = urllib.parse.urlsplit(url)
    c.prefix = ''
    path = u.path + ('?' + u.query if u.query else '')
    out = {'requests': 0, 'failed': 0, 'bytes': 0, 'first_error': ''}
    t0 = time.perf_counter()
    for fn in files:
        with open(fn, 'rb') as f:
            body = f.read()
        st, data, _ = c.request('POST', path, body=body, headers={'Content-Type': ctype})
        out['requests'] += 1
        out['bytes'] += len(body)
        if not 200 <= st < 300:
            out['failed'] += 1
            if not out['first_error']:
                out['first_error'] = '%s: %d %s' % (os.path.basename(fn), st,
                                                    data[:300].decode(errors='replace'))
    out['seconds'] = time.perf_counter() - t0
    c.close()
    return out


# ---------------------------------------------------------------------------------------------
# comparing answers as the compliance tester does: series sorted by labels, values within a
# relative tolerance, NaN equal to NaN; both failing counts as equal
# ---------------------------------------------------------------------------------------------

def parse_answer(status, raw):
    """{'ok': True, 'data': ...} or {'ok': False, 'error': text, 'type': errorType, 'http': status}."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return {'ok': False, 'http': status, 'type': None,
                'error': 'HTTP %d, not JSON: %s' % (status, raw[:200].decode('utf-8', 'replace').strip())}
    if not isinstance(doc, dict) or doc.get('status') != 'success' or status != 200:
        d = doc if isinstance(doc, dict) else {}
        return {'ok': False, 'http': status, 'type': d.get('errorType'),
                'error': 'HTTP %d %s: %s' % (status, d.get('errorType'), d.get('error'))}
    return {'ok': True, 'http': status, 'data': doc.get('data') or {}}


def values_equal(a, b, tol=EPSILON):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == b:
        return True
    if math.isinf(a) or math.isinf(b):
        return False
    return abs(a - b) <= tol * max(abs(a), abs(b))


def fmt_labels(key):
    d = dict(key)
    name = d.pop('__name__', '')
    return name + '{' + ', '.join('%s="%s"' % (k, v) for k, v in sorted(d.items())) + '}'


def _series_map(result, field):
    out = {}
    for r in result:
        key = tuple(sorted(r.get('metric', {}).items()))
        pts = r[field] if field == 'values' else [r['value']]
        out[key] = [(int(round(float(ts) * 1000)), float(v)) for ts, v in pts]
    return out


def compare_data(ref, got, tol=EPSILON):
    """None when two success `data` members agree, else a message (reference first)."""
    rt, gt = ref.get('resultType'), got.get('resultType')
    if rt != gt:
        return 'resultType: prometheus %s, vigil %s' % (rt, gt)
    if rt in ('scalar', 'string'):
        a, b = ref.get('result'), got.get('result')
        same = a == b if rt == 'string' else (
            int(round(float(a[0]) * 1000)) == int(round(float(b[0]) * 1000)) and
            values_equal(float(a[1]), float(b[1]), tol))
        return None if same else '%s: prometheus %s, vigil %s' % (rt, a, b)
    field = 'values' if rt == 'matrix' else 'value'
    rm, gm = _series_map(ref.get('result') or [], field), _series_map(got.get('result') or [], field)
    msgs = []
    missing = [k for k in rm if k not in gm]
    extra = [k for k in gm if k not in rm]
    if missing or extra:
        msg = '%d series in prometheus, %d in vigil' % (len(rm), len(gm))
        if missing:
            msg += '; only in prometheus: %s' % ', '.join(fmt_labels(k) for k in sorted(missing)[:3])
            if len(missing) > 3:
                msg += ' (+%d)' % (len(missing) - 3)
        if extra:
            msg += '; only in vigil: %s' % ', '.join(fmt_labels(k) for k in sorted(extra)[:3])
            if len(extra) > 3:
                msg += ' (+%d)' % (len(extra) - 3)
        msgs.append(msg)
    bad_series = 0
    for k in sorted(rm):
        if k not in gm:
            continue
        a, b = rm[k], gm[k]
        at, bt = dict(a), dict(b)
        diff = [t for t in sorted(set(at) | set(bt))
                if t not in at or t not in bt or not values_equal(at[t], bt[t], tol)]
        if not diff:
            continue
        bad_series += 1
        if bad_series <= 2:
            t = diff[0]
            msgs.append('%s: %d of %d points differ, first at %s: prometheus %s, vigil %s' % (
                fmt_labels(k), len(diff), len(set(at) | set(bt)), '%.3f' % (t / 1000.0),
                repr(at[t]) if t in at else 'none', repr(bt[t]) if t in bt else 'none'))
    if bad_series > 2:
        msgs.append('%d series differ in all' % bad_series)
    return '; '.join(msgs) or None


def compare_answers(ref, got, tol=EPSILON):
    """Two parse_answer() results: None when they agree (both failing agrees), else a message."""
    if not ref['ok'] and not got['ok']:
        return None
    if not ref['ok']:
        return 'prometheus failed (%s), vigil succeeded' % ref['error']
    if not got['ok']:
        return 'vigil failed (%s), prometheus succeeded' % got['error']
    try:
        return compare_data(ref['data'], got['data'], tol)
    except (KeyError, TypeError, ValueError, IndexError) as e:
        return 'malformed answer (%s)' % e


# ---------------------------------------------------------------------------------------------
# the benchmark queries
# ---------------------------------------------------------------------------------------------

# each runs as an instant query at the end of the data and as range queries over all of it
BENCH_EXPRS = [
    'rate(http_requests_total[5m])',
    'sum by (job) (rate(http_requests_total[5m]))',
    'sum by (job, code) (increase(http_requests_total[1h]))',
    'histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.5, rate(http_request_duration_seconds_bucket[10m]))',
    'sum by (job) (rate(http_request_duration_seconds_sum[5m]))'
    ' / sum by (job) (rate(http_request_duration_seconds_count[5m]))',
    'topk(5, sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m])))',
    '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[1m]))',
    'node_memory_MemAvailable_bytes / on(instance, job) node_memory_MemTotal_bytes',
    'sum by (instance) (rate(http_requests_total[5m])) * on(instance) group_left(version) app_build_info',
    'rate(http_requests_total{code="500"}[5m])'
    ' / ignoring(code) group_left sum without(code) (rate(http_requests_total[5m]))',
    'max_over_time(process_open_fds[1h])',
    'avg_over_time(node_memory_MemAvailable_bytes[30m])',
    'quantile_over_time(0.9, process_open_fds[15m])',
    'max_over_time(rate(http_requests_total[5m])[30m:1m])',
    'avg_over_time(sum by (job) (rate(node_cpu_seconds_total[2m]))[1h:5m])',
    'count_values("version", app_build_info)',
    'count by (job) (up == 1)',
    'label_replace(rate(http_requests_total[5m]), "host", "$1", "instance", "(.*):.*")',
    'absent(up{job="nonexistent"})',
    'deriv(node_memory_MemAvailable_bytes[10m])',
    'predict_linear(node_memory_MemAvailable_bytes[1h], 3600)',
    'irate(http_requests_total[1m])',
    'stddev by (job) (process_open_fds)',
    'resets(http_requests_total[1h])',
    'changes(process_open_fds[30m])',
    'sum(rate(http_request_duration_seconds_bucket[5m])) by (le)',
]
# the query the sample limit must refuse: every bucket over an hour, at every step of 6 h
LIMIT_EXPR = 'sum by (job) (rate(http_request_duration_seconds_bucket[1h]))'


def bench_modes(end_s, hours):
    start = end_s - hours * 3600
    return [('instant', {'time': str(end_s)}),
            ('range %dh/15s' % hours, {'start': str(start), 'end': str(end_s), 'step': '15'}),
            ('range %dh/60s' % hours, {'start': str(start), 'end': str(end_s), 'step': '60'})]


def result_size(ans):
    """series x points of an answer, for the table."""
    if not ans['ok']:
        return 'error'
    data = ans['data']
    res = data.get('result') or []
    if data.get('resultType') == 'matrix':
        return '%dx%d' % (len(res), max((len(r.get('values', [])) for r in res), default=0))
    if data.get('resultType') == 'vector':
        return '%d' % len(res)
    return data.get('resultType') or '?'


def cmd_bench_queries(a):
    vig, prom = Client(a.vigil, headers=appkey_headers(a.appkey)), Client(a.prom)
    rows, out = [], []
    only = re.compile(a.only) if a.only else None
    exprs = [e for e in BENCH_EXPRS if not only or only.search(e)]
    if not exprs:
        log('no expression matches --only %s' % a.only)
        sys.exit(2)
    t_all = time.perf_counter()
    for qi, expr in enumerate(exprs):
        for mode, params in bench_modes(a.end_s, a.hours):
            p = dict(params, query=expr)
            # untimed first answers: they warm both servers and are the ones compared
            sv, bv, wv = vig.query(p)
            sp, bp, wp = prom.query(p)
            av, ap = parse_answer(sv, bv), parse_answer(sp, bp)
            diff = compare_answers(ap, av, a.tolerance)
            reps = a.reps
            if a.budget and wv + wp > 0:
                reps = max(1, min(a.reps, int(a.budget / (wv + wp))))
            tv, tp = [], []
            for r in range(reps):
                order = (vig, prom) if r % 2 == 0 else (prom, vig)
                for c in order:
                    st, _, secs = c.query(p)
                    (tv if c is vig else tp).append(secs)
                    if st != (sv if c is vig else sp):
                        diff = (diff + '; ' if diff else '') + 'status changed between repetitions'
            # the same evaluation with a one-number answer: what the JSON of the result costs
            tc = [vig.query(dict(p, query='count(%s)' % expr))[2] for _ in range(min(reps, 3))]
            mv, mp = statistics.median(tv), statistics.median(tp)
            row = {'expr': expr, 'mode': mode, 'params': p, 'vigil_ms': 1000 * mv, 'prom_ms': 1000 * mp,
                   'vigil_count_ms': 1000 * statistics.median(tc),
                   'ratio': mv / mp if mp > 0 else None, 'reps': reps, 'equal': diff is None,
                   'diff': diff, 'size': result_size(ap), 'vigil_status': sv, 'prom_status': sp}
            rows.append(row)
            log('%-9s %6.1f ms / %6.1f ms  x%.2f  %s  %s' % (
                mode.split()[0] + (mode.split()[1][-4:] if ' ' in mode else ''), row['vigil_ms'],
                row['prom_ms'], row['ratio'] or 0, 'equal' if diff is None else 'DIFFERENT', expr[:70]))
    vig.close()
    prom.close()
    ratios = [r['ratio'] for r in rows if r['ratio'] is not None]
    worst = max(rows, key=lambda r: r['ratio'] or 0)
    heaviest = max(rows, key=lambda r: r['vigil_ms'])
    with open(os.path.join(a.out, 'queries.md'), 'w') as f:
        for i, r in enumerate(rows, 1):
            f.write('| %d | `%s` | %s | %s | %.1f | %.1f | %.1f | %s | %d | %s |\n' % (
                i, r['expr'].replace('|', '\\|'), r['mode'], r['size'], r['vigil_ms'],
                r['vigil_count_ms'], r['prom_ms'],
                '%.2f' % r['ratio'] if r['ratio'] is not None else 'n/a', r['reps'],
                'yes' if r['equal'] else '**no**'))
    with open(os.path.join(a.out, 'mismatches.txt'), 'w') as f:
        for r in rows:
            if not r['equal']:
                f.write('%s [%s]: %s\n' % (r['expr'], r['mode'], r['diff']))
    with open(os.path.join(a.out, 'queries.json'), 'w') as f:
        json.dump(rows, f)
    summary = {'queries': len(rows), 'equal': sum(r['equal'] for r in rows),
               'median_ratio': statistics.median(ratios) if ratios else None,
               'max_ratio': worst['ratio'], 'max_ratio_query': '%s [%s]' % (worst['expr'], worst['mode']),
               'over_3': sum(1 for x in ratios if x > 3.0), 'over_1': sum(1 for x in ratios if x > 1.0),
               'heaviest_expr': heaviest['expr'], 'heaviest_mode': heaviest['mode'],
               'heaviest_params': json.dumps(heaviest['params']), 'heaviest_ms': heaviest['vigil_ms'],
               'seconds': time.perf_counter() - t_all}
    json.dump(summary, sys.stdout)
    print()


# ---------------------------------------------------------------------------------------------
# memory during one query
# ---------------------------------------------------------------------------------------------

def cmd_watch_query(a):
    """Runs one query `repeat` times on one connection while a thread reads the Private_Dirty
    of every child of the master (its workers) every `interval` s."""
    params = json.loads(a.params)
    c = Client(a.url, headers=appkey_headers(a.appkey))
    c.request('GET', '/api/v1/query', {'query': '1', 'time': '0'})  # the connection is up
    stop = threading.Event()
    trace = []
    base = {p: private_dirty_kb(p) for p in children(a.master)}

    def sample():
        t0 = time.perf_counter()
        while not stop.is_set():
            vals = [private_dirty_kb(p) for p in children(a.master)]
            trace.append((time.perf_counter() - t0, max(vals) if vals else 0))
            time.sleep(a.interval)

    th = threading.Thread(target=sample)
    th.start()
    secs, status, data = [], 0, b''
    for _ in range(a.repeat):
        status, data, s = c.query(params)
        secs.append(s)
    time.sleep(0.05)  # one more sample after the answer: memory kept past the request
    stop.set()
    th.join()
    c.close()
    after = [private_dirty_kb(p) for p in children(a.master)]
    ans = parse_answer(status, data)
    if a.trace:
        with open(a.trace, 'w') as f:
            for x, kb in trace:
                f.write('%.3f %d\n' % (x, kb))
    json.dump({'status': status, 'seconds': statistics.median(secs) if secs else None,
               'error_type': ans.get('type'), 'error': ans.get('error', ''),
               'base_kb': max(base.values()) if base else 0,
               'peak_kb': max((kb for _, kb in trace), default=0),
               'after_kb': max(after) if after else 0, 'samples': len(trace),
               'workers': len(base)}, sys.stdout)
    print()


def cmd_count_samples(a):
    """sum(count_over_time(name[range])) at `time` for every metric name the server lists."""
    c = Client(a.url, headers=appkey_headers(a.appkey))
    st, data, _ = c.request('GET', '/api/v1/label/__name__/values')
    ans = parse_answer(st, data)
    if not ans['ok']:
        json.dump({'samples': None, 'error': ans['error']}, sys.stdout)
        print()
        return
    total = 0
    for name in ans['data']:
        q = 'sum(count_over_time(%s[%ds]))' % (name, a.range)
        st, data, _ = c.query({'query': q, 'time': str(a.time)})
        r = parse_answer(st, data)
        if not r['ok']:
            json.dump({'samples': None, 'error': '%s: %s' % (name, r['error'])}, sys.stdout)
            print()
            return
        total += sum(int(float(x['value'][1])) for x in r['data']['result'])
    c.close()
    json.dump({'samples': total, 'names': len(ans['data'])}, sys.stdout)
    print()


# ---------------------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('demo')
    s.add_argument('dir')
    s.add_argument('--end-s', type=int, required=True, help='the last scrape, unix seconds')
    s.add_argument('--minutes', type=int, default=130)
    s.add_argument('--step', type=int, default=5)
    s = sub.add_parser('bench')
    s.add_argument('dir')
    s.add_argument('--end-s', type=int, required=True)
    s.add_argument('--hours', type=int, default=6)
    s.add_argument('--step', type=int, default=15)
    s.add_argument('--instances', type=int, default=25)
    s = sub.add_parser('load')
    s.add_argument('url', help='the import URL')
    s.add_argument('dir', help='the dataset dir (its import/*.prom)')
    s.add_argument('--appkey', help='sent as X-TC-APP-KEY')
    s = sub.add_parser('bench-queries')
    s.add_argument('--vigil', required=True, help='base URL before /api/v1, e.g. http://h:p/prometheus')
    s.add_argument('--prom', required=True)
    s.add_argument('--end-s', type=int, required=True)
    s.add_argument('--hours', type=int, default=6)
    s.add_argument('--reps', type=int, default=5)
    s.add_argument('--budget', type=float, default=0, help='fewer repetitions when one pair takes '
                   'longer than BUDGET/reps seconds (0: always --reps)')
    s.add_argument('--tolerance', type=float, default=EPSILON)
    s.add_argument('--only', help='only expressions matching this regex')
    s.add_argument('--appkey', help='sent as X-TC-APP-KEY to --vigil (not to --prom)')
    s.add_argument('--out', required=True)
    s = sub.add_parser('watch-query')
    s.add_argument('url', help='base URL before /api/v1')
    s.add_argument('--master', type=int, required=True)
    s.add_argument('--params', required=True, help='the query parameters as a JSON object')
    s.add_argument('--repeat', type=int, default=1)
    s.add_argument('--interval', type=float, default=0.01)
    s.add_argument('--trace')
    s.add_argument('--appkey', help='sent as X-TC-APP-KEY')
    s = sub.add_parser('count-samples')
    s.add_argument('url', help='base URL before /api/v1')
    s.add_argument('--time', type=int, required=True)
    s.add_argument('--range', type=int, required=True, help='seconds')
    s.add_argument('--appkey', help='sent as X-TC-APP-KEY (vigil only)')
    a = p.parse_args()

    if a.cmd in ('demo', 'bench'):
        t = time.perf_counter()
        if a.cmd == 'demo':
            info = write_demo(a.dir, a.end_s * 1000, a.minutes, a.step)
        else:
            info = write_bench(a.dir, a.end_s * 1000, a.hours, a.step, a.instances)
        info['seconds'] = time.perf_counter() - t
        json.dump(info, sys.stdout)
        print()
    elif a.cmd == 'load':
        d = os.path.join(a.dir, 'import')
        files = [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith('.prom')]
        json.dump(post_bodies(a.url, files, headers=appkey_headers(a.appkey)), sys.stdout)
        print()
    elif a.cmd == 'bench-queries':
        cmd_bench_queries(a)
    elif a.cmd == 'count-samples':
        cmd_count_samples(a)
    else:
        cmd_watch_query(a)
    return 0


if __name__ == '__main__':
    sys.exit(main())

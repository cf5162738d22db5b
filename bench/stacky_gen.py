#!/usr/bin/python3
# bench/stacky_gen.py - StackTach notifications for load tests, made from the conformance
# templates (../shared/conformance/stacktach/templates, README "A generator, if you need
# more"): request streams of instances filled from a seed, interleaved by timestamp, written as
# `[routing_key, body]` JSON lines on stdout. Standard library only.
# SPDX-License-Identifier: MIT
"""Writes COUNT notifications, one `[routing_key, body]` JSON array per line, sorted by the
body's timestamp (ties in stream order), the same for the same seed and options.

How the data is made:
- a stream is one template (element 0: hints and the time map; 1..N: the bodies). The create
  templates start a new instance; the others pick a live instance that has no operation in
  flight (at most one per instance) and reuse its tenant, user, compute host, node, names,
  image, creation time and last launch time. Delete streams end an instance's life; creates
  that never reached a launch leave none.
- streams start at random (exponential gaps, --rate streams per hour) from --start on; each
  DT_n is the stream's start plus the time map's [days, seconds, microseconds]; dates are
  written as nova's legacy notifier wrote them, "YYYY-MM-DD HH:MM:SS.ffffff", without the
  fraction when the microseconds are 0 (a few streams start on a whole second).
- UUIDs are random version-4 UUIDs, XUUIDs the same without dashes, V4/V6 random addresses.
- publisher: scheduler.sched-01.<region>.example.net for scheduler.* events,
  api.api-01.<region>.example.net for the compute.instance.update events before the first
  other event of a stream, compute.<compute host> for the rest; routing key monitor.error
  when the body's priority is ERROR, else monitor.info.
- at every midnight each instance launched before it and not deleted by then gets an
  end-of-day compute.instance.exists (the eod_exists template) for the day that ended, sent
  within --eod-spread seconds after midnight, with the instance's flavour and launch time.

    bench/stacky_gen.py --count 1000000 --seed 1 > x.jsonl
    bench/stacky_gen.py --check x.jsonl      # validates a file (or - for stdin)
    bench/stacky_gen.py --self-test          # rebuilds sequences/*.jsonl from the templates
"""

import argparse
import calendar
import glob
import heapq
import json
import os
import random
import re
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
_SHARED = next((d for d in (os.path.join(ROOT, "..", "shared"), "/work/shared")
                if os.path.isdir(os.path.join(d, "conformance", "stacktach"))), "/work/shared")
DEFAULT_DATA = os.path.join(_SHARED, "conformance", "stacktach")

PH_RE = re.compile(r"\[\[\[\[([A-Za-z0-9_@]+)\]\]\]\]")
NUMBERED = re.compile(r"(UUID|XUUID|V4|V6|DT)_(\d+)$")
# placeholders bound per instance (all but the create templates reuse the instance's values)
INSTANCE_KEYS = ("tenant_id", "user_id", "host", "node", "display_name", "hostname",
                 "reservation_id")
US = 1000000
DAY_US = 86400 * US


class GenError(Exception):
    """Bad templates or options."""


# ---------------------------------------------------------------------------------------------
# times
# ---------------------------------------------------------------------------------------------

_DAYS = {}


def fmt_when(us):
    """Microseconds since the epoch as nova's legacy notifier wrote dates (UTC)."""
    day, rem = divmod(us, DAY_US)
    d = _DAYS.get(day)
    if d is None:
        d = _DAYS[day] = time.strftime("%Y-%m-%d ", time.gmtime(day * 86400))
    s, frac = divmod(rem, US)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if frac:
        return "%s%02d:%02d:%02d.%06d" % (d, h, m, s, frac)
    return "%s%02d:%02d:%02d" % (d, h, m, s)


def parse_when(s):
    """The inverse of fmt_when (also accepts a T and a trailing Z): microseconds."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z?", s)
    if not m:
        raise ValueError("not a date: %r" % s)
    secs = calendar.timegm(tuple(int(g) for g in m.groups()[:6]))
    return secs * US + int((m.group(7) or "0").ljust(6, "0"))


# ---------------------------------------------------------------------------------------------
# templates
# ---------------------------------------------------------------------------------------------

def _placeholder(v):
    """The placeholder name when v is exactly one placeholder, else None."""
    m = PH_RE.fullmatch(v) if isinstance(v, str) else None
    return m.group(1) if m else None


class Template:
    """One template, precompiled: each message's JSON text with its placeholders (publisher
    already resolved to a role), its timestamp's offset, and what the stream does to its
    instance."""

    def __init__(self, path, region):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        self.name = os.path.basename(path)[:-len(".json")]
        if not isinstance(doc, list) or len(doc) < 2 or not isinstance(doc[0], dict):
            raise GenError("%s: not [hints, body, ...]" % path)
        hints, bodies = doc[0], doc[1:]
        self.counts = {k: int(hints.get(k.lower(), 0)) for k in ("UUID", "XUUID", "V4", "V6")}
        self.dt = {}  # DT name -> offset from the stream's start in us
        for k, v in hints.get("time_map", {}).items():
            name = _placeholder(k)
            if not name or not name.startswith("DT_") or len(v) != 3:
                raise GenError("%s: bad time_map entry %r" % (path, k))
            self.dt[name] = (v[0] * 86400 + v[1]) * US + v[2]
        events = [b.get("event_type") for b in bodies]
        self.kind = "create" if self.name.startswith("compute.instance.create.") else \
            "eod" if self.name.startswith("eod_exists") else "op"
        self.deletes = "compute.instance.delete.end" in events

        def payload(b):
            p = b.get("payload")
            return p if isinstance(p, dict) else {}

        # roles: request, instance, image, creation and launch times
        self.request = self.instance = self.image = None
        self.created, self.prior_launch, self.final_launch = set(), set(), None
        self.type_id = self.flavor_id = self.type_name = None
        self.audit = (None, None)
        for b in bodies:
            p = payload(b)
            rid = b.get("_context_request_id") or ""
            if self.request is None and rid.startswith("req-"):
                self.request = _placeholder(rid[4:])
            if self.instance is None:
                self.instance = _placeholder(p.get("instance_id"))
            meta = p.get("image_meta") if isinstance(p.get("image_meta"), dict) else {}
            if self.image is None:
                self.image = _placeholder(meta.get("base_image_ref"))
            c = _placeholder(p.get("created_at"))
            if c:
                self.created.add(c)
            la = _placeholder(p.get("launched_at"))
            if la:
                if self.dt.get(la, 0) < 0:
                    self.prior_launch.add(la)
                self.final_launch = la
            if p.get("instance_type_id") is not None:
                self.type_id, self.flavor_id = p["instance_type_id"], p.get("instance_flavor_id")
                self.type_name = p.get("instance_type")
            if self.kind == "eod":
                self.audit = (_placeholder(p.get("audit_period_beginning")),
                              _placeholder(p.get("audit_period_ending")))
        if not self.request or not self.instance:
            raise GenError("%s: no request id or instance placeholder found" % path)
        if self.kind == "eod" and not all(self.audit):
            raise GenError("%s: no audit period placeholders" % path)

        self.msgs = []  # (offset us, text)
        seen_other = False
        for i, b in enumerate(bodies):
            ev = b.get("event_type", "")
            if _placeholder(b.get("publisher_id")) != "publisher_id":
                raise GenError("%s: message %d: publisher_id is not the placeholder" % (path, i + 1))
            if ev.startswith("scheduler."):
                pub = "scheduler.sched-01.%s.example.net" % region
            elif ev == "compute.instance.update" and not seen_other:
                pub = "api.api-01.%s.example.net" % region
            else:
                pub = "compute.[[[[host]]]]"
            if ev != "compute.instance.update":
                seen_other = True
            ts = _placeholder(b.get("timestamp"))
            if ts not in self.dt:
                raise GenError("%s: message %d: timestamp is not a mapped DT" % (path, i + 1))
            body = dict(b, publisher_id=pub)
            if self.kind == "eod":  # the instance's flavour, not the template's
                body["payload"] = dict(payload(b), instance_type_id="[[[[@type_id]]]]",
                                       instance_flavor_id="[[[[@flavor_id]]]]",
                                       instance_type="[[[[@type_name]]]]")
            key = "monitor.error" if str(b.get("priority", "")).upper() == "ERROR" else "monitor.info"
            text = json.dumps([key, body], sort_keys=True)
            text = text.replace('"[[[[@type_id]]]]"', "[[[[@type_id]]]]")  # a number
            self.msgs.append((self.dt[ts], text))
        offs = [o for o, _ in self.msgs]
        if offs != sorted(offs):  # emission order may differ from time order: keep time order
            self.msgs.sort(key=lambda m: m[0])
        self.duration = self.msgs[-1][0]
        names = set()
        for _, text in self.msgs:
            names.update(PH_RE.findall(text))
        for n in names:
            m = NUMBERED.match(n)
            if m and m.group(1) != "DT" and int(m.group(2)) >= self.counts[m.group(1)]:
                raise GenError("%s: %s beyond the hint's count" % (path, n))
            if m and m.group(1) == "DT" and n not in self.dt:
                raise GenError("%s: %s has no time_map entry" % (path, n))
            if not m and n not in INSTANCE_KEYS + ("image_name", "device_name", "@type_id",
                                                   "@flavor_id", "@type_name"):
                raise GenError("%s: unknown placeholder kind %s" % (path, n))
        self.dt_names = sorted(n for n in names if n.startswith("DT_"))


def load_templates(data_dir, region):
    paths = sorted(glob.glob(os.path.join(data_dir, "templates", "*.json")))
    if not paths:
        raise GenError("no templates in %s/templates" % data_dir)
    ts = [Template(p, region) for p in paths]
    eod = [t for t in ts if t.kind == "eod"]
    if len(eod) != 1 or not any(t.kind == "create" for t in ts):
        raise GenError("%s: want one eod_exists template and at least one create" % data_dir)
    return ts


# ---------------------------------------------------------------------------------------------
# the generator
# ---------------------------------------------------------------------------------------------

class Instance:
    __slots__ = ("uuid", "vals", "image", "created", "launched", "deleted", "busy_until",
                 "type_id", "flavor_id", "type_name", "slot")


class Generator:
    def __init__(self, templates, seed, start_us, rate, hosts, tenants, target, eod_spread):
        self.rng = random.Random(seed)
        self.creates = [t for t in templates if t.kind == "create"]
        self.ops = [t for t in templates if t.kind == "op"]
        self.eod = next(t for t in templates if t.kind == "eod")
        self.gap_us = 3600 * US / rate  # mean gap between stream starts
        self.target = target
        self.eod_spread_us = int(eod_spread * US)
        r = self.rng
        self.hosts = ["compute-%04d" % n for n in r.sample(range(10000), hosts)] if hosts <= 10000 \
            else ["compute-%05d" % n for n in r.sample(range(100000), hosts)]
        self.tenants = [("%d" % n, "%d" % (100000 + r.randrange(900000)))
                        for n in r.sample(range(5800000, 5900000), tenants)]
        self.clock = start_us  # the next stream's start
        self.midnight = (start_us // DAY_US + 1) * DAY_US
        self.heap = []  # (when us, order, stream values, messages, index)
        self.order = 0
        self.live = []  # launched, not deleted, for picking
        self.known = []  # everything that may still need an end-of-day exists
        self.nstream = 0
        self.stats = {"streams": {}, "instances": 0, "deleted": 0, "eod_exists": 0}

    # random values
    def uuid(self):
        x = "%032x" % self.rng.getrandbits(128)
        return "%s-%s-4%s-%s%s-%s" % (x[:8], x[8:12], x[13:16], "89ab"[int(x[16], 16) & 3],
                                      x[17:20], x[20:])

    def v4(self):
        n = self.rng.getrandbits(32)
        return "%d.%d.%d.%d" % (n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255)

    def v6(self):
        x = "%032x" % self.rng.getrandbits(128)
        return ":".join(x[i:i + 4] for i in range(0, 32, 4))

    def fill(self, t, start, vals):
        """The stream's values: fresh ones for what vals (the bound ones) lacks."""
        r = self.rng
        for i in range(t.counts["UUID"]):
            vals.setdefault("UUID_%d" % i, self.uuid())
        for i in range(t.counts["XUUID"]):
            vals.setdefault("XUUID_%d" % i, "%032x" % r.getrandbits(128))
        for i in range(t.counts["V4"]):
            vals.setdefault("V4_%d" % i, self.v4())
        for i in range(t.counts["V6"]):
            vals.setdefault("V6_%d" % i, self.v6())
        times = {}
        for n in t.dt_names:
            times[n] = vals[n] if n in vals else start + t.dt[n]
            vals[n] = fmt_when(times[n])
        vals.setdefault("image_name", "image-%03d" % self.nstream)
        vals.setdefault("device_name", "vif-%03d" % self.nstream)
        return times

    def push(self, t, start, vals):
        heapq.heappush(self.heap, (start + t.msgs[0][0], self.order, vals, t.msgs, 0))
        self.order += 1

    def new_instance(self, t, start):
        r = self.rng
        inst = Instance()
        inst.uuid = self.uuid()
        host = r.choice(self.hosts)
        tenant, user = r.choice(self.tenants)
        k = self.stats["instances"]
        inst.vals = {"tenant_id": tenant, "user_id": user, "host": host, "node": "node-" + host,
                     "display_name": "server-%03d" % k, "hostname": "server-%03d" % k,
                     "reservation_id": "r-%08x" % r.getrandbits(32)}
        inst.image = self.uuid()
        inst.deleted = None
        inst.launched = None
        inst.busy_until = start
        inst.slot = -1
        self.stats["instances"] += 1
        return inst

    def pick(self, start):
        """A live instance with no operation in flight at start, or None."""
        for _ in range(8):
            if not self.live:
                return None
            inst = self.live[self.rng.randrange(len(self.live))]
            if inst.busy_until < start:
                return inst
        return None

    def unlive(self, inst):
        last = self.live.pop()
        if last is not inst:
            self.live[inst.slot] = last
            last.slot = inst.slot
        inst.slot = -1

    def start_stream(self):
        r = self.rng
        start = self.clock
        p_create = 0.2 + 0.6 * max(0.0, 1.0 - len(self.live) / self.target)
        inst = None if r.random() < p_create else self.pick(start)
        t = r.choice(self.ops) if inst else r.choice(self.creates)
        if inst is None:
            inst = self.new_instance(t, start)
        vals = dict(inst.vals)
        vals[t.instance] = inst.uuid
        if t.kind == "op":
            if t.image:
                vals[t.image] = inst.image
            for n in t.created:
                vals[n] = inst.created
            for n in t.prior_launch:
                vals[n] = inst.launched
        times = self.fill(t, start, vals)
        if t.kind == "create":
            inst.created = times[min(t.created)] if t.created else start
            if t.image:
                inst.image = vals[t.image]
        if t.final_launch and (t.kind == "op" or t.dt.get(t.final_launch, -1) >= 0):
            launched = times[t.final_launch]
            if inst.launched is None:  # first launch: from now on it can be operated on
                inst.slot = len(self.live)
                self.live.append(inst)
                self.known.append(inst)
            inst.launched = launched
        if t.type_id is not None:
            inst.type_id, inst.flavor_id, inst.type_name = t.type_id, t.flavor_id, t.type_name
        inst.busy_until = start + t.duration
        if t.deletes and inst.deleted is None:
            inst.deleted = start + t.duration
            self.stats["deleted"] += 1
            if inst.slot >= 0:
                self.unlive(inst)
        self.push(t, start, vals)
        self.stats["streams"][t.name] = self.stats["streams"].get(t.name, 0) + 1
        self.nstream += 1
        gap = int(r.expovariate(1.0) * self.gap_us) + 1
        nxt = start + gap
        if r.random() < 0.05:  # now and then a stream starts on a whole second
            nxt = (nxt // US + 1) * US
        self.clock = nxt

    def end_of_day(self, midnight):
        """Exists for every instance launched before midnight and not deleted by then."""
        t = self.eod
        keep = []
        for inst in self.known:
            if inst.deleted is not None and inst.deleted <= midnight:
                continue
            keep.append(inst)
            if inst.launched is None or inst.launched >= midnight:
                continue
            emit = midnight + (self.rng.randrange(self.eod_spread_us) if self.eod_spread_us else 0)
            vals = dict(inst.vals)
            vals[t.instance] = inst.uuid
            if t.image:
                vals[t.image] = inst.image
            for n in t.created:
                vals[n] = inst.created
            vals[t.final_launch] = inst.launched
            vals[t.audit[0]] = midnight - DAY_US
            vals[t.audit[1]] = midnight
            ts0 = t.msgs[0][0]
            vals["@type_id"] = json.dumps(inst.type_id)
            vals["@flavor_id"] = str(inst.flavor_id)
            vals["@type_name"] = str(inst.type_name)
            self.fill(t, emit - ts0, vals)
            self.push(t, emit - ts0, vals)
            self.stats["eod_exists"] += 1
        self.known = keep

    def lines(self, count):
        """Yields count lines in timestamp order."""
        sub = PH_RE.sub
        n = 0
        while n < count:
            # every stream that starts (and every exists sent) before the earliest pending
            # message is queued first: nothing queued later can come before it
            while not self.heap or self.clock <= self.heap[0][0] or self.midnight <= self.heap[0][0]:
                if self.midnight <= self.clock:
                    self.end_of_day(self.midnight)
                    self.midnight += DAY_US
                else:
                    self.start_stream()
            when, order, vals, msgs, i = self.heap[0]
            if i + 1 < len(msgs):
                heapq.heapreplace(self.heap, (when - msgs[i][0] + msgs[i + 1][0], order, vals,
                                              msgs, i + 1))
            else:
                heapq.heappop(self.heap)
            yield sub(lambda m: vals[m.group(1)], msgs[i][1])
            n += 1


# ---------------------------------------------------------------------------------------------
# checking a file, and the self-test against the conformance sequences
# ---------------------------------------------------------------------------------------------

def check_lines(lines):
    """Validates generated lines; returns (problems, summary dict)."""
    problems = []
    last = None
    n = 0
    spans = {}  # (instance, request id) -> [first, last]
    events = {}
    for n, line in enumerate(lines, 1):
        if "[[[[" in line:
            problems.append("line %d: an unfilled placeholder" % n)
        try:
            key, body = json.loads(line)
            when = parse_when(body["timestamp"])
        except (ValueError, KeyError, TypeError) as e:
            problems.append("line %d: %s" % (n, e))
            continue
        if last is not None and when < last:
            problems.append("line %d: timestamp %s before the previous line's" % (n, body["timestamp"]))
        last = when
        pri = "monitor.error" if str(body.get("priority", "")).upper() == "ERROR" else "monitor.info"
        if key != pri:
            problems.append("line %d: routing key %s for priority %s" % (n, key, body.get("priority")))
        ev = body.get("event_type", "")
        pub = body.get("publisher_id", "")
        p = body.get("payload") if isinstance(body.get("payload"), dict) else {}
        if ev.startswith("scheduler.") != pub.startswith("scheduler."):
            problems.append("line %d: publisher %s for %s" % (n, pub, ev))
        elif pub.startswith("compute.") and p.get("host") and pub != "compute." + p["host"]:
            problems.append("line %d: publisher %s, payload host %s" % (n, pub, p["host"]))
        events[ev] = events.get(ev, 0) + 1
        inst = p.get("instance_id")
        if inst and ev != "compute.instance.exists":  # exists are not part of an operation
            s = spans.setdefault((inst, body.get("_context_request_id", "")), [when, when])
            s[1] = when
    # at most one operation in flight per instance: the requests of an instance do not overlap
    per = {}
    for (inst, _), (a, b) in spans.items():
        per.setdefault(inst, []).append((a, b))
    overlaps = 0
    for inst, sp in per.items():
        sp.sort()
        for (a0, b0), (a1, b1) in zip(sp, sp[1:]):
            if a1 <= b0:
                overlaps += 1
                if overlaps <= 5:
                    problems.append("instance %s: two requests in flight at once" % inst)
    summary = {"lines": n, "instances": len(per), "requests": len(spans),
               "events": dict(sorted(events.items()))}
    return problems, summary


def self_test(data_dir):
    """Refills each template with the values the conformance sequences hold and compares the
    result with sequences/<name>.jsonl line by line: placeholders, dates (stream k starts at
    2014-03-10 12:00 + 10k min), publishers and routing keys must all come out equal."""
    assert fmt_when(parse_when("2014-03-10 13:00:00")) == "2014-03-10 13:00:00"
    assert fmt_when(parse_when("2014-03-10 13:00:00.5")) == "2014-03-10 13:00:00.500000"
    ts = load_templates(data_dir, "region-1")
    base = parse_when("2014-03-10 12:00:00")
    k = 0
    for t in ts:
        with open(os.path.join(data_dir, "sequences", t.name + ".jsonl"), encoding="utf-8") as f:
            want = [json.loads(line) for line in f]
        # the values: the sequence's text where the template has a placeholder
        vals = {}
        for (_, text), w in zip(t.msgs, sorted(want, key=lambda m: parse_when(m[1]["timestamp"]))):
            _collect(json.loads(text.replace("[[[[@type_id]]]]", '"[[[[@type_id]]]]"')), w, vals)
        if t.kind == "eod":
            start = parse_when(want[0][1]["timestamp"])
            vals["@type_id"] = json.dumps(want[0][1]["payload"]["instance_type_id"])
            vals["@flavor_id"] = want[0][1]["payload"]["instance_flavor_id"]
            vals["@type_name"] = want[0][1]["payload"]["instance_type"]
        else:
            start = base + k * 600 * US
            k += 1
        for n in t.dt_names:
            if t.kind == "eod":
                continue
            got = fmt_when(start + t.dt[n])
            if vals.get(n) != got:
                raise AssertionError("%s: %s is %s, the time map gives %s" % (t.name, n, vals.get(n), got))
        got = [json.loads(PH_RE.sub(lambda m: vals[m.group(1)], text)) for _, text in t.msgs]
        if got != sorted(want, key=lambda m: parse_when(m[1]["timestamp"])):
            for i, (g, w) in enumerate(zip(got, want)):
                if g != w:
                    raise AssertionError("%s: message %d differs:\n%s\n%s" % (t.name, i + 1, g, w))
            raise AssertionError("%s: message count differs" % t.name)
    # a generated run: valid, deterministic, every template used
    gen = lambda: Generator(ts, 7, base, 600, 50, 40, 200, 1800)  # noqa: E731
    a = list(gen().lines(3000))
    assert a == list(gen().lines(3000)), "not deterministic"
    problems, summary = check_lines(a)
    assert not problems, problems[:5]
    assert summary["lines"] == 3000 and summary["events"].get("compute.instance.exists", 0) > 0
    print("self-test: ok (%d sequences rebuilt; 3000 generated lines valid, %d instances)"
          % (len(ts), summary["instances"]))


def _collect(t, w, vals):
    """Walks template t beside filled w, recording each placeholder's text."""
    if isinstance(t, dict):
        for key in t:
            _collect(t[key], w[key], vals)
    elif isinstance(t, list):
        for a, b in zip(t, w):
            _collect(a, b, vals)
    elif isinstance(t, str) and PH_RE.search(t):
        parts = PH_RE.split(t)
        rx = "".join(re.escape(p) if i % 2 == 0 else "(.*?)" for i, p in enumerate(parts))
        m = re.fullmatch(rx, w if isinstance(w, str) else json.dumps(w))
        if not m:
            raise AssertionError("%r does not fill %r" % (w, t))
        for name, v in zip(parts[1::2], m.groups()):
            vals[name] = v


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="StackTach notifications from the templates, as JSON lines.")
    ap.add_argument("--count", type=int, default=1000, help="lines to write (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
    ap.add_argument("--start", default="2014-03-10 00:00:00",
                    help="UTC time of the first stream (default %(default)s)")
    ap.add_argument("--rate", type=float, default=720, help="streams started per hour (default %(default)s)")
    ap.add_argument("--hosts", type=int, default=200, help="compute hosts (default %(default)s)")
    ap.add_argument("--tenants", type=int, default=500, help="tenants (default %(default)s)")
    ap.add_argument("--instances", type=int, default=2000,
                    help="live instances aimed at: below it creates are more likely (default %(default)s)")
    ap.add_argument("--eod-spread", type=float, default=1800,
                    help="end-of-day exists go out within this many seconds after midnight (default %(default)s)")
    ap.add_argument("--region", default="region-1", help="the api/scheduler hosts' region (default %(default)s)")
    ap.add_argument("--data", default=DEFAULT_DATA, help="the conformance data dir (default %(default)s)")
    ap.add_argument("--stats", action="store_true", help="print what was made to stderr (JSON)")
    ap.add_argument("--check", metavar="FILE", help="validate FILE (- for stdin) instead of generating")
    ap.add_argument("--self-test", action="store_true", help="check against sequences/ and exit")
    o = ap.parse_args()
    try:
        if o.self_test:
            self_test(o.data)
            return 0
        if o.check:
            f = sys.stdin if o.check == "-" else open(o.check, encoding="utf-8")
            with f:
                problems, summary = check_lines(f)
            for p in problems[:20]:
                print(p, file=sys.stderr)
            print(json.dumps(summary))
            return 1 if problems else 0
        for name in ("count", "rate", "hosts", "tenants", "instances"):
            if getattr(o, name) <= 0:
                raise GenError("--%s must be positive" % name)
        if o.eod_spread < 0 or o.hosts > 100000 or o.tenants > 100000:
            raise GenError("--eod-spread must be >= 0, --hosts and --tenants at most 100000")
        try:
            start = parse_when(o.start)
        except ValueError as e:
            raise GenError("--start: %s" % e)
        gen = Generator(load_templates(o.data, o.region), o.seed, start, o.rate, o.hosts,
                        o.tenants, o.instances, o.eod_spread)
        out = sys.stdout
        buf = []
        for line in gen.lines(o.count):
            buf.append(line)
            if len(buf) >= 1000:
                buf.append("")
                out.write("\n".join(buf))
                buf = []
        if buf:
            buf.append("")
            out.write("\n".join(buf))
        out.flush()
        if o.stats:
            s = dict(gen.stats, live=len(gen.live), last_stream_start=fmt_when(gen.clock))
            print(json.dumps(s, sort_keys=True), file=sys.stderr)
        return 0
    except GenError as e:
        print("stacky_gen: %s" % e, file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

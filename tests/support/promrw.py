#!/usr/bin/python3
# tests/support/promrw.py - builds Prometheus remote write 1.0 bodies (snappy-compressed
# WriteRequest protobuf) for the tests and benchmarks, with the protobuf wire format written
# out by hand so that only python3-snappy is needed.
# SPDX-License-Identifier: MIT
"""Usage as a program:
  promrw.py encode < series.json > body   # [{"labels":{...},"samples":[[ts_ms,value],...]}]
  promrw.py post URL < series.json        # POST it and print the status and body
"""
import json
import struct
import sys
import urllib.error
import urllib.request

import snappy


def _varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wire, payload):
    key = _varint(num << 3 | wire)
    if wire == 2:
        return key + _varint(len(payload)) + payload
    return key + payload


def _string(num, s):
    return _field(num, 2, s.encode())


def series_message(labels, samples):
    """One TimeSeries: labels (dict or list of pairs), samples [(ts_ms, value)]."""
    items = labels.items() if isinstance(labels, dict) else labels
    out = bytearray()
    for name, value in items:
        out += _field(1, 2, _string(1, name) + _string(2, value))
    for ts, value in samples:
        out += _field(2, 2, _field(1, 1, struct.pack('<d', value)) + _field(2, 0, _varint(ts)))
    return bytes(out)


def metadata_message(family, mtype=0, help_text='', unit=''):
    out = _field(1, 0, _varint(mtype)) + _string(2, family)
    if help_text:
        out += _string(4, help_text)
    if unit:
        out += _string(5, unit)
    return out


def write_request(series, metadata=()):
    """series: iterable of (labels, samples); metadata: iterable of metadata_message args."""
    out = bytearray()
    for labels, samples in series:
        out += _field(1, 2, series_message(labels, samples))
    for md in metadata:
        out += _field(3, 2, metadata_message(*md))
    return bytes(out)


def compress(raw):
    return snappy.compress(raw)


def post(url, body, timeout=60, headers=None):
    """POSTs a compressed body; returns (status, body bytes)."""
    h = {'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy',
         'X-Prometheus-Remote-Write-Version': '0.1.0'}
    h.update(headers or {})
    req = urllib.request.Request(url, data=body, method='POST', headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _main():
    doc = json.load(sys.stdin)
    body = compress(write_request((s['labels'], s['samples']) for s in doc))
    if sys.argv[1:2] == ['encode']:
        sys.stdout.buffer.write(body)
    elif sys.argv[1:2] == ['post'] and len(sys.argv) == 3:
        status, text = post(sys.argv[2], body)
        print(status)
        sys.stdout.write(text.decode(errors='replace'))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    _main()

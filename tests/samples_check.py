#!/usr/bin/env python3
"""samples_check.py - the use-case samples' figures computed another way.

Usage: samples_check.py SAMPLES NAME OUTPUT

Reads the sample NAME's data in the folder SAMPLES, computes what its
pipeline must print with plain Python (batches and windows by their end,
as dstream names them), and compares with OUTPUT (the sample's output):
exactly, except for the p99 sample (within 1 % of the exact quantile,
the sketch's bound) and the click-through rate (rounded to 2 decimals).
Prints the differences and exits 1 when there are any.
"""
import collections, datetime, json, math, re, sys

def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')

def end(t, b):
    return (t // b) * b + b

def epoch(s):
    return int(datetime.datetime.strptime(s, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc).timestamp())

def clf_epoch(s):
    return int(datetime.datetime.strptime(s, '[%d/%b/%Y:%H:%M:%S +0000]').replace(tzinfo=datetime.timezone.utc).timestamp())

def lines(path):
    with open(path) as f:
        return [l.rstrip('\n') for l in f if l.strip()]

def orders(d):
    s = collections.Counter()
    for l in lines(d + '/orders.jsonl'):
        o = json.loads(l)
        s[(end(epoch(o['time']), 60), o['event'])] += o['qty']
    return {(iso(t), e): str(n) for (t, e), n in s.items()}

def windows(events, length, slide):
    """For each window end T (a multiple of SLIDE) from the first window
    holding an event to the last, the events in [T - LENGTH, T)."""
    ts = [t for t, _ in events]
    first, last = end(min(ts), slide), end(max(ts), slide) + length - slide
    for T in range(first, last + 1, slide):
        yield T, [e for t, e in events if T - length <= t < T]

def click_through(d):
    ev = [(int(f[0]), (f[2], f[1])) for f in (l.split() for l in lines(d + '/ads.log'))]
    out = {}
    for T, es in windows(ev, 3600, 300):
        imp, clk = collections.Counter(), collections.Counter()
        for ad, kind in es:
            (clk if kind == 'click' else imp)[ad] += 1
        for ad in imp:
            out[(iso(T), ad)] = (imp[ad], clk[ad], 100 * clk[ad] / imp[ad])
    return out

def fraud(d):
    ev = [(int(f[0]), f[1]) for f in (l.split() for l in lines(d + '/transactions.log'))]
    out = {}
    for T, cards in windows(ev, 600, 60):
        for c, n in collections.Counter(cards).items():
            if n > 5:
                out[(iso(T), c)] = str(n)
    return out

def sentiment(d):
    lex = dict(l.split('\t') for l in lines(d + '/lexicon.tsv'))
    s = collections.Counter()
    for l in lines(d + '/posts.txt'):
        t = end(int(l.split()[0]), 900)
        for w in re.split('[^a-z]+', l.lower()):
            if w in lex:
                v = int(lex[w])
                s[(iso(t), 'positive' if v > 0 else 'negative')] += v
    return {k: str(v) for k, v in s.items()}

def latency(d):
    v = collections.defaultdict(list)
    for l in lines(d + '/api.log'):
        f = l.split()
        v[(iso(end(clf_epoch(f[3] + ' ' + f[4]), 60)), f[6])].append(1000 * float(f[-1]))
    return {k: sorted(x)[math.floor(0.99 * (len(x) - 1))] for k, x in v.items()}

def visitors(d):
    s = collections.defaultdict(set)
    for l in lines(d + '/visits.log'):
        t, v, p = l.split()
        s[(iso(end(int(t), 3600)), p)].add(v)
    return {k: str(len(x)) for k, x in s.items()}

CHECKS = {'orders-per-minute': orders, 'click-through': click_through,
          'fraud-cards': fraud, 'sentiment': sentiment,
          'latency-p99': latency, 'unique-visitors': visitors}

def main():
    d, name, outfile = sys.argv[1:4]
    want = CHECKS[name](d)
    got = {}
    for l in lines(outfile):
        f = l.split('\t')
        got[(f[0], f[1])] = f[2:]
    bad = []
    for k in sorted(set(want) | set(got)):
        if k not in got or k not in want:
            bad.append('%s: %s only' % (k, 'python' if k in want else 'dstream'))
            continue
        w, g = want[k], got[k]
        if name == 'latency-p99':
            ok = abs(float(g[0]) - w) <= 0.01 * abs(w)
        elif name == 'click-through':
            ok = (int(g[0]), int(g[1])) == w[:2] and abs(float(g[2]) - w[2]) <= 0.005 + 1e-9
        else:
            ok = g == [w]
        if not ok:
            bad.append('%s: dstream %s, python %s' % (k, g, w))
    for b in bad:
        print(name + ': ' + b)
    print('%s: %d rows, %d differ' % (name, len(want), len(bad)))
    sys.exit(1 if bad or not want else 0)

main()

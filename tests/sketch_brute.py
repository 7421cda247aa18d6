#!/usr/bin/env python3
"""sketch_brute.py - generated data and exact answers, by brute force, for
tests/sketch.bats (the sketch reducers: distinct, p50..p99, quantile(Q),
topk(K)).

  gen-values N D SEED     N lines naming exactly D distinct values ("u<k>")
  distinct FILE           the exact number of distinct lines of FILE
  gen-quant N SEED        "DIST VALUE" lines: N each of uniform, exponential,
                          pareto (alpha 1.1), signed (ints -100..100)
  check-quant FILE Q GOT  GOT ("DIST<TAB>VALUE", dstream's answer for
                          quantile Q per DIST) within 1 % of the exact
                          quantile of FILE (rank floor(Q (n - 1)))
  gen-topk SEED           skewed values: a top 5 far apart over a Zipf tail
  gen-zipf N V S SEED     N draws of V values with weights 1 / i^S
  topk FILE K             the exact top K of FILE's lines "KEY VALUE" per
                          key, as dstream prints it: KEY<TAB>[[v,n],...]
  gen-events N SEED       "TIME KEY VALUE" lines, TIME in seconds, in order
  windows FILE L S FUNC   every window [T-L, T) (T a multiple of S) of the
                          events, per key: "STAMP<TAB>KEY<TAB>VALUE" with
                          FUNC distinct, topk(K) or quantile(Q) exact
  check-windows FUNC WANT GOT   equal, quantiles within 1 %
  gen-edges L SEED        "TIME KEY INT" lines for distinct windows of L
                          seconds: "edge<k>" keys whose window holds about
                          1531 + 2k values (the sparse limit, 1536, crossed
                          both ways), "coll<k>" keys over values that
                          share a 25-bit index (COLLIDE), "osc" whose
                          panes go from sparse to dense and back, a few
                          empty panes and gaps longer than a window
Exit status 1, with what differs on stdout, when a check fails.
"""
import json
import math
import random
import sys
import time

# Integers whose hashes (value_hash: XXH3 with the number seed) share
# their top 25 bits, the index of a sparse distinct sketch: each pair
# counts once while the sketch is sparse.
COLLIDE = ((57898, 155), (14058, 347), (98270, 1770), (93799, 2162),
           (87263, 2233), (16707, 2781), (48387, 3050), (13973, 3266),
           (14320, 3708), (77333, 4103), (66272, 4251), (10734, 4611),
           (84566, 5053), (90457, 5240), (14126, 5395), (45881, 5485),
           (50335, 5804), (21671, 5809), (67962, 6140), (77479, 6229))


def fmt(v):
    if isinstance(v, float) and v == int(v) and abs(v) < 2**53:
        return str(int(v))
    return repr(v)


def exact_q(xs, q):
    xs = sorted(xs)
    return xs[int(math.floor(q * (len(xs) - 1)))]


def rel(got, want):
    if want == 0:
        return abs(got)
    return abs(got - want) / abs(want)


def qof(func):
    if func.startswith("quantile("):
        return float(func[9:-1])
    if func.startswith("p") and func[1:].isdigit():
        return int(func[1:]) / 100
    return None


def topk_json(counts, k):
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return json.dumps([[v, n] for v, n in rows], separators=(",", ":"))


def main(a):
    cmd = a[0]
    if cmd == "gen-values":
        n, d, seed = int(a[1]), int(a[2]), int(a[3])
        r = random.Random(seed)
        ids = list(range(d)) + [r.randrange(d) for _ in range(n - d)]
        r.shuffle(ids)
        sys.stdout.write("".join("u%d\n" % i for i in ids))
    elif cmd == "distinct":
        with open(a[1]) as f:
            print(len(set(f.read().split("\n")) - {""}))
    elif cmd == "gen-quant":
        n, seed = int(a[1]), int(a[2])
        r = random.Random(seed)
        out = []
        for _ in range(n):
            out.append("uniform %r\n" % r.uniform(0, 1000))
            out.append("exponential %r\n" % r.expovariate(1 / 50))
            out.append("pareto %r\n" % r.paretovariate(1.1))
            out.append("signed %d\n" % r.randint(-100, 100))
        sys.stdout.write("".join(out))
    elif cmd == "check-quant":
        q = float(a[2])
        data = {}
        with open(a[1]) as f:
            for line in f:
                k, v = line.split()
                data.setdefault(k, []).append(float(v))
        got = {}
        with open(a[3]) as f:
            for line in f:
                k, v = line.rstrip("\n").split("\t")
                got[k] = float(v)
        bad = 0
        if set(got) != set(data):
            print("keys differ: %s vs %s" % (sorted(got), sorted(data)))
            bad = 1
        for k in sorted(data):
            want = exact_q(data[k], q)
            e = rel(got.get(k, float("nan")), want)
            print("%s q=%g exact %r got %r error %.4f %%" %
                  (k, q, want, got.get(k), 100 * e))
            if not e <= 0.01:
                bad = 1
        return bad
    elif cmd == "gen-topk":
        r = random.Random(int(a[1]))
        vals = []
        for v, n in (("alpha", 20000), ("beta", 15000), ("gamma", 10000),
                     ("delta", 7000), ("eps", 5000)):
            vals += [v] * n
        weights = [1 / (i ** 0.8) for i in range(1, 50001)]
        vals += ["t%d" % i for i in r.choices(range(50000), weights, k=100000)]
        r.shuffle(vals)
        sys.stdout.write("".join("k %s\n" % v for v in vals))
    elif cmd == "gen-zipf":
        n, nv, s, seed = int(a[1]), int(a[2]), float(a[3]), int(a[4])
        r = random.Random(seed)
        weights = [1 / (i ** s) for i in range(1, nv + 1)]
        vals = r.choices(range(nv), weights, k=n)
        sys.stdout.write("".join("z v%d\n" % v for v in vals))
    elif cmd == "topk":
        k = int(a[2])
        counts = {}
        with open(a[1]) as f:
            for line in f:
                key, v = line.split()
                c = counts.setdefault(key, {})
                c[v] = c.get(v, 0) + 1
        for key in sorted(counts):
            print("%s\t%s" % (key, topk_json(counts[key], k)))
    elif cmd == "gen-events":
        n, seed = int(a[1]), int(a[2])
        r = random.Random(seed)
        t = 1000
        out = []
        for _ in range(n):
            t += r.choice((0, 0, 0, 1, 1, 2)) + (r.randrange(30)
                                                 if r.random() < 0.02 else 0)
            key = "k%d" % r.randrange(4)
            v = r.choice((r.randrange(50), round(r.expovariate(0.01), 2)))
            out.append("%d %s %s\n" % (t, key, fmt(v)))
        sys.stdout.write("".join(out))
    elif cmd == "windows":
        ln, sl, func = int(a[2]), int(a[3]), a[4]
        ev = []
        with open(a[1]) as f:
            for line in f:
                t, k, v = line.split()
                ev.append((int(t), k, float(v)))
        lo = min(e[0] for e in ev)
        hi = max(e[0] for e in ev)
        T = (lo // sl) * sl
        while T <= hi + ln + sl:
            per = {}
            for t, k, v in ev:
                if T - ln <= t < T:
                    per.setdefault(k, []).append(v)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T))
            for k in sorted(per):
                xs = per[k]
                if func == "distinct":
                    val = str(len(set(xs)))
                elif func.startswith("topk("):
                    c = {}
                    for x in xs:
                        c[x] = c.get(x, 0) + 1
                    rows = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))
                    rows = rows[:int(func[5:-1])]
                    val = "[%s]" % ",".join("[%s,%d]" % (fmt(x), n)
                                            for x, n in rows)
                else:
                    val = fmt(exact_q(xs, qof(func)))
                print("%s\t%s\t%s" % (stamp, k, val))
            T += sl
    elif cmd == "check-windows":
        func = a[1]
        with open(a[2]) as f:
            want = [l.rstrip("\n").split("\t") for l in f]
        with open(a[3]) as f:
            got = [l.rstrip("\n").split("\t") for l in f]
        if [w[:2] for w in want] != [g[:2] for g in got]:
            print("windows or keys differ: %d rows wanted, %d got" %
                  (len(want), len(got)))
            return 1
        q = qof(func)
        worst = 0
        for w, g in zip(want, got):
            if q is None:
                if w[2] != g[2]:
                    print("differs: %s want %s got %s" % (w[:2], w[2], g[2]))
                    return 1
            else:
                e = rel(float(g[2]), float(w[2]))
                worst = max(worst, e)
                if not e <= 0.01:
                    print("off by %.3f %%: %s want %s got %s" %
                          (100 * e, w[:2], w[2], g[2]))
                    return 1
        print("%d rows, worst error %.4f %%" % (len(want), 100 * worst))
    elif cmd == "gen-edges":
        ln, seed = int(a[1]), int(a[2])
        r = random.Random(seed)
        out, t, fresh = [], 1000, 10**7
        for sec in range(3 * ln + 24):
            if sec > ln and r.random() < 0.03:
                t += ln + 1 + r.randrange(ln + 3)   # a gap past a window
            for k in range(6):
                c = (1531 + 2 * k) // ln + r.randint(-2, 2)
                if r.random() < 0.05:
                    c = 0                           # an empty pane
                for _ in range(c):
                    fresh += 1
                    out.append("%d edge%d %d\n" % (t, k, fresh))
            for k in range(3):
                for _ in range((1480 + 40 * k) // ln):
                    if r.random() < 0.5:
                        v = r.choice(r.choice(COLLIDE))
                    else:
                        v = 200000 + r.randrange(20000)
                    out.append("%d coll%d %d\n" % (t, k, v))
            c = (60, 2000 // ln + 40, 2500)[sec // max(ln // 2, 1) % 3]
            for _ in range(c if r.random() < 0.9 else 0):
                out.append("%d osc %d\n" % (t, 300000 + r.randrange(30000)))
            t += 1
        sys.stdout.write("".join(out))
    else:
        sys.exit("unknown command " + cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

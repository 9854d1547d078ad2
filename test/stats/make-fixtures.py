#!/usr/bin/env python3
"""Make the SciPy reference values for the featureguard/stats tests.

Run ONCE from the repository root (the fixtures are checked in):

    python3 test/stats/make-fixtures.py

The fixtures in test/stats/fixtures/*.json were made with this exact command,
Python 3.11.7, SciPy 1.17.1, NumPy 2.4.6 (recorded in each file's "made_with").

Large samples are not stored: they are described by a generator spec that the
TypeScript test rebuilds bit-for-bit (Park-Miller LCG, only +,*,/,floor):
    x_{k+1} = x_k * 48271 mod (2^31 - 1),  u = x / (2^31 - 1)
    value   = floor(u * scale) + shift   if "floor" else   u * scale + shift
{"sum": [spec, spec, ...]} is the element-wise sum of generated samples.
"""
import json
import math
import os
import sys
from fractions import Fraction

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
MADE_WITH = {
    "command": "python3 test/stats/make-fixtures.py",
    "python": sys.version.split()[0],
    "scipy": scipy.__version__,
    "numpy": np.__version__,
}


def gen(spec):
    x = spec["lcg"]
    out = []
    for _ in range(spec["n"]):
        x = (x * 48271) % 2147483647
        u = x / 2147483647
        if spec.get("floor"):
            out.append(math.floor(u * spec["scale"]) + spec.get("shift", 0))
        else:
            out.append(u * spec["scale"] + spec.get("shift", 0))
    return np.array(out, dtype=float)


def data(v):
    if isinstance(v, dict) and "sum" in v:
        return sum((gen(s) for s in v["sum"][1:]), gen(v["sum"][0]))
    return gen(v) if isinstance(v, dict) else np.array(v, dtype=float)


def num(x):
    x = float(x)
    return None if math.isnan(x) else x


def write(name, cases):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump({"made_with": MADE_WITH, "cases": cases}, f, indent=1)
        f.write("\n")


def L(seed, n, scale=1.0, shift=0.0, floor=False):
    return {"lcg": seed, "n": n, "scale": scale, "shift": shift, "floor": floor}


def ks_cases():
    specs = [
        ("n1 vs n1 equal", [1], [1]),
        ("n1 vs n1 apart", [1], [2]),
        ("n2 vs n3", [0.5, 2.0], [1.0, 1.5, 3.0]),
        ("n3 vs n3", [1, 2, 3], [2.5, 3.5, 4.5]),
        ("docs example", [1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8]),
        ("ties small", [1, 1, 2, 2, 2, 3], [1, 2, 3, 3, 3, 3, 4]),
        ("identical", [0.3, 1.2, 5.5, 2.2, 0.1], [0.3, 1.2, 5.5, 2.2, 0.1]),
        ("separated 7 vs 5", [1, 2, 3, 4, 5, 6, 7], [10, 11, 12, 13, 14]),
        ("unequal 100 vs 73", L(11, 100), L(12, 73, 1.0, 0.2)),
        ("equal 500", L(13, 500), L(14, 500, 1.0, 0.05)),
        ("discrete ties 300 vs 200", L(15, 300, 6, 0, True), L(16, 200, 6, 1, True)),
        ("exact 10000 vs 10000", L(17, 10000), L(18, 10000, 1.0, 0.01)),
        ("exact 10000 vs 9999", L(19, 10000), L(20, 9999, 1.0, 0.02)),
        ("exact 10000 vs 6000 discrete", L(21, 10000, 50, 0, True), L(22, 6000, 50, 0, True)),
        ("asymp 20000 vs 15000", L(23, 20000), L(24, 15000, 1.0, 0.01)),
        ("asymp 20000 vs 20000 same dist", L(25, 20000), L(26, 20000)),
        ("asymp 20000 vs 20000 discrete", L(27, 20000, 30, 0, True), L(28, 20000, 30, 0, True)),
        ("asymp 20000 vs 60", L(29, 20000), L(30, 60, 1.0, 0.1)),
        ("asymp 12000 vs 500 shifted", L(31, 12000), L(32, 500, 1.0, 0.15)),
        ("asymp 10001 vs 3 ", L(33, 10001), [0.2, 0.5, 0.9]),
        ("asymp 30000 vs 25000 shifted", L(34, 30000), L(35, 25000, 1.0, 0.05)),
    ]
    cases = []
    for name, a, b in specs:
        r = stats.ks_2samp(data(a), data(b))
        cases.append({"name": name, "a": a, "b": b, "statistic": num(r.statistic), "pvalue": num(r.pvalue)})
    return cases


def kstwo_cases():
    pts = [(3, 0.2), (3, 0.4), (10, 0.05), (10, 0.1), (10, 0.3), (10, 0.6), (50, 0.1), (50, 0.15), (50, 0.25),
           (50, 0.4), (100, 0.05), (100, 0.2), (140, 0.12), (200, 0.004), (200, 0.03), (200, 0.08), (500, 0.03),
           (500, 0.1), (2000, 0.005), (5000, 0.01), (5000, 0.05), (90000, 0.003), (150000, 0.001), (150000, 0.004),
           (400000, 0.002), (1000, 0.7), (1000, 0.9995)]
    out = [{"n": n, "x": x, "sf": num(stats.kstwo.sf(x, n))} for n, x in pts]
    sm = [(5, 0.5), (20, 0.1), (100, 0.2), (1000, 0.05), (50000, 0.01), (300000, 0.003)]
    return out, [{"n": n, "x": x, "sf": num(special.smirnov(n, x))} for n, x in sm]


def chisquare_cases():
    specs = [
        ("docs example", [16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]),
        ("uniform default", [16, 18, 16, 14, 12, 12], None),
        ("two categories", [30, 70], [50, 50]),
        ("perfect fit", [10, 20, 30], [10, 20, 30]),
        ("strong misfit", [1000, 10, 10], [340, 340, 340]),
        ("many categories", [int(v) for v in gen(L(40, 200, 100, 50, True))], None),
        ("large counts", [100300, 99700, 100000, 100600], [100150, 100150, 100150, 100150]),
        ("fractional expected", [5, 7, 9], [6.5, 7.25, 7.25]),
    ]
    cases = []
    for name, o, e in specs:
        r = stats.chisquare(o) if e is None else stats.chisquare(o, e)
        cases.append({"name": name, "observed": o, "expected": e, "statistic": num(r.statistic), "pvalue": num(r.pvalue)})
    return cases


def wasserstein_cases():
    specs = [
        ("docs example", [0, 1, 3], [5, 6, 8]),
        ("n1", [1], [2]),
        ("ties", [1, 1, 2, 2, 2, 3], [1, 2, 3, 3, 3, 3, 4]),
        ("identical", [0.3, 1.2, 5.5], [5.5, 0.3, 1.2]),
        ("unequal 100 vs 73", L(41, 100), L(42, 73, 2.0, 0.2)),
        ("large 10000 vs 20000", L(43, 10000, 10), L(44, 20000, 12, -1)),
        ("discrete", L(45, 3000, 20, 0, True), L(46, 2000, 20, 2, True)),
    ]
    cases = []
    for name, a, b in specs:
        cases.append({"name": name, "a": a, "b": b, "distance": num(stats.wasserstein_distance(data(a), data(b)))})
    return cases



def wnormed_exact(a, b):
    """W1 / max(std_ref, 0.001) without rounding trouble: the samples are scaled by a power of two (exact, so
    W's deltas cannot overflow) and the population variance is taken in Fractions (exact), so large values
    close together (int64 ids, epoch µs) keep their spread; NumPy's std of such values loses it."""
    big = max(abs(float(x)) for x in np.concatenate((a, b)))
    s = 2.0 ** math.floor(math.log2(big)) if big > 0 else 1.0
    fa = [Fraction(float(x)) / Fraction(s) for x in a]
    m = sum(fa, Fraction(0)) / len(fa)
    std = math.sqrt(float(sum(((x - m) ** 2 for x in fa), Fraction(0)) / len(fa)))
    w = stats.wasserstein_distance(a / s, b / s)
    return w / std if std * s >= 0.001 else w * s / 0.001


def twice_plus(spec, base):
    """2·spec + base as a {"sum": …} sample (a spec with scale 0 is the constant `base`)."""
    return {"sum": [spec, spec, L(spec["lcg"], spec["n"], 0, base, True)]}


def wasserstein_normed_cases():
    e15, two53, epoch = 10.0**15, 2.0**53, 1.7e15
    specs = [
        ("docs example", [0, 1, 2, 3], [1, 2, 3, 4]),
        ("1e15 + 0..10, shifted by 1", L(74, 1000, 11, e15, True), L(75, 1000, 11, e15 + 1, True)),
        ("int64 ids 2^53 + {0, 2, 4, 6}", twice_plus(L(76, 800, 4, 0, True), two53), twice_plus(L(77, 900, 4, 0, True), two53)),
        ("epoch µs near 1.7e15, 5000 vs 4000", L(70, 5000, 1000, epoch, True), L(71, 4000, 1000, epoch + 150, True)),
        ("1e15 + small fractions", L(72, 3000, 1.0, e15), L(73, 3000, 1.0, e15 + 0.25)),
        ("negative -1e15 - 0..6", L(78, 700, 7, -e15, True), L(79, 500, 5, -e15, True)),
        ("constant 1e15 reference (std floor)", [e15] * 5, [e15 + 2] * 3),
        ("unequal 100 vs 73", L(41, 100), L(42, 73, 2.0, 0.2)),
        ("magnitude 1e300", [x * 1e300 for x in [1, 2, 3, 4.5]], [x * 1e300 for x in [0.5, 2, 3.5, 6]]),
        ("tiny 1e-300 (std floor)", [1e-300, 2e-300, 4e-300], [3e-300, 5e-300]),
    ]
    cases = []
    for name, a, b in specs:
        cases.append({"name": name, "a": a, "b": b, "normed": num(wnormed_exact(data(a), data(b)))})
    return cases


def inf_json(x):
    """±Infinity as the strings "Infinity"/"-Infinity" (JSON has no infinities), NaN as null."""
    x = float(x)
    return None if math.isnan(x) else str(x).replace("inf", "Infinity") if math.isinf(x) else x


def wasserstein_inf_cases():
    # np.diff semantics: Inf − Inf and 0·Inf are NaN, so the result is Inf or NaN as SciPy's.
    # The last ten are the mismatches of a 1200-case fuzz against SciPy.
    inf, big, tiny = math.inf, 1e308, 5e-324
    two53 = 2.0**53
    specs = [
        ("-Inf in a", [-inf, -1], [big, 0, -1]),
        ("two +Inf in b", [two53], [inf, 0, inf]),
        ("one +Inf in b", [0, 1], [0, inf]),
        ("-Inf in both", [-inf], [-inf]),
        ("+Inf in both, same count", [0, inf], [1, inf]),
        ("+Inf after a tie", [0, inf], [0, 1]),
        ("deltas overflow to Inf", [-big], [big]),
        ("±1e308 without overflow", [big, -big], [0]),
        ("fuzz 1", [0.0], [-big, tiny, -1.0, -1.0, 1.0, 0.0, -inf, two53, -big, 1.0]),
        ("fuzz 2", [-big, 0.0, big, -big, two53, tiny, tiny, inf, big, inf], [tiny]),
        ("fuzz 3", [0.0, -1.0, big], [two53, 0.0, 0.0, -inf, -1.0]),
        ("fuzz 4", [-inf, -1.0], [big, -0.0, -1.0]),
        ("fuzz 5", [-big, two53 + 2, -big], [tiny, inf, big, tiny, two53 + 2, 1e-308, inf]),
        ("fuzz 6", [1e-308, -inf], [tiny, 1.0, -big, tiny, -1.0]),
        ("fuzz 7", [-1.0, inf], [-0.0, 1.0, -0.0, -inf, 1.0, 0.0, -1.0, -0.0, tiny, tiny]),
        ("fuzz 8", [two53], [inf, 0.0, inf]),
        ("fuzz 9", [-big, two53, tiny], [-1.0, 1e-308, -big, two53, tiny, two53, two53, -inf, 1.0, inf]),
        ("fuzz 10", [0.0, tiny, big, tiny, two53 + 2], [1e-308, two53 + 2, -inf, two53 + 2, -0.0, big, big]),
    ]
    cases = []
    for name, a, b in specs:
        d = stats.wasserstein_distance(np.array(a, dtype=float), np.array(b, dtype=float))
        cases.append({"name": name, "a": [inf_json(x) for x in a], "b": [inf_json(x) for x in b], "distance": inf_json(d)})
    return cases

def js_cases():
    specs = [
        ("docs example", [1.0, 0.0], [0.5, 0.5], None),
        ("disjoint", [1, 0, 0], [0, 1, 0], None),
        ("disjoint base 2", [1, 0, 0], [0, 1, 0], 2),
        ("identical", [1, 2, 3], [2, 4, 6], None),
        ("counts", [120, 30, 0, 50], [100, 60, 10, 30], None),
        ("many bins", [int(v) for v in gen(L(47, 50, 100, 0, True))], [int(v) for v in gen(L(48, 50, 100, 0, True))], None),
    ]
    cases = []
    for name, p, q, base in specs:
        v = jensenshannon(p, q) if base is None else jensenshannon(p, q, base)
        cases.append({"name": name, "p": p, "q": q, "base": base, "distance": num(v)})
    return cases


def spearman_cases():
    noisy = {"sum": [L(50, 5000), L(51, 5000, 2.0)]}
    specs = [
        ("docs example", [1, 2, 3, 4, 5], [5, 6, 7, 8, 7]),
        ("n2", [1, 2], [2, 1]),
        ("n3", [1, 2, 3], [1, 3, 2]),
        ("perfect", [1, 2, 3, 4], [10, 20, 30, 40]),
        ("ties", [1, 2, 2, 3, 3, 3, 4], [1, 1, 2, 2, 3, 5, 4]),
        ("large noisy", L(50, 5000), noisy),
        ("large discrete", L(52, 3000, 5, 0, True), L(53, 3000, 4, 0, True)),
    ]
    cases = []
    for name, x, y in specs:
        r = stats.spearmanr(data(x), data(y))
        cases.append({"name": name, "x": x, "y": y, "statistic": num(r.statistic), "pvalue": num(r.pvalue)})
    return cases


def auc_cases():
    specs = [
        ("docs example", [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]),
        ("ties", [1, 1, 2, 2, 3, 3, 3], [0, 1, 0, 1, 0, 1, 1]),
        ("perfect", [1, 2, 3, 4], [0, 0, 1, 1]),
        ("inverted", [4, 3, 2, 1], [0, 0, 1, 1]),
        ("large", L(60, 4000, 10, 0, True), L(61, 4000, 2, 0, True)),
    ]
    cases = []
    for name, s, lab in specs:
        s_arr = data(s)
        lab_arr = data(lab)
        pos, neg = s_arr[lab_arr == 1], s_arr[lab_arr == 0]
        u = stats.mannwhitneyu(pos, neg).statistic
        cases.append({"name": name, "scores": s, "labels": lab, "auc": num(u / (len(pos) * len(neg)))})
    return cases


def psi_cases():
    # Evidently's formula: shares, empty-bin shares replaced by 0.0001, natural log.
    specs = [
        ("docs example", [10, 20, 30, 40], [20, 20, 30, 30]),
        ("empty current bin", [25, 25, 25, 25], [40, 30, 30, 0]),
        ("empty reference bin", [0, 50, 50], [10, 45, 45]),
        ("identical", [5, 5, 5], [50, 50, 50]),
    ]
    cases = []
    for name, r, c in specs:
        rp = np.array(r, dtype=float) / sum(r)
        cp = np.array(c, dtype=float) / sum(c)
        np.place(rp, rp == 0, 0.0001)
        np.place(cp, cp == 0, 0.0001)
        cases.append({"name": name, "ref": r, "cur": c, "psi": num(np.sum((rp - cp) * np.log(rp / cp)))})
    return cases


def nan_cases():
    # NaN in an input (null in the JSON) propagates: SciPy's nan_policy='propagate', NumPy's quantile.
    # An all-zero distribution cannot be normalized: jensenshannon gives NaN too.
    nan = None
    specs = [
        ("mannWhitneyAuc", "NaN first score", [[nan, 1, 2, 3], [1, 0, 1, 0]]),
        ("mannWhitneyAuc", "NaN second score", [[1, nan, 2, 3], [1, 0, 1, 0]]),
        ("rankdata", "NaN inside", [[3, nan, 1, 2]]),
        ("rankdata", "NaN first", [[nan, 3, 1, 2]]),
        ("spearman", "NaN in x", [[1, nan, 3, 4], [1, 2, 3, 4]]),
        ("psi", "NaN reference count", [[nan, 1], [1, 1]]),
        ("psi", "NaN current count", [[1, 1, 2], [1, nan, 2]]),
        ("jensenshannon", "NaN entry", [[nan, 1], [1, 1]]),
        ("jensenshannon", "all-zero p", [[0, 0], [1, 1]]),
        ("jensenshannon", "all-zero q", [[1, 2, 3], [0, 0, 0]]),
        ("quantiles", "NaN in sample", [[nan, 1, 2], [0.5, 1]]),
        ("quantiles", "NaN last", [[1, 2, 3, nan], [0, 0.25, 0.5]]),
        ("decileEdges", "NaN in sample", [[nan, 1, 2, 3]]),
    ]
    cases = []
    for fn, name, args in specs:
        a = [np.array(x, dtype=float) for x in args]
        if fn == "mannWhitneyAuc":
            pos, neg = a[0][a[1] == 1], a[0][a[1] == 0]
            out = num(stats.mannwhitneyu(pos, neg).statistic / (len(pos) * len(neg)))
        elif fn == "rankdata":
            out = [num(v) for v in stats.rankdata(a[0])]
        elif fn == "spearman":
            r = stats.spearmanr(a[0], a[1])
            out = [num(r.statistic), num(r.pvalue)]
        elif fn == "psi":
            rp, cp = a[0] / a[0].sum(), a[1] / a[1].sum()
            np.place(rp, rp == 0, 0.0001)
            np.place(cp, cp == 0, 0.0001)
            out = num(np.sum((rp - cp) * np.log(rp / cp)))
        elif fn == "jensenshannon":
            out = num(jensenshannon(a[0], a[1]))
        elif fn == "quantiles":
            out = [num(v) for v in np.quantile(a[0], a[1])]
        else:  # decileEdges: the distinct non-NaN deciles
            qs = [num(v) for v in np.quantile(a[0], [k / 10 for k in range(1, 10)])]
            out = [q for i, q in enumerate(qs) if q is not None and (i == 0 or q != qs[i - 1])]
        cases.append({"fn": fn, "name": name, "args": args, "expected": out})
    return cases


def ztest_cases():
    specs = [(30, 100, 45, 100), (500, 1000, 520, 1000), (1, 10, 9, 10), (5000, 100000, 5400, 100000)]
    cases = []
    for s1, n1, s2, n2 in specs:
        p1, p2 = s1 / n1, s2 / n2
        P = (s1 + s2) / (n1 + n2)
        z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
        cases.append({"s1": s1, "n1": n1, "s2": s2, "n2": n2, "statistic": num(z), "pvalue": num(2 * stats.norm.sf(abs(z)))})
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    write("ks2samp.json", ks_cases())
    kstwo, smirnov = kstwo_cases()
    write("kstwo.json", kstwo)
    write("smirnov.json", smirnov)
    write("chisquare.json", chisquare_cases())
    write("wasserstein.json", wasserstein_cases())
    write("wasserstein_normed.json", wasserstein_normed_cases())
    with np.errstate(invalid="ignore", over="ignore"):
        write("wasserstein_inf.json", wasserstein_inf_cases())
    write("jensenshannon.json", js_cases())
    write("spearman.json", spearman_cases())
    write("auc.json", auc_cases())
    write("psi.json", psi_cases())
    write("ztest.json", ztest_cases())
    with np.errstate(invalid="ignore", divide="ignore"):
        write("nan.json", nan_cases())


if __name__ == "__main__":
    main()

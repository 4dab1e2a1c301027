#!/usr/bin/env python3
"""Dense-count experiments that docs/rules.md reports as not lowering the leave-one-out MAE, on the
detections `count_loo` caches (run it first with --upscaled):

  build/bench/count_loo ../shared/data/crowd_headpoints_small /tmp/cache.json --upscaled
  python3 bench/count_loo_experiments.py ../shared/data/crowd_headpoints_small /tmp/cache.json

A re-implementation of crowd::merge_persons / merge_heads / fuse_count and of the grid of
crowd::default_grid(); its first line must reproduce count_loo's "dense: whole grid by LOO" and
"head_or_person + tiles" figures (2.41 / 2.23 on the development images), else it has drifted from
the C++. Every figure is leave-one-out: the setting is chosen on the other 21 images.
"""
import json
import math
import statistics
import sys

SCALE_SETS = [0b0001, 0b0010, 0b0100, 0b1001, 0b1010, 0b0011]
PERSON_THR = [round(0.20 + 0.05 * i, 2) for i in range(11)]
HEAD_THR = [round(0.30 + 0.05 * i, 2) for i in range(13)]


def iou(a, b):
    w, h = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0
    i = w * h
    return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i)


def ios(a, b):
    w, h = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0
    return w * h / min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))


def suppress(boxes, same):
    boxes = sorted(boxes, key=lambda d: -d[4])
    kept = []
    for d in boxes:
        if not any(same(k, d) for k in kept):
            kept.append(d)
    return kept


def merge_heads(c, scales, thr, extra=None, rel_min=0.0):
    """extra = (scale index, score, max height px): an upscaled pass trusted for small heads only."""
    boxes = [d for i in range(len(c["heads"])) if scales >> i & 1 for d in c["heads"][i] if d[4] >= thr]
    if extra:
        i, s, t = extra
        boxes += [d for d in c["heads"][i] if d[4] >= s and d[3] - d[1] < t]
    kept = suppress(boxes, lambda k, d: iou(k, d) > 0.4 or ios(k, d) > 0.6)
    if rel_min > 0 and kept:
        med = statistics.median(h[3] - h[1] for h in kept)
        kept = [h for h in kept if h[3] - h[1] >= rel_min * med]
    return kept


def merge_persons(c, tiles, thr):
    boxes = [d for d in c["full"] if d[4] >= thr] + ([d for d in c["tiles"] if d[4] >= thr] if tiles else [])
    return suppress(boxes, lambda k, d: iou(k, d) > 0.5 or (tiles and ios(k, d) > 0.8))


def persons_without_head(persons, heads, zone=0.4):
    used, n = set(), 0
    for b in persons:
        zy, best, best_d = b[1] + zone * (b[3] - b[1]), None, 1e18
        for i, h in enumerate(heads):
            cx, cy = (h[0] + h[2]) / 2, (h[1] + h[3]) / 2
            if i in used or cx < b[0] or cx > b[2] or cy < b[1] - 0.05 * (b[3] - b[1]) or cy > zy:
                continue
            d = math.hypot(cx - (b[0] + b[2]) / 2, cy - b[1])
            if d < best_d:
                best_d, best = d, i
        if best is None:
            n += 1
        else:
            used.add(best)
    return n


def count_matrix(images, variants, family):
    """Rows: grid settings (x head variants); columns: images."""
    heads, persons = {}, {}
    for k, c in enumerate(images):
        for s in SCALE_SETS:
            for h in HEAD_THR:
                for v, var in enumerate(variants):
                    heads[k, s, h, v] = merge_heads(c, s, h, **var)
        for t in (False, True):
            for p in PERSON_THR:
                persons[k, t, p] = merge_persons(c, t, p)
    grid = []
    for tiles in (False, True):
        if family == "all":
            grid += [("persons", 0, 0, tiles, p, 0) for p in PERSON_THR]
        for s in SCALE_SETS:
            for h in HEAD_THR:
                for v in range(len(variants)):
                    if family == "all" and not tiles:
                        grid.append(("heads", s, h, False, 0.5, v))
                    for p in PERSON_THR:
                        for f in ("head_or_person", "max") if family == "all" else ("head_or_person",):
                            if family == "all" or tiles:
                                grid.append((f, s, h, tiles, p, v))

    def count(k, g):
        f, s, h, t, p, v = g
        if f == "persons":
            return len(persons[k, t, p])
        hs = heads[k, s, h, v]
        if f == "heads":
            return len(hs)
        ps = persons[k, t, p]
        return max(len(hs), len(ps)) if f == "max" else len(hs) + persons_without_head(ps, hs)

    return [[count(k, g) for k in range(len(images))] for g in grid]


def loo(m, truth, top_k=1):
    """Leave-one-out MAE: each image counted with the setting(s) best on the others (ties: earlier)."""
    n = len(truth)
    err = [[abs(row[k] - truth[k]) for k in range(n)] for row in m]
    tot = [sum(e) for e in err]
    abs_sum = 0
    for i in range(n):
        ranked = sorted(range(len(m)), key=lambda g: (tot[g] - err[g][i], g))[:top_k]
        abs_sum += abs(round(statistics.median(m[g][i] for g in ranked)) - truth[i])
    return abs_sum / n


def main():
    data_dir, cache_path = sys.argv[1], sys.argv[2]
    cache = json.load(open(cache_path))
    rows = [line.strip().split(",") for line in open(f"{data_dir}/counts.csv").readlines()[1:] if line.strip()]
    images, truth = [cache[r[0]] for r in rows], [int(r[2]) for r in rows]
    upscaled = all(len(c["heads"]) >= 6 for c in images)

    def both(variants):
        return " / ".join(f"{loo(count_matrix(images, variants, fam), truth):.2f}" for fam in ("all", "head_or_person"))

    plain = [{}]
    print(f"as shipped (must match count_loo): {both(plain)}   (whole grid / head_or_person + tiles)")
    if upscaled:
        print(f"+ 2x heads under 24 px @0.6: {both(plain + [{'extra': (5, 0.6, 24)}])}")
        print(f"+ that, or 1.5x under 20 px @0.8: {both(plain + [{'extra': (4, 0.8, 20)}, {'extra': (5, 0.6, 24)}])}")
    else:
        print("(no upscaled passes in the cache: run count_loo with --upscaled for those rows)")
    rel = [{"rel_min": r} for r in (0.0, 0.3, 0.4, 0.5)]
    print(f"relative head size gate, r by LOO in {{0, .3, .4, .5}}: {loo(count_matrix(images, rel, 'all'), truth):.2f}")
    fixed = [f"{loo(count_matrix(images, [{'rel_min': r}], 'all'), truth):.2f}" for r in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)]
    print(f"relative head size gate, r fixed 0.2..0.5: {', '.join(fixed)}")
    m = count_matrix(images, plain, "all")
    print("median of the K best settings, K = 3, 5, 10, 25, 50, 100: "
          + ", ".join(f"{loo(m, truth, k):.2f}" for k in (3, 5, 10, 25, 50, 100)))
    global PERSON_THR, HEAD_THR
    PERSON_THR, HEAD_THR = PERSON_THR[::2], HEAD_THR[::2]
    print(f"coarser grid (threshold steps 0.1): {both(plain)}")


if __name__ == "__main__":
    main()

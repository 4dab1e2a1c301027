#!/usr/bin/python3
"""Replays plate reading strategies on the recogniser outputs dumped by plates_dump (docs/anpr.md).

    plates_replay.py /tmp/pd/us [/tmp/pd/eu ...]

Only the localiser path is replayed (photos where no box gives a read that fits the grammar go to
the text-detector fallback in the real reader; they are counted apart). Top-1 is printed for the
two halves of the fixed split (FNV-1a of "region/image", even / odd) as in plates_bench.
"""
import json
import math
import sys
from collections import defaultdict

import numpy as np

ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
LAYOUTS = {
    "us": [],
    "eu": ["LLDDDLL", "DLDDDDD", "DLLDDDD", "LLLDDDD", "LLDDDDD", "DDDDLLL", "LLDDLLL"],
    "br": ["LLLDDDD", "LLLDLDD"],
}
TO_DIGIT = dict(O="0", Q="0", D="0", I="1", L="1", Z="2", S="5", B="8", G="6", T="7", A="4")
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "7": "T", "4": "A"}


def half(key):
    h = 2166136261
    for c in key.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h % 2


def generic_ok(t, r):
    d = any(c.isdigit() for c in t)
    if r == "us":
        return 5 <= len(t) <= 8 and d
    if r == "eu":
        return 4 <= len(t) <= 8
    return False


def grammar(inp, r):
    """-> (text, valid, known_layout) as plate_grammar.cpp."""
    text = inp.replace("O", "0") if r == "us" else inp
    best = (text, False, False)
    best_cost = 3
    for lay in LAYOUTS[r]:
        if len(lay) != len(text):
            continue
        out, cost, ok = list(text), 0, True
        for i, c in enumerate(text):
            if lay[i] == "D" and not c.isdigit():
                if c in TO_DIGIT:
                    out[i] = TO_DIGIT[c]
                    cost += 1
                else:
                    ok = False
                    break
            elif lay[i] == "L" and c.isdigit():
                if c in TO_LETTER:
                    out[i] = TO_LETTER[c]
                    cost += 1
                else:
                    ok = False
                    break
        if ok and cost < best_cost:
            best_cost = cost
            best = ("".join(out), True, True)
    if not best[2]:
        best = (best[0], generic_ok(inp, r) and generic_ok(text, r), False)
    return best


def greedy(P):
    """CTC greedy over blank + alphabet (columns 0..36): text, per-char probs."""
    a = P[:, :37].argmax(1)
    text, probs, prev = "", [], -1
    for t, k in enumerate(a):
        if k != 0 and k != prev:
            text += ALPHA[k - 1]
            probs.append(P[t, k])
        prev = k
    return text, probs


def ctc_logp(logP, label):
    """log P(label | frames) by the CTC forward algorithm; logP is T x 37 (renormalised)."""
    T = logP.shape[0]
    ext = [0]
    for c in label:
        ext += [ALPHA.index(c) + 1, 0]
    S = len(ext)
    if S > 2 * T + 1:
        return -1e9
    alpha = np.full(S, -np.inf)
    alpha[0] = logP[0, 0]
    if S > 1:
        alpha[1] = logP[0, ext[1]]
    for t in range(1, T):
        prev = alpha
        a = prev.copy()
        a[1:] = np.logaddexp(a[1:], prev[:-1])
        for s in range(2, S):
            if ext[s] != 0 and ext[s] != ext[s - 2]:
                a[s] = np.logaddexp(a[s], prev[s - 2])
        alpha = a + logP[t, ext]
    return float(np.logaddexp(alpha[-1], alpha[-2]) if S > 1 else alpha[-1])


def load(prefix):
    metas = [json.loads(l) for l in open(prefix + ".jsonl")]
    data = np.fromfile(prefix + ".f32", dtype=np.float32).reshape(-1, 38)
    off = 0
    for m in metas:
        m["P"] = data[off : off + m["T"]]
        off += m["T"]
    return metas


def photos_of(metas):
    photos = {}
    for m in metas:
        p = photos.setdefault((m["region"], m["image"]), {"label": m["label"], "boxes": {}})
        b = p["boxes"].setdefault((m["side"], m["qi"]), {"score": m["score"], "box": m["box"], "iou": m["iou"], "crops": {}})
        P = m["P"][:, :37].astype(np.float64)
        P = P / P.sum(1, keepdims=True)
        b["crops"][m["crop"]] = P
    return photos


def finish(text, probs, region):
    """finish_read for one guess: grammar, and dropping a spurious character to fit a layout."""
    g = grammar(text, region)
    if not g[2] and len(text) > 4:
        idx = sorted(range(len(text)), key=lambda i: probs[i])
        for k in idx[:2]:
            s = text[:k] + text[k + 1 :]
            m = grammar(s, region)
            if m[2]:
                return m, s
    return g, text


def tier(g):
    return 2 if g[2] else 1 if g[1] else 0


def read_box_baseline(box, region, crops=(0, 4)):
    best = None
    for i, c in enumerate(crops):
        t, pr = greedy(box["crops"][c])
        if i == 0 and len(t) < 3:
            return None
        if len(t) < 3:
            continue
        g, raw = finish(t, pr, region)
        conf = float(np.mean(pr)) if pr else 0
        if raw != t:
            k = next(i for i in range(len(t)) if i >= len(raw) or t[i] != raw[i])
            pr = pr[:k] + pr[k + 1 :]
            conf = float(np.mean(pr))
        cand = (tier(g), conf, g[0])
        if best is None or cand[:2] > best[:2]:
            best = cand
    return best


def read_box_fused(box, region, crops, gate=True, mix=False):
    """Every crop's greedy read (and its one-character drops) is a candidate; each candidate is
    scored by its CTC log-probability summed over the crops; best grammar tier, then score."""
    cands = set()
    reads = []
    for i, c in enumerate(crops):
        t, pr = greedy(box["crops"][c])
        if i == 0 and gate and len(t) < 3:
            return None
        if len(t) >= 3:
            reads.append((t, pr))
            cands.add(t)
            if len(t) > 4:
                for k in range(len(t)):
                    cands.add(t[:k] + t[k + 1 :])
    if not reads:
        return None
    logs = [np.log(box["crops"][c] + 1e-12) for c in crops]
    best = None
    for s in cands:
        g = grammar(s, region)
        if region != "us" and not g[2] and s not in [r[0] for r in reads]:
            continue  # drops only to fit a layout
        if region == "us" and s not in [r[0] for r in reads]:
            continue
        lps = [ctc_logp(L, s) for L in logs]
        lp = float(np.logaddexp.reduce(lps) - math.log(len(lps))) if mix else sum(lps) / len(lps)
        conf = math.exp(lp / max(1, len(s)))
        cand = (tier(g), conf, g[0])
        if best is None or cand[:2] > best[:2]:
            best = cand
    return best


def replay(photos, reader, sides=(640, 320)):
    res = {}
    for key, p in photos.items():
        region = key[0]
        allr = []
        for side in sides:
            for qi in range(3):
                b = p["boxes"].get((side, qi))
                if b is None:
                    continue
                r = reader(b, region)
                if r is None:
                    continue
                h = b["box"][3] - b["box"][1]
                allr.append((r, h))
            layouts_known = bool(LAYOUTS[region])
            if any(r[0] == 2 or (not layouts_known and r[0] == 1) for r, _ in allr):
                break
        fits = any(r[0] == 2 or (not LAYOUTS[region] and r[0] == 1) for r, _ in allr)
        tallest = max([1] + [h for _, h in allr])
        allr.sort(key=lambda x: (x[0][0], x[0][1] * math.sqrt(x[1] / tallest)), reverse=True)
        got = allr[0][0][2] if allr else ""
        res[key] = (got, fits)
    return res


def score(photos, res, label=""):
    out = {}
    for reg in ("us", "eu", "br"):
        ks = [k for k in res if k[0] == reg]
        if not ks:
            continue
        ok = [k for k in ks if res[k][0] == photos[k]["label"]]
        fb = [k for k in ks if not res[k][1]]
        h = [sum(1 for k in ok if half(k[0] + "/" + k[1]) == i) for i in (0, 1)]
        n = [sum(1 for k in ks if half(k[0] + "/" + k[1]) == i) for i in (0, 1)]
        out[reg] = (len(ok), len(ks), h, n, len(fb), sum(1 for k in fb if k in ok))
        print(f"{label:30s} {reg}: {len(ok)}/{len(ks)} halves {h[0]}/{n[0]} | {h[1]}/{n[1]}  fallback {len(fb)}")
    return out


def beam(P, width=8, topn=5):
    """CTC prefix beam search over blank + alphabet: the most probable label sequences."""
    beams = {"": (1.0, 0.0)}  # prefix -> (p ending in blank, p ending in non-blank)
    for t in range(P.shape[0]):
        row = P[t]
        cand_k = [k for k in np.argsort(-row)[:6] if k != 0]
        nb = defaultdict(lambda: [0.0, 0.0])
        for pre, (pb, pnb) in beams.items():
            tot = pb + pnb
            nb[pre][0] += tot * row[0]
            if pre:
                last = ALPHA.index(pre[-1]) + 1
                nb[pre][1] += pnb * row[last]
            for k in cand_k:
                c = ALPHA[k - 1]
                np_ = pre + c
                if pre and pre[-1] == c:
                    nb[np_][1] += pb * row[k]
                else:
                    nb[np_][1] += tot * row[k]
        beams = dict(sorted(((k, tuple(v)) for k, v in nb.items()), key=lambda x: -(x[1][0] + x[1][1]))[:width])
    out = sorted(((k, v[0] + v[1]) for k, v in beams.items()), key=lambda x: -x[1])
    return out[:topn]


def read_box_beam(box, region, crops=(0, 4), topn=5, constrained=True):
    """Per crop, the CTC prefix beam's best reads; the best grammar tier (searching the beam's
    n-best when constrained), then the per-character geometric mean probability."""
    best = None
    for i, c in enumerate(crops):
        P = box["crops"][c]
        t, _ = greedy(P)
        if i == 0 and len(t) < 3:
            return None
        outs = beam(P, topn=topn if constrained else 1)
        for s, p in outs:
            if len(s) < 3:
                continue
            g = grammar(s, region)
            cand = (tier(g), p ** (1 / len(s)), g[0])
            if best is None or cand[:2] > best[:2]:
                best = cand
    return best


DIG = set(range(27, 37))
LET = set(range(1, 27))


def greedy_runs(P):
    """Greedy CTC characters with the time steps each spans: [[class, [t, ...]], ...]."""
    a = P[:, :37].argmax(1)
    out, prev = [], -1
    for t, k in enumerate(a):
        if k != 0 and k != prev:
            out.append([k, [t]])
        elif k != 0 and k == prev:
            out[-1][1].append(t)
        prev = k
    return out


def frequent_fix(P, layouts, ratio):
    """frequent_layout_fix of plate_grammar.cpp on one crop's probabilities."""
    runs = greedy_runs(P)
    text = "".join(ALPHA[k - 1] for k, _ in runs)
    if "".join("D" if c.isdigit() else "L" for c in text) in layouts:
        return text
    best = None
    for lay in layouts:
        if len(lay) != len(text):
            continue
        wrong = [i for i, c in enumerate(text) if (lay[i] == "D") != c.isdigit()]
        if len(wrong) != 1:
            continue
        i = wrong[0]
        k, ts = runs[i]
        cand = max((P[t, j], j) for t in ts for j in (DIG if lay[i] == "D" else LET))
        if cand[0] >= ratio * max(P[t, k] for t in ts) and (best is None or cand[0] > best[0]):
            best = (cand[0], text[:i] + ALPHA[cand[1] - 1] + text[i + 1 :])
    return best[1] if best else text


def read_box_frequent(crops, layouts, ratio):
    def f(box, region):
        best = None
        for i, c in enumerate(crops):
            P = box["crops"][c]
            t, pr = greedy(P)
            if i == 0 and len(t) < 3:
                return None
            if len(t) < 3:
                continue
            t2 = frequent_fix(P, layouts, ratio) if layouts and region == "us" else t
            g, _ = finish(t2, pr, region)
            cand = (tier(g), float(np.mean(pr)), g[0])
            if best is None or cand[:2] > best[:2]:
                best = cand
        return best

    return f


def label_layouts(labels_csv, h, min_share):
    """US label patterns that are at least `min_share` of half h's labels."""
    import csv
    from collections import Counter

    rows = [r for r in csv.DictReader(open(labels_csv)) if r["region"] == "us" and half("us/" + r["image"]) == h]
    c = Counter("".join("D" if ch.isdigit() else "L" for ch in r["plate_text"]) for r in rows)
    return sorted(p for p, n in c.items() if n >= min_share * len(rows))


if __name__ == "__main__":
    labels_csv = "/work/shared/data/plates_openalpr_endtoend/labels.csv"
    photos = {}
    for pre in sys.argv[1:]:
        photos.update(photos_of(load(pre)))

    def top(res, h):
        return sum(1 for k in res if res[k][0] == photos[k]["label"] and half(k[0] + "/" + k[1]) == h)

    def show(name, res):
        print(f"{name:60s} A {top(res, 0)}  B {top(res, 1)}")

    show("today: crops 0 and 4, best tier then confidence", replay(photos, read_box_baseline))
    show("CTC prefix beam, top-1", replay(photos, lambda b, r: read_box_beam(b, r, constrained=False)))
    show("CTC prefix beam, best of 3 that fits", replay(photos, lambda b, r: read_box_beam(b, r, topn=3)))
    if all(len(b["crops"]) >= 16 for p in photos.values() for b in p["boxes"].values()):
        show("product of CTC likelihoods, 16 crops", replay(photos, lambda b, r: read_box_fused(b, r, tuple(range(16)))))
    for h in (0, 1):
        for share in (0.15, 0.10):
            lays = label_layouts(labels_csv, h, share)
            for ratio in (0.01, 0.1, 0.3):
                show(f"frequent layouts of half {'AB'[h]} (>= {share:.0%}) {lays}, ratio {ratio}",
                     replay(photos, read_box_frequent((0, 4), lays, ratio)))

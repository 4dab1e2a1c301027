#!/usr/bin/env python3
"""Writes the golden scenes' inputs: synthetic MOTChallenge detections (frame,-1,x,y,w,h,score),
seqinfo.ini and config.yml, one folder per rule edge case. Deterministic; rerun after editing a
scene, then bless the expected events (scripts/bless-golden.sh) and review the diff.

Every scene: 1280x720, 10 fps, people as 40x100 boxes whose bottom-centre is the anchor."""
import os

W, H, FPS = 1280, 720, 10


def box(cx, bottom, w=40, h=100, score=0.9):
    return (cx - w / 2, bottom - h, w, h, score)


def scene(name, frames, objects, config, note):
    """objects: functions frame -> (cx, bottom) or None (missed in that frame)."""
    os.makedirs(name, exist_ok=True)
    with open(f"{name}/seqinfo.ini", "w") as f:
        f.write(f"[Sequence]\nname={name}\nimDir=img1\nframeRate={FPS}\nseqLength={frames}\n"
                f"imWidth={W}\nimHeight={H}\nimExt=.jpg\n")
    with open(f"{name}/detections.txt", "w") as f:
        for fr in range(1, frames + 1):
            for obj in objects:
                p = obj(fr)
                if p is None:
                    continue
                x, y, w, h, s = box(*p)
                f.write(f"{fr},-1,{x:.1f},{y:.1f},{w:.1f},{h:.1f},{s:.2f}\n")
    with open(f"{name}/config.yml", "w") as f:
        f.write(f"# {note}\n{config}")


def walk(x0, y0, x1, y1, f0, f1):
    """Straight walk from (x0,y0) at frame f0 to (x1,y1) at f1; absent outside."""
    def at(fr):
        if fr < f0 or fr > f1:
            return None
        a = (fr - f0) / (f1 - f0)
        return (x0 + a * (x1 - x0), y0 + a * (y1 - y0))
    return at


def path(points):
    """Piecewise-linear walk through (frame, x, y) points."""
    def at(fr):
        for (fa, xa, ya), (fb, xb, yb) in zip(points, points[1:]):
            if fa <= fr <= fb:
                a = (fr - fa) / (fb - fa) if fb > fa else 0
                return (xa + a * (xb - xa), ya + a * (yb - ya))
        return None
    return at


def missing(obj, frames):
    return lambda fr: None if fr in frames else obj(fr)


LINE = """rules:
  lines:
    - name: gate
      p1: [0.5, 0.1]
      p2: [0.5, 0.9]
"""
ZONE = """rules:
  zones:
    - name: desk
      polygon: [[0.6, 0.3], [0.9, 0.3], [0.9, 0.9], [0.6, 0.9]]
      dwell_threshold_s: 3
"""

scene("line_two_ways", 80, [walk(300, 500, 1000, 520, 1, 60), walk(1000, 400, 300, 380, 10, 70)], LINE,
      "Two people cross the gate line in opposite directions: one in, one out.")
scene("line_jitter_on_the_line", 100,
      [lambda fr: (640 + (8 if fr % 2 else -8), 500)], LINE,
      "A person standing on the line, the anchor jittering +-8 px across it: nothing counts.")
scene("line_flicker", 60,
      [path([(1, 560, 500), (20, 600, 500), (21, 700, 500), (22, 600, 500), (60, 580, 500)])], LINE,
      "One frame on the far side (A,A,B,A,A), a detector glitch: nothing counts.")
scene("line_recross", 120,
      [path([(1, 400, 500), (28, 780, 500), (34, 800, 500), (40, 780, 500), (64, 400, 500), (70, 385, 500),
             (76, 400, 500), (100, 780, 500), (120, 850, 500)])], LINE,
      "Crosses, slows, turns back, crosses again, turns again, crosses again: out, in, out, one track.")
scene("line_around_the_end", 80,
      [path([(1, 400, 690), (30, 600, 710), (40, 700, 710), (80, 900, 690)])], LINE,
      "Passes below the segment's end (y > 0.9): the path never cuts the segment, nothing counts.")
scene("line_at_5_fps", 80, [walk(300, 500, 1000, 520, 1, 60), walk(1000, 400, 300, 380, 10, 70)],
      LINE + "detect_fps: 5\n",
      "line_two_ways analysed at 5 fps: the same crossings, times within one period (0.2 s).")
scene("zone_dwell", 120,
      [path([(1, 500, 600), (20, 900, 600), (80, 900, 600), (100, 1250, 600), (120, 1260, 600)])], ZONE,
      "Enters the zone, stays 6 s (dwell after 3 s), leaves: enter, dwell, exit with dwell_s.")
scene("zone_short_occlusion", 120,
      [missing(path([(1, 500, 600), (20, 900, 600), (80, 900, 600), (100, 1250, 600), (120, 1260, 600)]),
               set(range(40, 46)))],
      ZONE, "As zone_dwell, but unseen for 0.6 s while inside: still one stay, no exit/re-entry.")
scene("zone_stream_ends_inside", 60, [path([(1, 500, 600), (20, 900, 600), (60, 900, 600)])], ZONE,
      "The stream ends while the person is inside: the pending exit is emitted at the end.")
scene("zone_overcrowded", 200,
      [path([(1, 500, 400 + 60 * k), (20 + 5 * k, 800, 400 + 60 * k), (100, 800, 400 + 60 * k),
             (130, 1270, 400 + 60 * k)]) for k in range(4)]
      + [path([(140, 500, 500), (160, 800, 500), (200, 800, 500)]),
         path([(140, 500, 600), (165, 800, 600), (200, 800, 600)]),
         path([(140, 500, 700), (170, 800, 700), (200, 800, 700)])],
      """rules:
  zones:
    - name: desk
      polygon: [[0.6, 0.3], [0.9, 0.3], [0.9, 0.99], [0.6, 0.99]]
      max_occupancy: 2
      overcrowded_cooldown_s: 60
""", "Four people in a zone for two: one overcrowding event; it re-fills within the cool-down: no second.")

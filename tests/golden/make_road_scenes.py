#!/usr/bin/env python3
"""Writes the road golden scenes (tracks in, events out): vehicles driven in metres on a calibrated
road, projected into a 1280x720 frame at 10 fps through the scene's homography, with the signal
timeline the rules read (signals.jsonl) and the detections' class (det_class.txt). Deterministic;
rerun after editing a scene, then bless (scripts/bless-golden.sh) and review the diff.

The road: 7 m wide (x 0..7 m), y = metres away from the camera's near edge; the camera looks
along +y, so a vehicle approaching the camera moves down the image."""
import json
import os

W, H, FPS = 1280, 720, 10

# Image (normalised) -> world (m): a 7 m x 40 m stretch seen in perspective.
CAL = [((0.30, 0.95), (0.0, 0.0)), ((0.70, 0.95), (7.0, 0.0)),
       ((0.56, 0.40), (7.0, 40.0)), ((0.44, 0.40), (0.0, 40.0))]
CAL_YAML = "calibration:\n  points:\n" + "".join(
    f"    - {{image: [{i[0]}, {i[1]}], world: [{w[0]}, {w[1]}]}}\n" for i, w in CAL)


def solve(a, b):
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            for k in range(c, n + 1):
                m[r][k] -= f * m[c][k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))) / m[r][r]
    return x


def homography(src, dst):
    a, b = [], []
    for (x, y), (u, v) in zip(src, dst):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y]); b.append(u)
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y]); b.append(v)
    return solve(a, b) + [1.0]


# world -> image (normalised)
HW = homography([w for _, w in CAL], [i for i, _ in CAL])


def to_image(x, y):
    h = HW
    d = h[6] * x + h[7] * y + h[8]
    return ((h[0] * x + h[1] * y + h[2]) / d, (h[3] * x + h[4] * y + h[5]) / d)


def car_box(x, y, width_m=1.8):
    """A car's box whose bottom-centre is its ground point (x, y) in metres."""
    u, v = to_image(x, y)
    u2, _ = to_image(x + width_m, y)
    w = (u2 - u) * W
    h = 0.8 * w
    return (u * W - w / 2, v * H - h, w, h)


def person_box(x, y):
    u, v = to_image(x, y)
    u2, _ = to_image(x + 0.5, y)
    w = (u2 - u) * W
    return (u * W - w / 2, v * H - 3.4 * w, w, 3.4 * w)


def drive(points):
    """Piecewise-linear motion through (t_s, x_m, y_m); absent outside."""
    def at(t):
        for (ta, xa, ya), (tb, xb, yb) in zip(points, points[1:]):
            if ta <= t <= tb:
                a = (t - ta) / (tb - ta) if tb > ta else 0
                return (xa + a * (xb - xa), ya + a * (yb - ya))
        return None
    return at


def scene(name, seconds, objects, config, note, signals=(), det_class="car", boxer=car_box):
    os.makedirs(name, exist_ok=True)
    frames = int(seconds * FPS)
    with open(f"{name}/seqinfo.ini", "w") as f:
        f.write(f"[Sequence]\nname={name}\nimDir=img1\nframeRate={FPS}\nseqLength={frames}\n"
                f"imWidth={W}\nimHeight={H}\nimExt=.jpg\n")
    with open(f"{name}/detections.txt", "w") as f:
        for fr in range(1, frames + 1):
            t = (fr - 1) / FPS
            for obj in objects:
                p = obj(t)
                if p is None:
                    continue
                x, y, w, h = boxer(*p)
                if y + h > H or x < 0 or x + w > W:
                    continue  # below or beside the frame
                f.write(f"{fr},-1,{x:.1f},{y:.1f},{w:.1f},{h:.1f},0.90\n")
    with open(f"{name}/signals.jsonl", "w") as f:
        for t, sig, state in signals:
            f.write(json.dumps({"pts_s": t, "signal": sig, "state": state}) + "\n")
    with open(f"{name}/det_class.txt", "w") as f:
        f.write(det_class + "\n")
    with open(f"{name}/config.yml", "w") as f:
        f.write(f"# {note}\n{config}")


def line_at(y_m):
    """A stop line across the road at y_m, p1 -> p2 so that approaching traffic crosses it left to right."""
    (u1, v1), (u2, v2) = to_image(-0.5, y_m), to_image(7.5, y_m)
    return f"p1: [{u1:.4f}, {v1:.4f}]\n      p2: [{u2:.4f}, {v2:.4f}]"


def zone(x0, x1, y0, y1):
    pts = [to_image(x0, y0), to_image(x1, y0), to_image(x1, y1), to_image(x0, y1)]
    return "[" + ", ".join(f"[{u:.4f}, {v:.4f}]" for u, v in pts) + "]"


SIGNAL = "signals:\n  - {name: main}\n"
STOP = f"""rules:
  stop_lines:
    - name: stop
      {line_at(10)}
      signal: main
      amber_grace_s: 0.5
"""

# ---- Red light: crossing at amber, within the grace after red, and at red ---------------------------
# main: green, amber at 3 s, red at 6 s. At 10 m/s from y = 40 m the stop line (10 m) is 3 s away.
scene("road_red_light_amber_vs_red", 14,
      [drive([(1.5, 1.75, 40), (4.5, 1.75, 10), (5.5, 1.75, 0)]),      # crosses at 4.5 s: amber
       drive([(3.3, 5.25, 40), (6.3, 5.25, 10), (7.3, 5.25, 0)]),      # 6.3 s: red for 0.3 s < grace
       drive([(5.0, 1.75, 40), (8.0, 1.75, 10), (9.0, 1.75, 0)])],     # 8.0 s: red for 2 s: red_light
      CAL_YAML + SIGNAL + STOP,
      "Three cars cross the stop line: at amber, 0.3 s into red (within the 0.5 s grace), 2 s into red: "
      "one red_light.",
      signals=[(0, "main", "green"), (3, "main", "amber"), (6, "main", "red"), (13, "main", "green")])

# ---- A queue at red: stopped before the line in a no-stopping zone, for longer than max_stop_s --------
scene("road_queue_at_red", 50,
      [drive([(0, 1.75, 40), (2.8, 1.75, 12), (3.6, 1.75, 11), (42, 1.75, 11), (43, 1.75, 9), (44, 1.75, 0)]),
       drive([(2, 1.75, 40), (5.5, 1.75, 18.5), (6.3, 1.75, 17), (42.5, 1.75, 17), (44, 1.75, 9), (45, 1.75, 0)]),
       drive([(20, 5.25, 40), (23, 5.25, 10), (24, 5.25, 0)])],
      CAL_YAML + SIGNAL + STOP + f"""  zones:
    - name: approach
      polygon: {zone(0, 7, 10.2, 30)}
      no_stopping: true
      max_stop_s: 30
      queue_signal: main
""",
      "Two cars queue 38 s at a red light in a no-stopping zone (max 30 s) and leave at green: no violation; "
      "a third car runs the red in the other lane: one red_light.",
      signals=[(0, "main", "red"), (41.5, "main", "green")])

# ---- A U-turn: against the lane's direction over min_distance_m ---------------------------------------
LANE = CAL_YAML + f"""rules:
  zones:
    - name: southbound
      polygon: {zone(0, 7, 2, 38)}
      direction: [0, 1]
      min_distance_m: 5
"""
scene("road_u_turn", 16,
      [drive([(0, 1.75, 36), (3, 1.75, 20), (4.5, 3.5, 17), (6, 5.25, 20), (9, 5.25, 34)]),
       drive([(1, 5.25, 38), (5, 5.25, 26), (12, 5.25, 4)])],
      LANE,
      "One car drives the lane's way, turns around and drives back 14 m: wrong_way once 5 m against; "
      "a second car drives the lane's way at 2.6-3 m/s: nothing.")

# ---- Forbidden stop: 29 s (tolerated) vs 31 s (violation) with max_stop_s 30 ---------------------------
scene("road_stop_29_vs_31", 45,
      [drive([(0, 1.75, 38), (2, 1.75, 22), (3, 1.75, 20), (32, 1.75, 20), (33, 1.75, 22), (35, 1.75, 36)]),
       drive([(1, 5.25, 38), (3, 5.25, 22), (4, 5.25, 20), (35, 5.25, 20), (36, 5.25, 22), (38, 5.25, 36)])],
      CAL_YAML + f"""rules:
  zones:
    - name: bus_stop
      polygon: {zone(0, 7, 12, 30)}
      no_stopping: true
      max_stop_s: 30
""",
      "Two cars stop in a no-stopping zone (max 30 s): one for 29 s, one for 31 s: one forbidden_stop.")

# ---- Speeding: 45 km/h and 70 km/h under a 50 km/h limit (margin 5) -------------------------------------
scene("road_speeding", 10,
      [drive([(0, 1.75, 40), (40 / 12.5, 1.75, 0)]),
       drive([(4, 5.25, 40), (4 + 40 / (70 / 3.6), 5.25, 0)])],
      CAL_YAML + f"""rules:
  zones:
    - name: limit50
      polygon: {zone(0, 7, 1, 39)}
      speed_limit_kmh: 50
      speed_margin_kmh: 5
      min_distance_m: 10
""",
      "A car at 45 km/h and one at 70 km/h under a 50 km/h limit: one speeding, near 70 km/h.")

# ---- Rail crossing: a person on it when it closes, one walking in while closed, one after it opens ------
scene("road_rail_person_on_crossing", 22,
      [drive([(0, -3, 14), (3, 3, 14), (8, 3.5, 14), (12, 10, 14)]),   # on the crossing when it closes at 5 s
       drive([(6, -3, 16), (10, 2, 16), (13, 10, 16)]),                 # walks in at ~9 s while closed
       drive([(14, -3, 18), (17, 3, 18), (21, 10, 18)])],               # walks in after it opens at 15 s
      CAL_YAML + """signals:
  - {name: barrier}
rules:
  zones:
    - name: crossing
      polygon: """ + zone(-0.5, 7.5, 12, 20) + """
      crossing_signal: barrier
""",
      "A person is on the crossing when it closes (at once), another walks in while closed, a third after it "
      "opens: two rail_crossing_entry.",
      signals=[(0, "barrier", "open"), (5, "barrier", "closed"), (15, "barrier", "open")],
      det_class="person", boxer=person_box)

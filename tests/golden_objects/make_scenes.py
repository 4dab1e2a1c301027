#!/usr/bin/env python3
"""Writes the left/removed-object golden scenes: scene.txt (what is drawn in each synthetic frame,
and which boxes the "detector" reports) and config.yml, one folder per edge case. The golden test
(tests/unit/object_golden_test.cpp) renders the frames (a textured floor, people and bags as
textured boxes), runs the analysis core on them with the listed detections, and compares the
events with expected.jsonl. Deterministic; rerun after editing a scene, then bless
(scripts/bless-golden.sh) and review the diff.

scene.txt: a header `# size W H fps F frames N`, then `frame,class,x,y,w,h,detected` rows
(frames from 0; every row is drawn; detected=1 rows are also detections, score 0.9)."""
import os

W, H, FPS = 640, 360, 5
PW, PH = 40, 110  # a person's box
BW, BH = 30, 24   # a bag's box

CONFIG = """rules:
  zones:
    - name: hall
      polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]
      abandoned_after_s: {abandoned}
{removed}"""


def lerp(points, fr):
    """Piecewise-linear path through (frame, x, y); None outside it."""
    for (fa, xa, ya), (fb, xb, yb) in zip(points, points[1:]):
        if fa <= fr <= fb:
            a = (fr - fa) / (fb - fa) if fb > fa else 0
            return xa + a * (xb - xa), ya + a * (yb - ya)
    return None


def scene(name, frames, people, bags, note, abandoned=5, removed=None, missed=lambda pid, fr: False):
    """people: {id: path}; a path gives the person's feet (bottom-centre) per frame.
    bags: list of (path of the bag's bottom-centre, detected-after-frame or None)."""
    os.makedirs(name, exist_ok=True)
    rows = []
    for fr in range(frames):
        for pid, path in people.items():
            p = lerp(path, fr)
            if p is None:
                continue
            rows.append((fr, "person", p[0] - PW / 2, p[1] - PH, PW, PH, 0 if missed(pid, fr) else 1))
        for path, detected_from in bags:
            p = lerp(path, fr)
            if p is None:
                continue
            det = 1 if detected_from is not None and fr >= detected_from else 0
            rows.append((fr, "handbag", p[0] - BW / 2, p[1] - BH, BW, BH, det))
    with open(f"{name}/scene.txt", "w") as f:
        f.write(f"# size {W} {H} fps {FPS} frames {frames}\n")
        for r in rows:
            f.write(f"{r[0]},{r[1]},{r[2]:.1f},{r[3]:.1f},{r[4]},{r[5]},{r[6]}\n")
    removed_line = f"      removed_after_s: {removed}\n" if removed is not None else ""
    with open(f"{name}/config.yml", "w") as f:
        f.write(f"# {note}\ndetect_fps: {FPS}\n" + CONFIG.format(abandoned=abandoned, removed=removed_line))


# The owner walks in from the left carrying a bag, sets it down at (300, 250) at frame 40,
# stands by it, then walks off to the right and out of view.
def carried(put_frame, x=300, y=250):
    return [(0, -40 + 25, y), (put_frame, x, y), (10**6, x, y)]


owner_leaves = {1: [(0, -40, 250), (40, 275, 250), (55, 275, 250), (95, 680, 250)]}
scene("object_left_owner_walks_away", 200, owner_leaves, [(carried(40), 50)],
      "The owner sets a bag down, stands by it 3 s, walks out of view: abandoned 5 s after the owner moved away.")

# As above; 6 s after the alarm a passer-by stands in front of the bag for 4 s (longer than
# removed_after_s): hidden, not gone; nothing more.
passer = {2: [(120, -20, 270), (140, 300, 270), (160, 300, 270), (185, 680, 270)]}
scene("object_briefly_occluded", 220, {**owner_leaves, **passer}, [(carried(40), None)],
      "Left bag, owner gone; a passer-by hides it for 4 s: one object_abandoned, no object_removed.",
      removed=3)

# The owner stands still beside the bag for 30 s (the detector misses them now and then), then
# leaves: abandoned 5 s after leaving, never while standing there.
stander = {1: [(0, -40, 250), (40, 275, 250), (190, 275, 250), (230, 680, 250)]}
scene("object_owner_stands_still", 300, stander, [(carried(40), 50)],
      "Owner stands still next to the bag for 30 s (missed by the detector in some frames), then leaves.",
      missed=lambda pid, fr: fr % 7 == 3 or 100 <= fr < 104)

# After the alarm somebody nudges the bag 12 px and walks on: the same object, no new alarm,
# not removed.
nudger = {2: [(130, 680, 250), (150, 335, 250), (156, 335, 250), (175, 680, 250)]}
scene("object_moved_a_little", 240, {**owner_leaves, **nudger},
      [([(0, -15, 250), (40, 300, 250), (152, 300, 250), (154, 312, 250), (10**6, 312, 250)], 50)],
      "Left bag nudged 12 px by a passer-by after the alarm: one object_abandoned only.",
      removed=3)

# After the alarm somebody picks the bag up and carries it away: cleared and removed.
taker = {2: [(130, 680, 250), (150, 330, 250), (156, 330, 250), (185, 680, 250)]}
scene("object_taken_away", 240, {**owner_leaves, **taker},
      [([(0, -15, 250), (40, 300, 250), (156, 300, 250), (185, 650, 250)], 50)],
      "Left bag picked up and carried off by somebody else: abandoned, cleared, removed.",
      removed=2)

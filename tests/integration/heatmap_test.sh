#!/usr/bin/env bash
# Heatmaps and the zone occupancy series on a live node (the people clip played as a camera):
# heatmap.png is coloured where people walked and grey for a class never seen or a range before
# the run; /api/counts carries zone_occupancy; bad parameters are 400.   heatmap_test.sh VSP
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
PORT=$(free_base 1)
API=http://127.0.0.1:$PORT
trap 'kill -9 ${NODE:-} 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat >"$T/node.yml" <<YAML
detector: {model: nanodet_m_320}
cameras:
  - name: people
    record_url: $DATA/videos_people/one-by-one-person-detection.mp4
    record: false
    detect_fps: 5
    rules:
      zones:
        - {name: room, polygon: [[0, 0], [1, 0], [1, 1], [0, 1]], count_interval_s: 1}
storage: {path: $T/data}
api: {listen: 127.0.0.1:$PORT}
YAML
start_node() { "$VSP" serve "$T/node.yml" >>"$T/node.log" 2>&1 & NODE=$!; wait_for 30 curl -sf "$API/healthz" -o /dev/null; }
start_node || bad "node starts"
# The clip's first person crosses the room in its first 20 s; the stop writes the open minute.
# Under load the detector runs less often than 5 fps: wait for enough detector runs, not a fixed time.
sleep ${HOLD_S:-35}
detected() { curl -s "$API/api/cameras/people" | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["frames_detected"] < 100)'; }
wait_for 120 detected || bad "the detector ran 100 times within 155 s"
kill -TERM "$NODE"; wait "$NODE"; NODE=
check "heatmap written as one file per UTC hour" bash -c "ls '$T'/data/heatmaps/people/*/*.heat >/dev/null"
start_node || bad "node restarts"
wait_for 30 curl -sf "$API/api/cameras/people/snapshot.jpg" -o /dev/null || bad "a snapshot arrives"
get() { curl -s -o "$T/$1.png" -w '%{http_code} %{content_type}' "$API/api/cameras/people/heatmap.png?$2"; }
check "person heatmap: 200 image/png" [ "$(get person "since=$START")" = "200 image/png" ]
hot=$(python3 "$HERE/png_colour.py" "$T/person.png")
top=$(python3 "$HERE/png_colour.py" "$T/person.png" 0 0 1 0.25)
echo "coloured share: whole $hot, top quarter $top"
check "person heatmap is coloured where people walked (> 0.5 %)" python3 -c "import sys; sys.exit(not $hot > 0.005)"
check "and grey in most of the frame (< 60 %)" python3 -c "import sys; sys.exit(not $hot < 0.6)"
check "cold on the wall (top quarter), where nobody walks" [ "$top" = 0.0000 ]
check "a class never seen is all grey" bash -c "[ \"\$(curl -s -o '$T/car.png' -w '%{http_code}' '$API/api/cameras/people/heatmap.png?since=$START&class=car')\" = 200 ] && [ \"\$(python3 '$HERE/png_colour.py' '$T/car.png')\" = 0.0000 ]"
get past "since=2020-01-01T00:00:00Z&until=2020-01-01T01:00:00Z" >/dev/null
check "a range before the run is all grey" [ "$(python3 "$HERE/png_colour.py" "$T/past.png")" = 0.0000 ]
check "unknown class: 400" [ "$(get bad "class=dragon" | cut -d' ' -f1)" = 400 ]
check "until before since: 400" [ "$(get bad2 "since=2024-01-02T00:00:00Z&until=2024-01-01T00:00:00Z" | cut -d' ' -f1)" = 400 ]
check "over 31 days: 400" [ "$(get bad3 "since=2024-01-01T00:00:00Z&until=2024-03-01T00:00:00Z" | cut -d' ' -f1)" = 400 ]
counts=$(curl -s "$API/api/counts?camera=people&rule=room&since=$START")
check "/api/counts has a zone_occupancy series for the zone" grep -q '"zone_occupancy"' <<<"$counts"
check "the sum/sample helper keys stay internal" bash -c "! grep -q zone_occupancy_samples <<<'$counts'"
kill -TERM "$NODE"; wait "$NODE"; NODE=

echo "== vsp analyze --heatmap"
printf 'detect_fps: 2\ndetector: {model: nanodet_m_320}\n' >"$T/an.yml"
"$VSP" analyze "$DATA/videos_people/one-by-one-person-detection.mp4" -c "$T/an.yml" -o "$T/an" -q \
  --heatmap "$T/an.png" 2>>"$T/node.log" || bad "analyze --heatmap runs"
ahot=$(python3 "$HERE/png_colour.py" "$T/an.png"); atop=$(python3 "$HERE/png_colour.py" "$T/an.png" 0 0 1 0.25)
echo "analyze heatmap coloured share: whole $ahot, top quarter $atop"
check "analyze heatmap is coloured where people walked" python3 -c "import sys; sys.exit(not 0.005 < $ahot < 0.6)"
check "and cold on the wall" [ "$atop" = 0.0000 ]
check "a car heatmap of the same clip is all grey" bash -c "'$VSP' analyze '$DATA/videos_people/one-by-one-person-detection.mp4' -c '$T/an.yml' -o '$T/an2' -q --heatmap '$T/car.png' --heatmap-class car 2>/dev/null && [ \"\$(python3 '$HERE/png_colour.py' '$T/car.png')\" = 0.0000 ]"
check "--heatmap-class must be a COCO class (usage error 2)" bash -c "'$VSP' analyze x.mp4 --heatmap y.png --heatmap-class dragon 2>/dev/null; [ \$? = 2 ]"
[ $fail -eq 0 ] || tail -20 "$T/node.log"
exit $fail

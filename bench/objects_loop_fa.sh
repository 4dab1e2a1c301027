#!/usr/bin/env bash
# False alarms of the left/removed-object rule on the sample clips (no object is left in them),
# looped N times without re-encoding: every object_abandoned / object_removed is a false alarm.
# Usage: bench/objects_loop_fa.sh VSP_BINARY [PEOPLE_LOOPS] [TRAFFIC_LOOPS] [OUT_DIR]
set -euo pipefail
VSP=$1; NP=${2:-2}; NT=${3:-4}; OUT=${4:-/tmp/vsp_objects_loop}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${VSP_DATA_DIR:-$ROOT/../shared/data}
mkdir -p "$OUT"
total_s=0; total_fa=0
for spec in "videos_people/one-by-one-person-detection.mp4:$NP:people" "videos_traffic/car-detection.mp4:$NT:traffic"; do
  clip=${spec%%:*}; rest=${spec#*:}; n=${rest%%:*}; kind=${rest##*:}; stem=$(basename "$clip" .mp4)_x$n
  ffmpeg -loglevel error -y -stream_loop $((n - 1)) -i "$DATA/$clip" -c copy "$OUT/$stem.mp4"
  start=$(date +%s)
  "$VSP" analyze "$OUT/$stem.mp4" --config "$ROOT/bench/objects/sample_loop_$kind.yml" --out "$OUT/$stem" --quiet 2> "$OUT/$stem.log" || { cat "$OUT/$stem.log" >&2; exit 1; }
  echo "$stem: $(grep -c "cut in the picture" "$OUT/$stem.log" || true) cut(s) in the picture"
  wall=$(( $(date +%s) - start ))
  dur=$(python3 -c "import json;print(json.load(open('$OUT/$stem/summary.json'))['duration_s'])")
  fa=$(grep -c -E '"type":"object_(abandoned|removed)"' "$OUT/$stem/events.jsonl" || true)
  echo "$stem: ${dur} s of video, $fa false alarm(s), wall ${wall} s"
  grep -E '"type":"object_(abandoned|removed)"' "$OUT/$stem/events.jsonl" | cut -c1-200 || true
  total_s=$(python3 -c "print($total_s + $dur)"); total_fa=$((total_fa + fa))
done
python3 -c "print(f'total: {$total_s/60:.1f} min of video, $total_fa false alarm(s), {$total_fa/($total_s/3600):.1f}/h')"

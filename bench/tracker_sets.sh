#!/usr/bin/env bash
# Tracker accuracy on every development set with the real tools: `vsp track` per sequence, then
# `vsp eval mot` (TUD-Campus video: `vsp analyze --tracks-out`, our detector). Prints each set's
# per-sequence and combined HOTA/MOTA/IDF1 (docs/tracking.md).
#   bench/tracker_sets.sh [BUILD_DIR] [CONFIG.yml]   (the config's tracker section, as vsp analyze)
set -euo pipefail
BUILD=${1:-build}
CFG=${2:-}
V=$BUILD/src/app/vsp
D=${VSP_DATA_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cfg_args=()
[ -n "$CFG" ] && cfg_args=(--config "$CFG")
MOT17="MOT17-02-FRCNN MOT17-04-FRCNN MOT17-05-FRCNN MOT17-09-FRCNN"
run_set() {  # name benchmark gt_root dets_root seqs...
  local name=$1 bench=$2 gt=$3 dets=$4
  shift 4
  mkdir -p "$T/$name/gt" "$T/$name/res"
  for s in "$@"; do
    ln -s "$gt/$s" "$T/$name/gt/$s"
    "$V" track --dets "$dets/$s.txt" --seqinfo "$gt/$s/seqinfo.ini" --out "$T/$name/res/$s.txt" "${cfg_args[@]}" 2>/dev/null
  done
  echo "== $name"
  "$V" eval mot --benchmark "$bench" --gt-dir "$T/$name/gt" --res-dir "$T/$name/res" |
    awk '{printf "%-18s %7s %7s %7s %7s\n", $1, $2, $6, $8, $11}'
}
run_set synthetic mot17 "$D/mot17_gt_synthetic_dets/gt" "$D/mot17_gt_synthetic_dets/dets" $MOT17
run_set public_frcnn mot17 "$D/mot17_public_dets_dev" "$D/mot17_public_dets_dev/dets" $MOT17
run_set public_dpm mot17 "$D/mot17_public_dets_dev" "$D/mot17_public_dets_dev/dets" MOT17-04-DPM
run_set public_acf mot15 "$D/mot17_public_dets_dev/mot15" "$D/mot17_public_dets_dev/mot15/dets" \
  ETH-Sunnyday KITTI-13 KITTI-17 TUD-Campus Venice-2
# End to end on the TUD-Campus video with the shipped detector.
TUD=$D/mot_tud_gt_and_tracker_output/TUD-Campus
mkdir -p "$T/tud/gt/TUD-Campus/gt" "$T/tud/res"
cp "$TUD/seqinfo.ini" "$T/tud/gt/TUD-Campus/"
cp "$TUD/gt.txt" "$T/tud/gt/TUD-Campus/gt/"
"$V" analyze "$TUD/TUD-Campus.mp4" -q -o "$T/tud/out" --tracks-out "$T/tud/res/TUD-Campus.txt" "${cfg_args[@]}" \
  >/dev/null 2>&1
echo "== tud_video_yolox_nano (vsp analyze --tracks-out)"
"$V" eval mot --benchmark mot15 --gt-dir "$T/tud/gt" --res-dir "$T/tud/res" |
  awk '{printf "%-18s %7s %7s %7s %7s\n", $1, $2, $6, $8, $11}'

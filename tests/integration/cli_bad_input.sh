#!/usr/bin/env bash
# Bad input through the real `vsp` binary: each case must give one clear message and a non-zero
# exit, never a crash (exit >= 128) or a hang (timeout).
set -u
VSP=${1:?usage: cli_bad_input.sh PATH/TO/vsp}
DATA=${VSP_DATA_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

# expect NAME WANT_RC PATTERN -- command...   (stderr+stdout must match PATTERN)
expect() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local out rc
  out=$(timeout 120 "$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL $name: rc=$rc (want $want), output:"
    echo "$out" | head -5
    fail=1
  else
    echo "ok   $name: $(grep -E -- "$pattern" <<<"$out" | head -1)"
  fi
}

CAR=$DATA/videos_traffic/car-detection.mp4
head -c 1500000 "$CAR" > "$T/truncated.mp4"
head -c 2000000 /dev/urandom > "$T/noise.mp4"
cp "$CAR" "$T/corrupt.mp4"
# Overwrite 200 kB in the middle of the media data with garbage: the decoder must skip it.
dd if=/dev/urandom of="$T/corrupt.mp4" bs=1k seek=1200 count=200 conv=notrunc status=none
printf 'detector:\n  model: yolox_nano\n  colour: red\nrules:\n  lines:\n    - name: a\n      p1: [0.1, 0.5]\n      p2: [0.9, 0.5, 0.1]\n' > "$T/bad.yml"
printf 'rules:\n  zones:\n    - name: z\n      polygon: [[0,0],[1,1],[1,0],[0,1]]\n' > "$T/bowtie.yml"
mkdir -p "$T/models/coco_yolox_nano" && echo "not a model" > "$T/models/coco_yolox_nano/yolox_nano_416.onnx"

expect missing_file 1 "no such file" -- "$VSP" analyze "$T/nope.mp4" -o "$T/o1"
expect not_video_text 1 "not a video" -- "$VSP" analyze "$0" -o "$T/o2"
expect not_video_noise 1 "not a video" -- "$VSP" analyze "$T/noise.mp4" -o "$T/o3"
expect truncated 3 "stream ends early" -- "$VSP" analyze "$T/truncated.mp4" --model nanodet_m_320 -o "$T/o4" -q
test -s "$T/o4/summary.json" || { echo "FAIL truncated: no summary.json written"; fail=1; }
grep -q '"complete": false' "$T/o4/summary.json" || { echo "FAIL truncated: summary.json does not say complete: false"; fail=1; }
expect corrupt_middle 3 "corrupt packet\(s\) skipped; [0-9]+ of the 377 frames decoded" -- "$VSP" analyze "$T/corrupt.mp4" --model nanodet_m_320 -o "$T/o5"
grep -q '"frames": 3[0-9][0-9]' "$T/o5/summary.json" || { echo "FAIL corrupt_middle: results after the damage were lost"; fail=1; }
expect config_unknown_key 1 "bad.yml:3: detector.colour: unknown key 'colour'" -- "$VSP" config check "$T/bad.yml"
expect config_all_errors 1 "bad.yml:8: rules.lines\[0\].p2: expected 2 numbers in 0..1, got 3 values" -- "$VSP" config check "$T/bad.yml"
expect config_bad_polygon 1 "polygon (edges cross each other|has no area)" -- "$VSP" config check "$T/bowtie.yml"
expect config_missing 1 "cannot read the config file" -- "$VSP" config check "$T/none.yml"
expect analyze_bad_config 1 "error\(s\) in the config; nothing analysed" -- "$VSP" analyze "$CAR" -c "$T/bad.yml" -o "$T/o6"
expect wrong_model_file 1 "yolox_nano_416.onnx: sha256 [0-9a-f]+ does not match" -- env VSP_MODELS_DIR="$T/models" "$VSP" analyze "$CAR" -o "$T/o7"
expect missing_model 1 "model 'yolox_nano' not found" -- env VSP_MODELS_DIR="$T/empty" "$VSP" analyze "$CAR" -o "$T/o8"
expect unknown_model 1 "unknown model 'yolo9000'" -- "$VSP" analyze "$CAR" --model yolo9000 -o "$T/o9"
echo "not an image" > "$T/fake.jpg"
expect plates_unreadable 1 "fake.jpg +error: .*not an image" -- "$VSP" plates "$T/fake.jpg"
expect plates_missing 1 "error: .*nope.jpg" -- "$VSP" plates "$T/nope.jpg"
expect plates_bad_region 105 "region" -- "$VSP" plates --region mars "$T/fake.jpg"
expect plates_json 0 "AYO9034" -- "$VSP" plates --region br "$DATA/plates_openalpr_endtoend/br/AYO9034.jpg" --json "$T/plates.json"
grep -q '"text": "AYO9034"' "$T/plates.json" || { echo "FAIL plates_json: JSON lacks the plate"; fail=1; }
expect good_config 0 "ok" -- "$VSP" config check "$(dirname "$0")/../../examples/car-detection.yml"
exit $fail

#!/usr/bin/env bash
# Static privacy masks end to end on the sample clip: a mask over the area where people walk
# leaves no track and no zone event there (`vsp analyze`), and the node's snapshot, its unmasked
# (raw) snapshot and an exported clip are black inside the mask while the rest of the view is not.
#   privacy_mask_test.sh VSP
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1
CLIP=$DATA/videos_people/one-by-one-person-detection.mp4  # 768x432; people walk at x 0.4..0.75
T=$(mktemp -d)
PORT=$(free_base 1)
API=http://127.0.0.1:$PORT
trap 'kill -9 ${NODE:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
# max_gray FILE CROP: the brightest grey level (0..255) of the crop (an ffmpeg crop=w:h:x:y expression)
max_gray() {
  ffmpeg -nostdin -loglevel error -i "$1" -frames:v 1 -vf "crop=$2,format=gray" -f rawvideo - |
    od -An -v -tu1 | tr -s ' ' '\n' | sort -n | tail -1
}
MASK='[[0.35, 0], [0.8, 0], [0.8, 1], [0.35, 1]]'
INSIDE='iw*0.35:ih*0.8:iw*0.4:ih*0.1'   # well inside the mask (JPEG/H.264 blur its edges)
OUTSIDE='iw*0.3:ih*0.8:0:ih*0.1'

echo "== analyze: nothing in the mask is tracked or counted"
for kind in open masked; do
  {
    echo "detector: {model: nanodet_m_320}"
    echo "detect_fps: 2"
    echo "rules: {zones: [{name: shop, polygon: $MASK}]}"
    [ $kind = masked ] && echo "privacy_masks: [{name: shop, polygon: $MASK}]"
  } >"$T/$kind.yml"
  "$VSP" analyze "$CLIP" -c "$T/$kind.yml" -o "$T/$kind" --tracks-out "$T/$kind.txt" -q >"$T/$kind.log" 2>&1 ||
    bad "analyze $kind"
done
in_mask() { awk -F, '{cx = ($3 + $5 / 2) / 768; if (cx > 0.36 && cx < 0.79) n++} END {print n + 0}' "$1"; }
zone_events() { grep -c '"rule":"shop"' "$1" || true; }
check "unmasked: people tracked in the area ($(in_mask "$T/open.txt") track boxes)" [ "$(in_mask "$T/open.txt")" -gt 50 ]
check "unmasked: zone events there ($(zone_events "$T/open/events.jsonl"))" [ "$(zone_events "$T/open/events.jsonl")" -gt 0 ]
check "masked: no track centred in the mask ($(in_mask "$T/masked.txt"))" [ "$(in_mask "$T/masked.txt")" -eq 0 ]
check "masked: no zone event ($(zone_events "$T/masked/events.jsonl"))" [ "$(zone_events "$T/masked/events.jsonl")" -eq 0 ]
"$VSP" analyze "$CLIP" -c "$T/masked.yml" -o "$T/annot" --annotate "$T/annot.mp4" -q >/dev/null 2>&1
check "annotated video is black in the mask" [ "$(max_gray "$T/annot.mp4" "$INSIDE")" -le 40 ]

echo "== config check: a degenerate mask is a clear error"
cat >"$T/bad.yml" <<YAML
cameras:
  - name: yard
    record_url: $CLIP
    privacy_masks: [{name: window, polygon: [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]}]
YAML
out=$("$VSP" config check "$T/bad.yml" 2>&1); rc=$?
check "vsp config check refuses it (exit $rc)" [ $rc -ne 0 ]
check "the message names the mask and the problem" grep -q "cameras\[yard\].privacy_masks\[0\].polygon: polygon has no area" <<<"$out"

echo "== serve: snapshot, raw snapshot and exported clip are black in the mask"
cat >"$T/node.yml" <<YAML
detector: {model: nanodet_m_320}
privacy: {blur_faces: false}
cameras:
  - {name: shop, record_url: $CLIP, detect_fps: 2, privacy_masks: [{name: shop, polygon: $MASK}]}
storage: {path: $T/data, segment_s: 2}
api: {listen: 127.0.0.1:$PORT}
YAML
"$VSP" serve "$T/node.yml" >"$T/node.log" 2>&1 &
NODE=$!
got_snapshot() { curl -sf "$API/api/cameras/shop/snapshot.jpg" -o "$T/snap.jpg"; }
wait_for 60 got_snapshot || bad "snapshot served"
check "snapshot: black in the mask (max grey $(max_gray "$T/snap.jpg" "$INSIDE"))" [ "$(max_gray "$T/snap.jpg" "$INSIDE")" -le 40 ]
check "snapshot: not black outside it (max grey $(max_gray "$T/snap.jpg" "$OUTSIDE"))" [ "$(max_gray "$T/snap.jpg" "$OUTSIDE")" -gt 100 ]
curl -sf "$API/api/cameras/shop/snapshot.jpg?raw=1&reason=privacy+test" -o "$T/raw.jpg" || bad "raw snapshot served"
check "raw (unmasked) snapshot: still black in the mask" [ "$(max_gray "$T/raw.jpg" "$INSIDE")" -le 40 ]
two_segments() { [ "$(curl -s "$API/api/recordings?camera=shop" | jq '.recordings | length')" -ge 3 ]; }
wait_for 60 two_segments || bad "recordings written"
read -r S E < <(curl -s "$API/api/recordings?camera=shop" | jq -r '.recordings[1] | "\(.start) \(.end)"')
for raw in 0 1; do
  code=$(curl -s -o "$T/clip$raw.mp4" -w '%{http_code}' "$API/api/clip?camera=shop&start=$S&end=$E&raw=$raw&reason=privacy+test")
  check "clip raw=$raw exported ($code)" [ "$code" = 200 ]
  check "clip raw=$raw: black in the mask" [ "$(max_gray "$T/clip$raw.mp4" "$INSIDE")" -le 40 ]
  check "clip raw=$raw: not black outside it" [ "$(max_gray "$T/clip$raw.mp4" "$OUTSIDE")" -gt 100 ]
done
kill -TERM $NODE; wait $NODE 2>/dev/null; NODE=
[ $fail -ne 0 ] && tail -20 "$T/node.log"
exit $fail

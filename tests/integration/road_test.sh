#!/usr/bin/env bash
# Road rules end to end: config check refusals, a golden scene replayed through the CLI with its
# signal timeline, evidence packs (verify passes fresh, fails naming the file after a byte change),
# the calibration picture, the sample traffic clip with a hand-measured calibration (speeds, stills,
# a remuxed clip), and a live node whose red light comes from PUT /api/signals/<name>.
#   road_test.sh VSP
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CLIP=$DATA/videos_traffic/car-detection.mp4
T=$(mktemp -d)
trap 'kill -9 ${NODE:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
flip() { # flip FILE OFFSET: one byte changed in place
  printf "$(printf '\\x%02x' $(( $(od -An -tu1 -j "$2" -N1 "$1") ^ 1 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
verify_names() { # verify_names PACK FILE: verify fails (exit 1) and names FILE
  local out rc
  out=$("$VSP" evidence verify "$1" 2>&1); rc=$?
  [ $rc -eq 1 ] && grep -q ": $2: " <<<"$out"
}

echo "== config check: bad calibration, signal regions and lanes are clear errors"
cat >"$T/bad.yml" <<'YAML'
calibration:
  points:
    - {image: [0.1, 0.5], world: [0, 0]}
    - {image: [0.2, 0.5], world: [1, 0]}
    - {image: [0.3, 0.5], world: [2, 0]}
    - {image: [0.4, 0.5], world: [3, 0]}
signals:
  - {name: head, source: image, region: [[0.9, 0.1], [1.2, 0.1], [1.0, 0.3]]}
rules:
  zones:
    - {name: lane, polygon: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]], direction: [0, 0]}
    - {name: aisle, polygon: [[0, 0], [1, 0], [1, 0.4], [0, 0.4]], min_distance_m: 3}
  stop_lines:
    - {name: stop, p1: [0, 0.6], p2: [1, 0.6], signal: main}
YAML
out=$("$VSP" config check "$T/bad.yml" 2>&1); rc=$?
check "bad road config: exit 1" [ $rc -eq 1 ]
check "collinear calibration points" grep -q "calibration.points: the points are collinear" <<<"$out"
check "signal region off-image" grep -q "signals\[0\].region\[1\]: region point \[1.2, 0.1\] is off-image" <<<"$out"
check "lane without direction" grep -q "rules.zones\[0\].direction: a lane direction needs length" <<<"$out"
check "lane distance without a lane" grep -q "rules.zones\[1\].min_distance_m: .*not a lane" <<<"$out"
check "stop line with an unknown signal" grep -q "stop_lines\[0\].signal: unknown signal 'main'" <<<"$out"
sed -i 's/image: \[0.4, 0.5\]/image: [1.4, 0.5]/' "$T/bad.yml"
check "calibration point out of frame" bash -c "'$VSP' config check '$T/bad.yml' 2>&1 | grep -q 'points\[3\].image: image point \[1.4, 0.5\] is out of frame'"
check "the road example config is valid" "$VSP" config check "$SRC/examples/road-parking-lot.yml"

echo "== a golden scene through the CLI: red light from a signal timeline, a sealed pack"
G=$SRC/tests/golden/road_red_light_amber_vs_red
"$VSP" analyze --detections "$G/detections.txt" --seqinfo "$G/seqinfo.ini" --det-class car -c "$G/config.yml" \
  --signals "$G/signals.jsonl" -o "$T/replay" -q || bad "replay runs"
check "one red_light" [ "$(grep -c '"type":"red_light"' "$T/replay/events.jsonl")" = 1 ]
ref=$(jq -r 'select(.type == "red_light") | .evidence_ref' "$T/replay/events.jsonl")
id=$(jq -r 'select(.type == "red_light") | .id' "$T/replay/events.jsonl")
check "evidence_ref is evidence/<event id>/" [ "$ref" = "evidence/$id/" ]
P=$T/replay/$ref
check "fresh pack verifies" "$VSP" evidence verify "$P"
check "pack says the signal was red" [ "$(jq -r '.signals_at_event.main.state' "$P/evidence.json")" = red ]
check "pack has the rule's thresholds" [ "$(jq -r '.rule_config.amber_grace_s' "$P/evidence.json")" = 0.5 ]
check "pack has the trajectory in metres" [ "$(jq '.trajectory_m.rows | length' "$P/evidence.json")" -gt 5 ]
check "key kept with mode 600" [ "$(stat -c %a "$T/replay/keys/node_ed25519.key")" = 600 ]
pub=$(jq -r .public_key "$P/manifest.json")
check "verify against the node's public key" "$VSP" evidence verify --public-key "$pub" "$P"
check "verify against another key fails" bash -c "! '$VSP' evidence verify --public-key $(printf '%064d' 0) '$P' 2>/dev/null"
cp -r "$P" "$T/p1" && flip "$T/p1/evidence.json" 40
check "a byte of evidence.json changed: named" verify_names "$T/p1" evidence.json
cp -r "$P" "$T/p2" && flip "$T/p2/manifest.json" 100
check "a byte of the manifest changed: named" verify_names "$T/p2" manifest.json
cp -r "$P" "$T/p3" && rm "$T/p3/event.json"
check "a file removed: named" verify_names "$T/p3" event.json

echo "== calibration picture"
ffmpeg -nostdin -loglevel error -y -ss 5 -i "$CLIP" -frames:v 1 "$T/frame.png"
out=$("$VSP" calibrate check "$SRC/examples/road-parking-lot.yml" --image "$T/frame.png" --png "$T/grid.png")
check "calibrate check prints the residual" grep -q "RMS residual 0.000 m" <<<"$out"
check "calibrate check writes the PNG" bash -c "[ \$(stat -c %s '$T/grid.png') -gt 10000 ]"

echo "== the sample traffic clip, hand-measured calibration: speeds, stills, clip"
(echo "detect_fps: 5"; cat "$SRC/examples/road-parking-lot.yml") >"$T/lot.yml"
"$VSP" analyze "$CLIP" -c "$T/lot.yml" -o "$T/lot" -q || bad "analyze the clip"
n=$(grep -c '"type":"speeding"' "$T/lot/events.jsonl")
check "speeding events on the clip ($n)" [ "$n" -ge 1 ]
check "speeds plausible for a car park (5..30 km/h) with an uncertainty" \
  [ "$(jq -s 'map(select(.type == "speeding") | .attributes | (.speed_kmh > 5 and .speed_kmh < 30 and .speed_sigma_kmh > 0)) | all' "$T/lot/events.jsonl")" = true ]
L=$T/lot/$(jq -r 'select(.type == "speeding") | .evidence_ref' "$T/lot/events.jsonl" | head -1)
for f in still_before.jpg still_at.jpg still_after.jpg clip.mp4 event.json evidence.json manifest.json; do
  check "pack has $f" [ -s "$L/$f" ]
done
check "clip is remuxed H.264 (not re-encoded)" [ "$(ffprobe -v error -select_streams v -show_entries stream=codec_name -of csv=p=0 "$L/clip.mp4")" = h264 ]
dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$L/clip.mp4")
check "clip covers about ±5 s ($dur s)" bash -c "[ \$(echo '$dur >= 9 && $dur <= 16' | bc) = 1 ]"
check "the clip's pack verifies" "$VSP" evidence verify "$L"
cp -r "$L" "$T/p4" && flip "$T/p4/clip.mp4" 5000
check "a byte of the clip changed: named" verify_names "$T/p4" clip.mp4
cp -r "$L" "$T/p5" && flip "$T/p5/still_at.jpg" 300
check "a byte of a still changed: named" verify_names "$T/p5" still_at.jpg

echo "== the image signal path: a signal head rendered into the clip (flicker, glare, a bus in front)"
# Lamps: green 0-10 s, amber 10-13 s, red from 13 s, each dark every third frame (LED flicker);
# glare (a white veil) 5-6 s and 20-21 s; a grey bus hides the head 15-16.5 s. The cars cross the
# stop line at ~7 s (green) and ~17.5 s (red): one red_light, red for ~4.5 s.
H="drawbox=x=700:y=20:w=30:h=84:color=0x181818:t=fill"
H="$H,drawbox=x=707:y=26:w=16:h=16:color=0xFF2020:t=fill:enable='gte(t,13)*lt(mod(n,3),2)'"
H="$H,drawbox=x=707:y=52:w=16:h=16:color=0xFFB000:t=fill:enable='between(t,10,13)*lt(mod(n,3),2)'"
H="$H,drawbox=x=707:y=78:w=16:h=16:color=0x20E040:t=fill:enable='lt(t,10)*lt(mod(n,3),2)'"
H="$H,drawbox=x=696:y=16:w=38:h=92:color=white@0.85:t=fill:enable='between(t,5,6)+between(t,20,21)'"
H="$H,drawbox=x=560:y=0:w=208:h=140:color=0x8090A0:t=fill:enable='between(t,15,16.5)'"
ffmpeg -nostdin -loglevel error -y -i "$CLIP" -vf "$H" -c:v libx264 -preset veryfast -g 25 "$T/signal.mp4"
cat >"$T/sig.yml" <<'YAML'
detect_fps: 5
signals:
  - name: main
    source: image
    region: [[0.911, 0.046], [0.951, 0.046], [0.951, 0.241], [0.911, 0.241]]
rules:
  stop_lines:
    - {name: stop, p1: [0.95, 0.5], p2: [0.05, 0.5], signal: main,
       classes: [car, truck, bus, cell phone, toilet, suitcase, remote, laptop, mouse, keyboard, book]}
YAML
"$VSP" analyze "$T/signal.mp4" -c "$T/sig.yml" -o "$T/sig" -q || bad "analyze the rendered signal"
check "one red_light from the image signal" [ "$(grep -c '"type":"red_light"' "$T/sig/events.jsonl")" = 1 ]
since=$(jq -r 'select(.type == "red_light") | .pts_s - .attributes.red_for_s' "$T/sig/events.jsonl")
check "red read from 13 s through flicker, glare and the bus (got $since s)" bash -c "[ \$(echo '$since >= 12.8 && $since <= 13.6' | bc) = 1 ]"

echo "== live node: the red light comes from PUT /api/signals/main"
PORT=$(free_base 1)
API=http://127.0.0.1:$PORT
cat >"$T/node.yml" <<YAML
detector: {model: yolox_nano}
cameras:
  - name: lot
    record_url: $CLIP
    detect_fps: 5
    calibration:
      points:
        - {image: [0.0, 1.0], world: [0.0, 0.0]}
        - {image: [1.0, 1.0], world: [7.3, 0.0]}
        - {image: [1.0, 0.0], world: [9.15, 5.2]}
        - {image: [0.0, 0.0], world: [-1.85, 5.2]}
    signals:
      - {name: main}
    rules:
      stop_lines:
        - {name: stop, p1: [0.95, 0.5], p2: [0.05, 0.5], signal: main, amber_grace_s: 0.5,
           classes: [car, truck, bus, cell phone, toilet, suitcase, remote, laptop, mouse, keyboard, book]}
storage: {path: $T/data, segment_s: 2}
api: {listen: 127.0.0.1:$PORT}
YAML
"$VSP" config check "$T/node.yml" >/dev/null || { bad "node config valid"; "$VSP" config check "$T/node.yml"; }
"$VSP" serve "$T/node.yml" >"$T/node.log" 2>&1 & NODE=$!
wait_for 30 curl -sf "$API/healthz" -o /dev/null || bad "node up"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' -d '{"state": "purple"}' "$API/api/signals/main")
check "PUT a bad state: 400" [ "$code" = 400 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' -d '{"state": "red"}' "$API/api/signals/nope")
check "PUT an unknown signal: 404" [ "$code" = 404 ]
red_at=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
curl -s -X PUT -H 'Content-Type: application/json' -d '{"state": "red"}' "$API/api/signals/main" >"$T/put.json"
check "PUT red answers the state" [ "$(jq -r .state "$T/put.json")" = red ]
check "GET /api/signals shows it from the API" [ "$(curl -s "$API/api/signals" | jq -r '.signals[] | select(.name == "main") | .source')" = api ]
has_red() { [ "$(curl -s "$API/api/events?camera=lot&type=red_light&limit=10" | jq '.events | length')" -ge 1 ]; }
wait_for 90 has_red || bad "a red_light event within 90 s (a car crosses every ~10 s of the looped clip)"
ev=$(curl -s "$API/api/events?camera=lot&type=red_light&limit=1" | jq '.events[0]')
check "the event came after the PUT" bash -c "[[ '$(jq -r .ts_utc <<<"$ev")' > '$red_at' ]]"
check "the event says how long it had been red" bash -c "jq -e '.attributes.red_for_s >= 0.5' <<<'$ev' >/dev/null"
eid=$(jq -r .id <<<"$ev")
check "evidence_ref on the stored event" [ "$(jq -r .evidence_ref <<<"$ev")" = "evidence/$eid/" ]
has_clip() { [ -s "$T/data/evidence/$eid/clip.mp4" ]; }
wait_for 40 has_clip || bad "the pack gets its clip once the recording covers +5 s"
sleep 1
check "the node's pack verifies (clip included)" "$VSP" evidence verify --public-key "$(curl -s "$API/api/evidence/$eid" | jq -r .public_key)" "$T/data/evidence/$eid"
check "GET /api/evidence/<id> says intact" [ "$(curl -s "$API/api/evidence/$eid" | jq -r .intact)" = true ]
check "GET /api/evidence/<id>/manifest.json" [ "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/evidence/$eid/manifest.json")" = 200 ]
check "no path tricks in pack files" [ "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/evidence/$eid/..%2F..%2Fvsp.db")" = 404 ]
check "key under storage with mode 600" [ "$(stat -c %a "$T/data/keys/node_ed25519.key")" = 600 ]
kill -TERM "$NODE"; wait "$NODE" 2>/dev/null; NODE=
exit $fail

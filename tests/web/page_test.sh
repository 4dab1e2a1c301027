#!/usr/bin/env bash
# The web UI in Debian's Chromium (Playwright) against a real node: a sample clip played as a
# looping file camera, the same clip over the RTSP test server (stopped during the test, to see
# the camera go `reconnecting`), and a camera whose port refuses. Screenshots of every screen go
# to OUT_DIR.   page_test.sh VSP RTSP_SERVER OUT_DIR
set -u
VSP=$1 RTSP=$2 OUT=${3:-web-shots}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
. "$HERE/../integration/lib.sh"
BASE=$(free_base 2)
PORT=$BASE RPORT=$((BASE + 1))
trap 'kill -9 ${NODE:-} ${RTSP_PID:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$OUT"
[ -d "$HERE/node_modules/playwright-core" ] || (cd "$HERE" && npm install --no-audit --no-fund --silent) || exit 1
"$RTSP" "$RPORT" car="$DATA/videos_traffic/car-detection.mp4" >"$T/rtsp.log" 2>&1 &
RTSP_PID=$!
cat >"$T/page.yml" <<YAML
site: lab
node: web-node
detector: {model: nanodet_m_320}
cameras:
  - name: parking
    record_url: $DATA/videos_traffic/car-detection.mp4
    detect_fps: 5
    rules:
      zones: [{name: aisle, polygon: [[0.05, 0.05], [0.95, 0.05], [0.95, 0.95], [0.05, 0.95]]}]
    # Edited by the rule editor with the rules (the page test adds a mask and a fifth point).
    privacy_masks: [{name: corner, polygon: [[0.0, 0.0], [0.12, 0.0], [0.12, 0.08], [0.0, 0.08]]}]
    calibration:
      points:
        - {image: [0.1, 0.5], world: [0, 0]}
        - {image: [0.9, 0.5], world: [8, 0]}
        - {image: [0.9, 0.9], world: [8, 4]}
        - {image: [0.1, 0.9], world: [0, 4]}
  - {name: door, record_url: "rtsp://127.0.0.1:$RPORT/car", detect_fps: 1}
  - {name: broken, record_url: "rtsp://127.0.0.1:1/none"}
storage: {path: $T/data}
api: {listen: 127.0.0.1:$PORT}
YAML
printf 'page test password\n' >"$T/pw"
"$VSP" user add pageadmin --role admin --password-file "$T/pw" --config "$T/page.yml" || exit 1
"$VSP" user add pageviewer --role viewer --password-file "$T/pw" --config "$T/page.yml" || exit 1
"$VSP" serve "$T/page.yml" >"$T/node.log" 2>&1 &
NODE=$!
wait_for 20 curl -sf "http://127.0.0.1:$PORT/healthz" -o /dev/null || { tail -20 "$T/node.log"; exit 1; }
RTSP_PID=$RTSP_PID node "$HERE/page_test.mjs" "http://127.0.0.1:$PORT" "$OUT"
rc=$?
if [ $rc -eq 0 ]; then
  # What the browser did is in the audit chain, as for any client.
  check "the rule change is audited" bash -c "sqlite3 '$T/data/vsp.db' \"SELECT count(*) FROM audit_log WHERE action='set_rules' AND result='ok'\" | grep -qx '[1-9][0-9]*'"
  check "the refused rule change is audited" bash -c "sqlite3 '$T/data/vsp.db' \"SELECT count(*) FROM audit_log WHERE action='set_rules' AND result='invalid'\" | grep -qx '[1-9][0-9]*'"
  check "the unblurred view is audited with its reason" bash -c "sqlite3 '$T/data/vsp.db' \"SELECT count(*) FROM audit_log WHERE action='unmask_live_view' AND reason='page test incident'\" | grep -qx '[1-9][0-9]*'"
  check "the node swapped the rules in without a restart" grep -q "rules replaced (version 2)" "$T/node.log"
  check "the node swapped the masks and calibration in without a restart" grep -q "rules replaced (version 3): 1 line(s), 1 zone(s), 2 privacy mask(s), calibration of 5 points" "$T/node.log"
  check "the mask and calibration change is audited" bash -c "sqlite3 '$T/data/vsp.db' \"SELECT count(*) FROM audit_log WHERE action='set_rules' AND result='ok' AND target LIKE 'parking v3:%2 privacy mask(s), 5 calibration point(s)'\" | grep -qx 1"
  # The clip the page exported after saving the new mask has it burned in (exports use the
  # camera's current masks), and the rest of the picture is there.
  max_gray() {
    ffmpeg -nostdin -loglevel error -i "$1" -frames:v 1 -vf "crop=$2,format=gray" -f rawvideo - |
      od -An -v -tu1 | tr -s ' ' '\n' | sort -n | tail -1
  }
  EXP=$(ls -t "$T/data/exports/"parking_*.mp4 2>/dev/null | grep -v unmasked | head -1)
  IN_MASK='iw*0.15:ih*0.12:iw*0.6:ih*0.14' OUT_MASK='iw*0.3:ih*0.3:iw*0.2:ih*0.4'
  check "the export has the new mask burned in (max grey $(max_gray "$EXP" "$IN_MASK") inside, $(max_gray "$EXP" "$OUT_MASK") outside)" \
    [ "$(max_gray "$EXP" "$IN_MASK")" -le 40 -a "$(max_gray "$EXP" "$OUT_MASK")" -gt 100 ]
  check "the node ran throughout (one process)" kill -0 "$NODE"
  kill -TERM "$NODE"; wait "$NODE" 2>/dev/null
  "$VSP" serve "$T/page.yml" >>"$T/node.log" 2>&1 &
  NODE=$!
  wait_for 20 curl -sf "http://127.0.0.1:$PORT/healthz" -o /dev/null
  TOK=$("$VSP" token create --role operator --ttl-days 1 --config "$T/page.yml" 2>/dev/null)
  check "the drawn line is still there after a restart" bash -c "curl -s -H 'Authorization: Bearer $TOK' http://127.0.0.1:$PORT/api/cameras/parking/rules | jq -e '.rules.lines[0].name == \"crossing\" and .rules.zones[0].name == \"aisle\"' >/dev/null"
  check "the edited masks and calibration are still there after a restart" bash -c "curl -s -H 'Authorization: Bearer $TOK' http://127.0.0.1:$PORT/api/cameras/parking/rules | jq -e '.privacy_masks[0].name == \"corner\" and .privacy_masks[1].name == \"mask-1\" and (.calibration.points | length) == 5 and .calibration.points[3].world == [0, 4] and .calibration.points[4].world == [4, 2]' >/dev/null"
  # The API path itself: the document's keys, what is refused (at its field) and what a key left out keeps.
  # put_gives BODY JQ: PUT BODY as the camera's rules; the answer satisfies JQ.
  put_gives() { curl -s -X PUT -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$PORT/api/cameras/parking/rules" | jq -e "$2" >/dev/null; }
  check "PUT a mask of 2 points: 400 at privacy_masks[0].polygon" put_gives '{"privacy_masks": [{"polygon": [[0.1, 0.1], [0.2, 0.2]]}]}' '.code == "invalid_rules" and .path == "cameras[parking].privacy_masks[0].polygon"'
  check "PUT a mask point outside the frame: 400 naming it" put_gives '{"privacy_masks": [{"polygon": [[0.1, 0.1], [1.2, 0.1], [0.5, 0.5]]}]}' '.path == "cameras[parking].privacy_masks[0].polygon[1][0]" and (.message | test("0\\.\\.1, got 1.2"))'
  check "PUT collinear calibration points: 400 at calibration.points" put_gives '{"calibration": {"points": [{"image": [0.1, 0.5], "world": [0, 0]}, {"image": [0.3, 0.5], "world": [2, 0]}, {"image": [0.6, 0.5], "world": [5, 0]}, {"image": [0.9, 0.5], "world": [8, 0]}]}}' '.path == "cameras[parking].calibration.points" and (.message | test("collinear"))'
  check "PUT an unknown document key: 400 naming it" put_gives '{"rules": {}, "detector": {}}' '.code == "invalid_rules" and .path == "cameras[parking].detector"'
  check "PUT the rules section alone keeps the masks and calibration" put_gives '{"lines": [], "zones": []}' '.version == 2 and (.privacy_masks | length) == 2 and (.calibration.points | length) == 5'
  check "PUT calibration null and no masks removes both" put_gives '{"privacy_masks": [], "calibration": null}' '.version == 3 and .privacy_masks == [] and .calibration == null and .rules.lines == []'
  check "the node applied the removal without a restart" wait_for 20 grep -q "rules replaced (version 3): 0 line(s), 0 zone(s), 0 privacy mask(s), no calibration" "$T/node.log"
  check "PUT a mask without a name: shown without one" put_gives '{"privacy_masks": [{"polygon": [[0.1, 0.1], [0.3, 0.1], [0.3, 0.3]]}]}' '.version == 4 and (.privacy_masks[0] | has("name") | not)'
  # What GET shows is what PUT takes: the document's three keys sent back unchanged.
  put_back() {
    local doc
    doc=$(curl -s -H "Authorization: Bearer $TOK" "http://127.0.0.1:$PORT/api/cameras/parking/rules" | jq -c '{rules, privacy_masks, calibration}')
    put_gives "$doc" '.version == 5 and (.privacy_masks | length) == 1'
  }
  check "the GET's document PUT back unchanged is accepted" put_back
  rc=$fail
fi
[ $rc -eq 0 ] || tail -30 "$T/node.log"
exit $rc

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
    # Drawn read-only by the rule editor (the API does not change them).
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
  check "the node ran throughout (one process)" kill -0 "$NODE"
  kill -TERM "$NODE"; wait "$NODE" 2>/dev/null
  "$VSP" serve "$T/page.yml" >>"$T/node.log" 2>&1 &
  NODE=$!
  wait_for 20 curl -sf "http://127.0.0.1:$PORT/healthz" -o /dev/null
  TOK=$("$VSP" token create --role operator --ttl-days 1 --config "$T/page.yml" 2>/dev/null)
  check "the drawn line is still there after a restart" bash -c "curl -s -H 'Authorization: Bearer $TOK' http://127.0.0.1:$PORT/api/cameras/parking/rules | jq -e '.rules.lines[0].name == \"crossing\" and .rules.zones[0].name == \"aisle\"' >/dev/null"
  check "the rules GET reports the config's mask and calibration (read-only)" bash -c "curl -s -H 'Authorization: Bearer $TOK' http://127.0.0.1:$PORT/api/cameras/parking/rules | jq -e '.privacy_masks[0].name == \"corner\" and (.privacy_masks[0].polygon | length) == 4 and .calibration.points[3].world == [0, 4] and .calibration.points[3].image == [0.1, 0.9]' >/dev/null"
  rc=$fail
fi
[ $rc -eq 0 ] || tail -30 "$T/node.log"
exit $rc

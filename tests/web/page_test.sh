#!/usr/bin/env bash
# Starts a node whose camera is a sample clip played as a looping file (no RTSP needed) next to a
# broken camera, then drives the built-in page in Chromium.   page_test.sh VSP SCREENSHOT
set -u
VSP=$1 SHOT=${2:-page.png}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${VSP_DATA_DIR:-$(cd "$HERE/../../.." && pwd)/shared/data}
T=$(mktemp -d)
. "$HERE/../integration/lib.sh"
PORT=$(free_base 1)
trap 'kill -9 $NODE 2>/dev/null; rm -rf "$T"' EXIT
[ -d "$HERE/node_modules/playwright-core" ] || (cd "$HERE" && npm install --no-audit --no-fund --silent) || exit 1
cat >"$T/page.yml" <<YAML
detector: {model: nanodet_m_320}
cameras:
  - name: parking
    record_url: $DATA/videos_traffic/car-detection.mp4
    detect_fps: 5
    rules:
      zones: [{name: aisle, polygon: [[0.05, 0.05], [0.95, 0.05], [0.95, 0.95], [0.05, 0.95]]}]
  - {name: broken, record_url: "rtsp://127.0.0.1:1/none"}
storage: {path: $T/data}
api: {listen: 127.0.0.1:$PORT}
YAML
printf 'page test password\n' >"$T/pw"
"$VSP" user add pageadmin --role admin --password-file "$T/pw" --config "$T/page.yml" || exit 1
"$VSP" serve "$T/page.yml" >"$T/node.log" 2>&1 &
NODE=$!
for _ in $(seq 20); do curl -sf "http://127.0.0.1:$PORT/healthz" -o /dev/null && break; sleep 1; done
node "$HERE/page_test.mjs" "http://127.0.0.1:$PORT" "$SHOT"
rc=$?
[ $rc -eq 0 ] || tail -20 "$T/node.log"
exit $rc

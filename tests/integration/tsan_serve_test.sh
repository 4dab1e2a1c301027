#!/usr/bin/env bash
# The live node under ThreadSanitizer: camera workers (ingest, recording, analysis), the detector
# pool, the store and the HTTP server, on real RTSP streams and a file camera, with the API, live
# view and snapshots in use, an RTSP outage and reconnect, then SIGTERM. Fails on any data race or
# lock-order report in our code (tests/tsan.supp lists the uninstrumented libraries).
#   tsan_serve_test.sh VSP_TSAN RTSP_SERVER
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1 RTSP=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${VSP_DATA_DIR:-$ROOT/../shared/data}
T=$(mktemp -d)
BASE=$(free_base 9)
RPORT=$BASE APORT=$((BASE + 3))
API=http://127.0.0.1:$APORT
cleanup() {
  for p in ${NODE:-} ${RTSP_PID:-} ${VIEW:-}; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
start_rtsp() {
  "$RTSP" "$RPORT" car="$DATA/videos_traffic/car-detection.mp4" people="$DATA/videos_people/one-by-one-person-detection.mp4" \
    >>"$T/rtsp.log" 2>&1 &
  RTSP_PID=$!
  sleep 1
}
cat >"$T/serve.yml" <<YAML
detector: {model: nanodet_m_320}
cameras:
  - name: car
    record_url: rtsp://127.0.0.1:$RPORT/car
    detect_fps: 3
    rules:
      lines: [{name: mid, p1: [0.05, 0.5], p2: [0.95, 0.5]}]
      zones: [{name: aisle, polygon: [[0.05, 0.05], [0.95, 0.05], [0.95, 0.95], [0.05, 0.95]]}]
  - name: people
    record_url: rtsp://127.0.0.1:$RPORT/people
    detect_fps: 3
  - name: file
    record_url: $DATA/videos_traffic/car-detection.mp4
    detect_fps: 3
    motion: {enabled: false}
storage: {path: $T/data, segment_s: 2}
api: {listen: 127.0.0.1:$APORT}
YAML
start_rtsp
export TSAN_OPTIONS="suppressions=$ROOT/tests/tsan.supp halt_on_error=0 exitcode=66 second_deadlock_stack=1 log_path=$T/tsan"
"$VSP" serve "$T/serve.yml" >"$T/node.log" 2>&1 &
NODE=$!
for _ in $(seq 60); do curl -sf "$API/healthz" -o /dev/null && break; sleep 1; done
curl -sf "$API/healthz" -o /dev/null && ok "node up under TSan" || bad "node did not come up"
# Load every threaded path for a while: API reads, snapshots, a live view, events.
timeout 20 curl -s "$API/api/cameras/car/live.mjpeg" -o /dev/null &
VIEW=$!
for i in $(seq 20); do
  curl -s "$API/api/cameras" -o /dev/null
  curl -s "$API/api/events?order=desc&limit=50" -o /dev/null
  curl -s "$API/api/cameras/people/snapshot.jpg" -o /dev/null
  curl -s "$API/metrics" -o /dev/null
  sleep 1
done
echo "   RTSP server down for 5 s (reconnect path)"
kill -9 "$RTSP_PID"; wait "$RTSP_PID" 2>/dev/null
sleep 5
start_rtsp
sleep 12
n=$(curl -s "$API/api/events?limit=1000" | jq '.events | length')
[ "${n:-0}" -ge 1 ] && ok "$n events stored" || bad "no events under TSan"
kill -TERM "$NODE"
wait "$NODE"
rc=$?
NODE=
reports=$(cat "$T"/tsan* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer')
if [ "$reports" -eq 0 ] && [ "$rc" -eq 0 ]; then
  ok "no ThreadSanitizer report; clean exit"
else
  bad "exit $rc, $reports ThreadSanitizer report(s):"
  cat "$T"/tsan* 2>/dev/null | head -150
fi
exit $fail

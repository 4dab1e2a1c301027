#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds, starts a local RTSP
# server that serves the two sample clips as cameras, and runs `vsp serve` on them
# (recording, analysis, SQLite store, web page and API on http://127.0.0.1:8080/). Ctrl-C stops.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build
DATA=${VSP_DATA_DIR:-../shared/data}
mkdir -p out
./build/tests/tools/rtsp_server 8554 car="$DATA/videos_traffic/car-detection.mp4" \
  people="$DATA/videos_people/one-by-one-person-detection.mp4" > out/rtsp_server.log 2>&1 &
RTSP_PID=$!
trap 'kill $RTSP_PID 2>/dev/null' EXIT
sleep 1
echo "RTSP cameras: rtsp://127.0.0.1:8554/car and rtsp://127.0.0.1:8554/people"
echo "open http://127.0.0.1:8080/ (live view, counts, events); API under /api, metrics at /metrics"
./build/src/app/vsp serve examples/demo-serve.yml

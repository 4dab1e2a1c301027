#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds, and analyses the sample
# clip with its example config (line counts, zone occupancy, events, annotated video).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build
DATA=${VSP_DATA_DIR:-../shared/data}
CLIP=${1:-$DATA/videos_people/one-by-one-person-detection.mp4}
CONFIG=${2:-examples/one-by-one-person-detection.yml}
./build/src/app/vsp analyze "$CLIP" --config "$CONFIG" --out out --annotate out/annotated.mp4
echo "open out/annotated.mp4 to see boxes, track ids, the line and the running counts"

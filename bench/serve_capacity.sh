#!/usr/bin/env bash
# Capacity of one node on this machine: N cameras, each a 720p25 main stream (recorded) and a
# 360p25 sub-stream (analysed at 5 fps with motion gating), served by the local RTSP server from a
# real clip. For each N: recorded vs received packets, analysed fps per camera, node CPU and RSS,
# next to FFmpeg's own single-thread decode rate of the same streams.
#   bench/serve_capacity.sh [BUILD_DIR] [N ...]        (default N: 4 8 12 16 20)
set -euo pipefail
BUILD=${1:-build}; shift || true
NS=${*:-4 8 12 16 20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${VSP_DATA_DIR:-$ROOT/../shared/data}
CACHE=$ROOT/$BUILD/bench-media
DUR=${BENCH_SECONDS:-40}
mkdir -p "$CACHE"
SRC=$DATA/videos_people/one-by-one-person-detection.mp4
# Streams like a camera's: H.264, 25 fps, 2 s GOP, main 1280x720, sub 640x360 (made once, cached).
[ -f "$CACHE/main.mp4" ] || ffmpeg -nostdin -loglevel error -y -t 90 -i "$SRC" -vf scale=1280:720,fps=25 -c:v libx264 \
  -preset veryfast -g 50 -bf 0 -b:v 2M "$CACHE/main.mp4"
[ -f "$CACHE/sub.mp4" ] || ffmpeg -nostdin -loglevel error -y -t 90 -i "$SRC" -vf scale=640:360,fps=25 -c:v libx264 \
  -preset veryfast -g 50 -bf 0 -b:v 500k "$CACHE/sub.mp4"
frames_main=$(ffprobe -v error -count_packets -select_streams v -show_entries stream=nb_read_packets -of csv=p=0 "$CACHE/main.mp4")
t0=$(date +%s.%N); ffmpeg -nostdin -loglevel error -threads 1 -i "$CACHE/main.mp4" -f null -; t1=$(date +%s.%N)
t2=$(date +%s.%N); ffmpeg -nostdin -loglevel error -threads 1 -i "$CACHE/sub.mp4" -f null -; t3=$(date +%s.%N)
dec_main=$(echo "$frames_main / ($t1 - $t0)" | bc -l); dec_sub=$(echo "$frames_main / ($t3 - $t2)" | bc -l)
printf 'FFmpeg decode, 1 thread: 720p %.0f fps (%.1f streams of 25 fps per core), 360p %.0f fps (%.1f streams per core)\n' \
  "$dec_main" "$(echo "$dec_main / 25" | bc -l)" "$dec_sub" "$(echo "$dec_sub / 25" | bc -l)"
printf 'clk_tck=%s cores=%s run=%ss per N\n\n' "$(getconf CLK_TCK)" "$(nproc)" "$DUR"
printf '%4s %10s %10s %10s %14s %14s %10s %10s %10s\n' N recv rec lost "min fps_an" "mean fps_an" "cpu %" "cpu%/cam" "RSS MB"
PORT=$((30000 + RANDOM % 10000)); API=$((PORT + 1))
"$ROOT/$BUILD/tests/tools/rtsp_server" "$PORT" main="$CACHE/main.mp4" sub="$CACHE/sub.mp4" >/dev/null 2>&1 &
RTSP=$!
T=$(mktemp -d)
trap 'kill $RTSP $NODE 2>/dev/null; rm -rf "$T"' EXIT
NODE=
for N in $NS; do
  {
    echo "detector: {model: ${BENCH_MODEL:-person_lwpd}, classes: [person]}"
    echo "cameras:"
    for i in $(seq "$N"); do
      echo "  - {name: cam$i, record_url: \"rtsp://127.0.0.1:$PORT/main\", detect_url: \"rtsp://127.0.0.1:$PORT/sub\", detect_fps: 5,"
      echo "     rules: {lines: [{name: exit_right, p1: [0.75, 0.6], p2: [0.75, 0.98]}]}}"
    done
    echo "storage: {path: $T/data$N, segment_s: 4}"
    echo "api: {listen: 127.0.0.1:$API}"
  } >"$T/n$N.yml"
  "$ROOT/$BUILD/src/app/vsp" serve "$T/n$N.yml" >"$T/log$N" 2>&1 &
  NODE=$!
  sleep 8  # connect and warm up
  c0=$(awk '{print $14 + $15}' /proc/$NODE/stat); w0=$(date +%s.%N)
  j0=$(curl -s "127.0.0.1:$API/api/cameras")
  sleep "$DUR"
  c1=$(awk '{print $14 + $15}' /proc/$NODE/stat); w1=$(date +%s.%N)
  j1=$(curl -s "127.0.0.1:$API/api/cameras")
  rss=$(awk '/VmRSS/ {print $2 / 1024}' /proc/$NODE/status)
  cpu=$(echo "($c1 - $c0) / $(getconf CLK_TCK) / ($w1 - $w0) * 100" | bc -l)
  el=$(echo "$w1 - $w0" | bc -l)
  read -r recv rec minfps meanfps < <(jq -rn --argjson a "$j0" --argjson b "$j1" --arg el "$el" '
    [range(0; $b.cameras | length) as $i | {r: ($b.cameras[$i].packets_received - $a.cameras[$i].packets_received),
      w: ($b.cameras[$i].packets_recorded - $a.cameras[$i].packets_recorded),
      f: (($b.cameras[$i].frames_analysed - $a.cameras[$i].frames_analysed) / ($el | tonumber))}] |
    "\(map(.r) | add) \(map(.w) | add) \(map(.f) | min) \(map(.f) | add / length)"')
  printf '%4d %10d %10d %10d %14.2f %14.2f %10.0f %10.1f %10.0f\n' "$N" "$recv" "$rec" $((recv - rec)) "$minfps" "$meanfps" \
    "$cpu" "$(echo "$cpu / $N" | bc -l)" "$rss"
  kill -TERM $NODE; wait $NODE || true; NODE=
done

#!/usr/bin/env bash
# Capacity of one node on this machine: N cameras, each a 720p25 main stream (recorded) and a
# 360p25 sub-stream (analysed at 5 fps with motion gating), served by the local RTSP server from a
# real clip. For each N: recorded vs received packets, analysed fps per camera, detector runs per
# second per camera (how often each camera is actually looked at: frames that passed the motion
# gate, from vsp_frames_detected_total), node CPU and RSS, the detector's busy share, next to
# FFmpeg's own single-thread decode rate of the same streams.
#   bench/serve_capacity.sh [BUILD_DIR] [N ...]        (default N: 4 8 12 16 20)
# Environment (detector settings go into the config's top-level `detector:` map):
#   BENCH_MODEL=person_lwpd   detector.model (e.g. nanodet_m_320, yolox_nano)
#   BENCH_BACKEND=auto        detector.backend (auto|fast|opencv)
#   BENCH_PRECISION=fp32      detector.precision (fp32|int8)
#   BENCH_THREADS=0           detector.threads (0 = the process's cores)
#   BENCH_CLASSES=person      detector.classes (comma-separated COCO names; empty = all)
#   BENCH_MOTION=off          no motion gating: the detector runs on every analysed frame (worst case)
#   BENCH_SECONDS=40          measured seconds per N (after 8 s of warm-up)
#   BENCH_PER_CAMERA=1        also print each camera's analysed fps and detector runs/s
#   BENCH_KEEP=DIR            keep each N's config and node log in DIR
#   BENCH_PERF=DIR            sample the node with `perf record -g` over the measured window (DIR/perfN.data)
set -euo pipefail
BUILD=${1:-build}; shift || true
NS=${*:-4 8 12 16 20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"  # free_base
DATA=${VSP_DATA_DIR:-$ROOT/../shared/data}
CACHE=$ROOT/$BUILD/bench-media
DUR=${BENCH_SECONDS:-40}
MODEL=${BENCH_MODEL:-person_lwpd}
BACKEND=${BENCH_BACKEND:-auto}
PRECISION=${BENCH_PRECISION:-fp32}
THREADS=${BENCH_THREADS:-0}
CLASSES=${BENCH_CLASSES-person}
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
printf 'detector: model=%s backend=%s precision=%s threads=%s classes=[%s] motion gating %s\n' "$MODEL" "$BACKEND" \
  "$PRECISION" "$THREADS" "$CLASSES" "${BENCH_MOTION:-on}"
printf 'clk_tck=%s cores=%s run=%ss per N; OMP_WAIT_POLICY=%s\n\n' "$(getconf CLK_TCK)" "$(nproc)" "$DUR" \
  "${OMP_WAIT_POLICY:-(unset: vsp sets passive)}"
# lost: received - recorded between the two snapshots (a packet in flight at the second one counts);
# fail: packets whose recording failed or was skipped (vsp_packets_record_failed_total);
# an: analysed fps (frames through the gate); det/s: detector runs per second per camera;
# drop: analysis packets skipped under load; det busy: share of wall time in forward passes, ms/fwd
# its mean; load: 1-minute load average of the machine before / after (other users included).
printf '%3s %7s %7s %4s %4s %6s %6s %6s %6s %6s %5s %6s %6s %6s %6s %6s %s\n' N recv rec lost fail "min_an" "mean_an" \
  "min_d/s" "mean_d/s" drop "cpu%" "cpu%/c" "RSS_MB" "busy%" "ms/fwd" "load0" "load1"
PORT=$(free_base 2); API=$((PORT + 1))
"$ROOT/$BUILD/tests/tools/rtsp_server" "$PORT" main="$CACHE/main.mp4" sub="$CACHE/sub.mp4" >/dev/null 2>&1 &
RTSP=$!
T=$(mktemp -d)
NODE=
trap 'kill $RTSP $NODE 2>/dev/null; rm -rf "$T"' EXIT
metric() { awk -v n="$1" '$1 == n {print $2}' <<<"$2"; }
for N in $NS; do
  {
    printf 'detector: {model: %s, backend: %s, precision: %s, threads: %s' "$MODEL" "$BACKEND" "$PRECISION" "$THREADS"
    [ -n "$CLASSES" ] && printf ', classes: [%s]' "$CLASSES"
    echo "}"
    [ "${BENCH_MOTION:-on}" = off ] && echo "motion: {enabled: false}"
    echo "cameras:"
    for i in $(seq "$N"); do
      echo "  - {name: cam$i, record_url: \"rtsp://127.0.0.1:$PORT/main\", detect_url: \"rtsp://127.0.0.1:$PORT/sub\", detect_fps: 5,"
      echo "     rules: {lines: [{name: exit_right, p1: [0.75, 0.6], p2: [0.75, 0.98]}]}}"
    done
    echo "storage: {path: $T/data$N, segment_s: 4}"
    echo "api: {listen: 127.0.0.1:$API}"
  } >"$T/n$N.yml"
  load0=$(cut -d' ' -f1 /proc/loadavg)
  "$ROOT/$BUILD/src/app/vsp" serve "$T/n$N.yml" >"$T/log$N" 2>&1 &
  NODE=$!
  sleep 8  # connect and warm up
  c0=$(awk '{print $14 + $15}' /proc/$NODE/stat); w0=$(date +%s.%N)
  j0=$(curl -s "127.0.0.1:$API/api/cameras"); m0=$(curl -s "127.0.0.1:$API/metrics")
  if [ -n "${BENCH_PERF:-}" ]; then  # where the node's CPU goes, sampled over the measured window
    mkdir -p "$BENCH_PERF"; perf record -q -F 99 -g -p "$NODE" -o "$BENCH_PERF/perf$N.data" -- sleep "$DUR" 2>/dev/null
  else
    sleep "$DUR"
  fi
  c1=$(awk '{print $14 + $15}' /proc/$NODE/stat); w1=$(date +%s.%N)
  j1=$(curl -s "127.0.0.1:$API/api/cameras"); m1=$(curl -s "127.0.0.1:$API/metrics")
  rss=$(awk '/VmRSS/ {print $2 / 1024}' /proc/$NODE/status)
  cpu=$(echo "($c1 - $c0) / $(getconf CLK_TCK) / ($w1 - $w0) * 100" | bc -l)
  el=$(echo "$w1 - $w0" | bc -l)
  inf=$(echo "$(metric vsp_detector_inferences_total "$m1") - $(metric vsp_detector_inferences_total "$m0")" | bc -l)
  inf_s=$(echo "$(metric vsp_detector_inference_seconds_total "$m1") - \
    $(metric vsp_detector_inference_seconds_total "$m0")" | bc -l)
  busy=$(echo "$inf_s / $el * 100" | bc -l)
  msfwd=$(echo "if ($inf > 0) $inf_s * 1000 / $inf else 0" | bc -l)
  rates=$(jq -rn --argjson a "$j0" --argjson b "$j1" --arg el "$el" '
    [range(0; $b.cameras | length) as $i | $b.cameras[$i] as $y | $a.cameras[$i] as $x |
     {n: $y.name, r: ($y.packets_received - $x.packets_received), w: ($y.packets_recorded - $x.packets_recorded),
      p: ($y.analysis_packets_dropped - $x.analysis_packets_dropped),
      x: ($y.packets_record_failed - $x.packets_record_failed),
      f: (($y.frames_analysed - $x.frames_analysed) / ($el | tonumber)),
      d: (($y.frames_detected - $x.frames_detected) / ($el | tonumber))}]')
  read -r recv rec fail drop minfps meanfps mindet meandet < <(jq -r '"\(map(.r) | add) \(map(.w) | add) \(map(.x) | add) \(map(.p) | add) " +
    "\(map(.f) | min) \(map(.f) | add / length) \(map(.d) | min) \(map(.d) | add / length)"' <<<"$rates")
  load1=$(cut -d' ' -f1 /proc/loadavg)
  printf '%3d %7d %7d %4d %4d %6.2f %6.2f %6.2f %6.2f %6d %5.0f %6.1f %6.0f %6.0f %6.1f %6s %s\n' "$N" "$recv" "$rec" \
    $((recv - rec)) "$fail" "$minfps" "$meanfps" "$mindet" "$meandet" "$drop" "$cpu" "$(echo "$cpu / $N" | bc -l)" "$rss" \
    "$busy" "$msfwd" "$load0" "$load1"
  [ -n "${BENCH_PER_CAMERA:-}" ] && jq -r '.[] | "      \(.n): analysed \(.f * 100 | round / 100) fps, detector \(.d * 100 | round / 100)/s, dropped \(.p)"' <<<"$rates"
  kill -TERM $NODE; wait $NODE || true; NODE=
  if ! grep -q "$MODEL" "$T/log$N"; then echo "   (node log does not name $MODEL: see below)"; tail -5 "$T/log$N"; fi
  [ -n "${BENCH_KEEP:-}" ] && mkdir -p "$BENCH_KEEP" && cp "$T/n$N.yml" "$T/log$N" "$BENCH_KEEP/"
  true
done
# What the detector ran on, as the node logged it (backend, ISA, threads, int8 share).
grep -h -m1 -o "model '$MODEL' runs on .*" "$T"/log* 2>/dev/null | head -1 | sed 's/ (s8 weights.*//' |
  cut -c1-240 | sed 's/^/detector log: /' || true
grep -h -m1 -o "detector $MODEL#[0-9]*: .*" "$T/log${NS##* }" 2>/dev/null | sed 's/^/detector log: /' || true

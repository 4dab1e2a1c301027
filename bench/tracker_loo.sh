#!/usr/bin/env bash
# Leave-one-out check of the tracker's settings on the MOT17 development sequences: for each
# sequence, pick the best grid point on the other three (mean HOTA) and report the held-out
# sequence's HOTA with that choice, next to the shipped defaults and ByteTrack's settings.
#   bench/tracker_loo.sh [BUILD_DIR]
set -euo pipefail
BUILD=${1:-build}
D=${VSP_DATA_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}/mot17_gt_synthetic_dets
BENCH=$BUILD/bench/tracker_bench
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
i=0
for hs in 0.3 0.4 0.5; do for nt in 0.35 0.45 0.6; do for rp in 0 0.2 0.4; do for lb in 1 2; do
  args="high_score=$hs new_track_score=$nt report_predicted_s=$rp lost_buffer_s=$lb"
  "$BENCH" "$D" $args | awk -v a="$args" '/^MOT17/ {print a "\t" $1 "\t" $2}' >> "$T/grid.tsv"
  i=$((i + 1))
done; done; done; done
"$BENCH" "$D" | awk '/^MOT17/ {print $1 "\t" $2}' > "$T/default.tsv"
"$BENCH" "$D" high_score=0.5 new_track_score=0.6 observation_reupdate=0 recovery_max_cost=-1 lost_expand_per_frame=0 \
  velocity_damping=1 report_predicted_s=0 | awk '/^MOT17/ {print $1 "\t" $2}' > "$T/bytetrack.tsv"
printf '%-16s %10s %10s %10s   %s\n' "held out" "ByteTrack" "default" "LOO pick" "settings picked on the other three"
for seq in $(cut -f1 "$T/default.tsv"); do
  best=$(awk -F'\t' -v s="$seq" '$2 != s {sum[$1] += $3; n[$1]++} END {for (k in sum) print sum[k] / n[k] "\t" k}' "$T/grid.tsv" |
    sort -gr | head -1 | cut -f2)
  held=$(awk -F'\t' -v s="$seq" -v b="$best" '$1 == b && $2 == s {print $3}' "$T/grid.tsv")
  printf '%-16s %10s %10s %10s   %s\n' "$seq" "$(awk -v s="$seq" '$1 == s {print $2}' "$T/bytetrack.tsv")" \
    "$(awk -v s="$seq" '$1 == s {print $2}' "$T/default.tsv")" "$held" "$best"
done
echo "($i grid points)"

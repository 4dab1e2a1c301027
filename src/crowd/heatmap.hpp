#pragma once
/// Occupancy heatmaps: where objects stood and walked, time-weighted, per class.
///
/// Accumulation is pure (tracks + timestamps in, grids out). Each confirmed track's ground point
/// (bottom centre of its box) adds the time since the previous update to the cells along its path
/// since then: a person standing 10 s in one place adds 10 s there; a person walking across
/// spreads the same time along the way. Grids are coarse (64 x 36 cells over the frame,
/// normalised so a resolution change keeps them) and cut into one-minute buckets stamped in UTC,
/// so any [since, until) range is a sum of buckets.
///
/// Storage (`HeatmapFiles`): one file per camera and UTC hour,
/// `<root>/<camera>/<YYYY-MM-DD>/<HH>.heat`, appended one record per (minute, class) with the
/// non-zero cells only; a torn last record (crash) is ignored on reading.
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/types.hpp"

namespace vsp::crowd {

inline constexpr int kHeatCols = 64, kHeatRows = 36;
inline constexpr std::int64_t kHeatBucketMs = 60'000;

/// Seconds of presence per cell for one class over one bucket (or a sum of buckets).
struct HeatGrid {
  int cols = kHeatCols, rows = kHeatRows;
  std::vector<float> seconds = std::vector<float>(static_cast<size_t>(kHeatCols) * kHeatRows, 0.f);
  float at(int c, int r) const { return seconds[static_cast<size_t>(r) * cols + c]; }
  float total() const;
  float max() const;
  void add(const HeatGrid& o);
};

struct HeatBucket {
  std::int64_t start_ms = 0;  ///< UTC, a multiple of kHeatBucketMs
  int class_id = 0;           ///< COCO id
  HeatGrid grid;
};

class HeatmapAccumulator {
 public:
  /// `max_step_s`: a gap between updates longer than this adds nothing (the object was not seen).
  explicit HeatmapAccumulator(double max_step_s = 2.0) : max_step_s_(max_step_s) {}
  /// Adds the confirmed tracks of one update. `utc_ms` is the frame's wall-clock time (bucket),
  /// `pts_s` its stream time (weights). Returns the buckets that ended before this update's.
  std::vector<HeatBucket> update(const core::Tracks& tracks, double pts_s, std::int64_t utc_ms, int frame_w,
                                 int frame_h);
  /// A new stream: paths do not join across it.
  void restart();
  /// Every open bucket, oldest first (end of stream, stop).
  std::vector<HeatBucket> flush();
  /// Everything accumulated since construction, per class (for `vsp analyze --heatmap`).
  const std::map<int, HeatGrid>& totals() const { return totals_; }

 private:
  struct Last {
    double x = 0, y = 0;  ///< normalised ground point
    double pts_s = 0;
  };
  double max_step_s_;
  std::map<int, Last> last_;                               ///< by track id
  std::map<std::pair<std::int64_t, int>, HeatGrid> open_;  ///< (bucket start, class) -> grid
  std::map<int, HeatGrid> totals_;
};

/// Adds `seconds` spread evenly along the segment (x0,y0)-(x1,y1) (normalised 0..1) to `g`.
void splat_segment(HeatGrid& g, double x0, double y0, double x1, double y1, float seconds);

class HeatmapFiles {
 public:
  explicit HeatmapFiles(std::filesystem::path root) : root_(std::move(root)) {}
  core::Status append(const std::string& camera, const std::vector<HeatBucket>& buckets);
  /// Sum of the buckets of `class_id` starting in [since_ms, until_ms).
  core::Result<HeatGrid> read(const std::string& camera, int class_id, std::int64_t since_ms,
                              std::int64_t until_ms) const;
  std::filesystem::path hour_file(const std::string& camera, std::int64_t ms) const;

 private:
  std::filesystem::path root_;
  mutable std::mutex m_;
};

/// `grid` as a colour overlay on `background_bgr` (`w` x `h` packed BGR; empty = dark canvas of
/// 640 px width), encoded as PNG. Cells are normalised to the grid's maximum; cold cells stay clear.
std::string render_heatmap_png(const HeatGrid& grid, const std::vector<std::uint8_t>& background_bgr, int w, int h);
/// The same on a JPEG snapshot (empty or undecodable: the dark canvas).
std::string render_heatmap_png_on_jpeg(const HeatGrid& grid, const std::string& jpeg);

}  // namespace vsp::crowd

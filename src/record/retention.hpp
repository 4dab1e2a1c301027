#pragma once
/// Retention as a pure planner: which recorded segments to delete, given what exists, what must
/// be kept, how much disk is used and the limits. No files, no clock: tested without either.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vsp::record {

struct SegmentRef {
  std::int64_t id = 0;
  std::string camera;
  std::int64_t start_ms = 0;  ///< wall clock, ms since the Unix epoch
  std::int64_t end_ms = 0;
  std::int64_t bytes = 0;
};

/// A time range of one camera that must survive retention (exported clips, kept event clips).
struct KeepRange {
  std::string camera;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
};

struct RetentionLimits {
  std::optional<double> max_age_days;
  std::optional<std::int64_t> max_disk_bytes;
};

/// Ids to delete: first every segment older than max_age, then, while `disk_usage_bytes` (of the
/// recordings) is above max_disk_bytes, the oldest remaining segments across cameras. Segments
/// overlapping a keep range are never deleted. Only complete segments should be passed in.
std::vector<std::int64_t> plan_retention(std::vector<SegmentRef> segments, const std::vector<KeepRange>& keep,
                                         std::int64_t disk_usage_bytes, const RetentionLimits& limits,
                                         std::int64_t now_ms);

}  // namespace vsp::record

#include "record/retention.hpp"

#include <algorithm>

namespace vsp::record {

namespace {
bool kept(const SegmentRef& s, const std::vector<KeepRange>& keep) {
  return std::any_of(keep.begin(), keep.end(), [&](const KeepRange& k) {
    return k.camera == s.camera && s.start_ms < k.end_ms && k.start_ms < s.end_ms;
  });
}
}  // namespace

std::vector<std::int64_t> plan_retention(std::vector<SegmentRef> segments, const std::vector<KeepRange>& keep,
                                         std::int64_t disk_usage_bytes, const RetentionLimits& limits,
                                         std::int64_t now_ms) {
  std::sort(segments.begin(), segments.end(), [](const SegmentRef& a, const SegmentRef& b) {
    return a.start_ms != b.start_ms ? a.start_ms < b.start_ms : a.id < b.id;
  });
  std::vector<std::int64_t> out;
  std::vector<char> gone(segments.size(), 0);
  std::int64_t usage = disk_usage_bytes;
  if (limits.max_age_days) {
    const auto cutoff = now_ms - static_cast<std::int64_t>(*limits.max_age_days * 86'400'000.0);
    for (size_t i = 0; i < segments.size(); ++i) {
      if (segments[i].end_ms >= cutoff || kept(segments[i], keep)) continue;
      gone[i] = 1;
      out.push_back(segments[i].id);
      usage -= segments[i].bytes;
    }
  }
  if (limits.max_disk_bytes) {
    for (size_t i = 0; i < segments.size() && usage > *limits.max_disk_bytes; ++i) {
      if (gone[i] || kept(segments[i], keep)) continue;
      gone[i] = 1;
      out.push_back(segments[i].id);
      usage -= segments[i].bytes;
    }
  }
  return out;
}

}  // namespace vsp::record

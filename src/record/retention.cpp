#include "record/retention.hpp"

#include <algorithm>

namespace vsp::record {

namespace {

constexpr double kDayMs = 86'400'000.0;

bool kept(const SegmentRef& s, const std::vector<KeepRange>& keep) {
  return std::any_of(keep.begin(), keep.end(), [&](const KeepRange& k) {
    return k.camera == s.camera && s.start_ms < k.end_ms && k.start_ms < s.end_ms;
  });
}

std::int64_t age_cutoff_ms(std::int64_t now_ms, double days) {
  return now_ms - static_cast<std::int64_t>(days * kDayMs);
}

}  // namespace

std::int64_t reserve_bytes(const RetentionLimits& limits, std::int64_t fs_size_bytes) {
  if (fs_size_bytes <= 0) return 0;
  const double size = static_cast<double>(fs_size_bytes);
  double r = 0;
  if (limits.min_free_bytes) {
    r = static_cast<double>(*limits.min_free_bytes);
  } else {
    const double floor = std::min(256.0 * 1024 * 1024, 0.2 * size);
    r = std::max(limits.min_free_percent / 100.0 * size, floor);
  }
  return static_cast<std::int64_t>(std::clamp(r, 0.0, 0.5 * size));
}

RetentionPlan plan_retention(std::vector<SegmentRef> segments, const std::vector<KeepRange>& keep,
                             const DiskState& disk, const RetentionLimits& limits, std::int64_t now_ms) {
  RetentionPlan plan;
  if (limits.events_max_age_days) plan.events_before_ms = age_cutoff_ms(now_ms, *limits.events_max_age_days);
  if (limits.snapshots_max_age_days) plan.snapshots_before_ms = age_cutoff_ms(now_ms, *limits.snapshots_max_age_days);
  if (limits.plate_reads_max_age_days)
    plan.plate_reads_before_ms = age_cutoff_ms(now_ms, *limits.plate_reads_max_age_days);
  if (limits.audit_max_age_days) plan.audit_before_ms = age_cutoff_ms(now_ms, *limits.audit_max_age_days);

  // ---- The limit: configured quota, or what the filesystem can hold above the reserve ----------
  plan.reserve_bytes = reserve_bytes(limits, disk.fs_size_bytes);
  plan.effective_quota_bytes = limits.max_disk_bytes;
  if (disk.fs_size_bytes > 0) {
    const std::int64_t want_free = disk.store_full ? plan.reserve_bytes + plan.reserve_bytes / 4 : plan.reserve_bytes;
    plan.low_space = disk.fs_free_bytes < want_free;
    const std::int64_t fs_quota = std::max<std::int64_t>(0, disk.recordings_bytes + disk.fs_free_bytes - want_free);
    if (!plan.effective_quota_bytes || fs_quota < *plan.effective_quota_bytes) {
      plan.effective_quota_bytes = fs_quota;
      plan.limited_by_filesystem = true;
    }
  }

  std::sort(segments.begin(), segments.end(), [](const SegmentRef& a, const SegmentRef& b) {
    return a.start_ms != b.start_ms ? a.start_ms < b.start_ms : a.id < b.id;
  });
  std::vector<char> gone(segments.size(), 0);
  std::int64_t usage = disk.recordings_bytes;
  auto drop = [&](size_t i) {
    gone[i] = 1;
    usage -= segments[i].bytes;
  };

  // ---- 1. By age ---------------------------------------------------------------------------------
  if (limits.max_age_days) {
    const auto cutoff = age_cutoff_ms(now_ms, *limits.max_age_days);
    for (size_t i = 0; i < segments.size(); ++i)
      if (segments[i].end_ms < cutoff && !kept(segments[i], keep)) drop(i);
  }
  // ---- 2. By space, oldest first across cameras ------------------------------------------------
  if (plan.effective_quota_bytes) {
    for (size_t i = 0; i < segments.size() && usage > *plan.effective_quota_bytes; ++i)
      if (!gone[i] && !kept(segments[i], keep)) drop(i);
    plan.short_of_space = usage > *plan.effective_quota_bytes;
  }
  for (size_t i = 0; i < segments.size(); ++i)  // oldest first, whichever rule chose them
    if (gone[i]) plan.delete_segments.push_back(segments[i].id);
  return plan;
}

}  // namespace vsp::record

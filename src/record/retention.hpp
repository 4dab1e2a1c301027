#pragma once
/// Retention as a pure planner: which recorded segments to delete and which events and snapshots
/// are past their age, given what exists, what must be kept, how full the disk is and the limits.
/// No files, no clock: tested without either.
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

/// The limits of `storage.retention` (and the reserve), in bytes and days.
struct RetentionLimits {
  std::optional<double> max_age_days;          ///< recordings older than this go
  std::optional<std::int64_t> max_disk_bytes;  ///< configured quota of the recordings
  std::optional<std::int64_t> min_free_bytes;  ///< explicit reserve (min_free_gb); else the percentage
  double min_free_percent = 5;                 ///< reserve as a share of the filesystem
  std::optional<double> events_max_age_days;
  std::optional<double> snapshots_max_age_days;
  std::optional<double> plate_reads_max_age_days;  ///< plate_read events (events_max_age_days applies too)
  std::optional<double> audit_max_age_days;        ///< audit records (the config keeps it the longest)
};

/// The storage as the retention thread measured it just before planning.
struct DiskState {
  std::int64_t recordings_bytes = 0;  ///< sum of the indexed segments' sizes
  std::int64_t fs_size_bytes = 0;     ///< size of the filesystem holding the storage; 0 = unknown
  std::int64_t fs_free_bytes = 0;     ///< bytes this process may still write there (statvfs f_bavail)
  bool store_full = false;            ///< the database refused a write for lack of space since the last pass
};

/// Free space kept on the storage filesystem, in bytes (0 when the filesystem is unknown):
///   - `min_free_bytes` when set, else `min_free_percent` of the filesystem but at least
///     min(256 MiB, 20 % of it), so that a small disk keeps room for a few seconds of writes
///     between two retention passes;
///   - never more than half the filesystem, so a reserve meant for a big disk cannot empty a
///     small one.
std::int64_t reserve_bytes(const RetentionLimits& limits, std::int64_t fs_size_bytes);

/// What one retention pass should do.
struct RetentionPlan {
  std::vector<std::int64_t> delete_segments;  ///< ids, oldest first
  std::int64_t reserve_bytes = 0;             ///< see reserve_bytes()
  /// What the recordings may use now: the smaller of the configured quota and what the
  /// filesystem can hold (recordings + free - reserve); nullopt when neither applies.
  std::optional<std::int64_t> effective_quota_bytes;
  bool limited_by_filesystem = false;                 ///< the filesystem, not the configured quota, sets the limit
  bool low_space = false;                             ///< free space is below the reserve (or the store is full)
  bool short_of_space = false;                        ///< even after these deletions the recordings exceed the limit
  std::optional<std::int64_t> events_before_ms;       ///< delete events stamped before this
  std::optional<std::int64_t> snapshots_before_ms;    ///< delete snapshot files written before this
  std::optional<std::int64_t> plate_reads_before_ms;  ///< delete plate_read events stamped before this
  std::optional<std::int64_t> audit_before_ms;        ///< delete audit records written before this
};

/// Plans one pass. Segments (complete ones only, in any order; the oldest few thousand suffice)
/// go first by age (`max_age_days`), then oldest first across cameras while the recordings exceed
/// the effective quota. When the store reported a full disk, a quarter of the reserve more is
/// freed so that events, which are small and precious, find room before the next video write.
/// Segments overlapping a keep range are never deleted; events and snapshots are only ever
/// deleted by age, never for space.
RetentionPlan plan_retention(std::vector<SegmentRef> segments, const std::vector<KeepRange>& keep,
                             const DiskState& disk, const RetentionLimits& limits, std::int64_t now_ms);

}  // namespace vsp::record

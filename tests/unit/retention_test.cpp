#include <gtest/gtest.h>

#include <algorithm>

#include "ingest/backoff.hpp"
#include "record/retention.hpp"

using namespace vsp;

namespace {
constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kMiB = 1024 * 1024;
constexpr std::int64_t kGB = 1'000'000'000;
record::SegmentRef seg(std::int64_t id, const char* cam, std::int64_t start, std::int64_t bytes = 100) {
  return {id, cam, start, start + 4000, bytes};
}
bool has(const std::vector<std::int64_t>& v, std::int64_t id) { return std::find(v.begin(), v.end(), id) != v.end(); }
record::DiskState usage(std::int64_t recordings_bytes) { return {recordings_bytes, 0, 0, false}; }
}  // namespace

TEST(Retention, nothing_to_do_without_limits) {
  const auto plan = record::plan_retention({seg(1, "a", 0)}, {}, usage(100), {}, 100 * kDay);
  EXPECT_TRUE(plan.delete_segments.empty());
  EXPECT_FALSE(plan.effective_quota_bytes.has_value());
  EXPECT_FALSE(plan.events_before_ms.has_value());
}

TEST(Retention, age_limit_deletes_only_older_segments) {
  record::RetentionLimits l;
  l.max_age_days = 7;
  const auto plan = record::plan_retention({seg(1, "a", 0), seg(2, "a", 9 * kDay)}, {}, usage(200), l, 10 * kDay);
  EXPECT_EQ(plan.delete_segments, std::vector<std::int64_t>{1});
}

TEST(Retention, disk_quota_deletes_oldest_first_across_cameras) {
  record::RetentionLimits l;
  l.max_disk_bytes = 250;
  const auto plan = record::plan_retention({seg(3, "b", 3000), seg(1, "a", 1000), seg(2, "b", 2000), seg(4, "a", 4000)},
                                           {}, usage(400), l, 5000);
  EXPECT_EQ(plan.delete_segments, (std::vector<std::int64_t>{1, 2}));
  EXPECT_FALSE(plan.limited_by_filesystem);
}

TEST(Retention, kept_ranges_survive_age_and_quota) {
  record::RetentionLimits l;
  l.max_disk_bytes = 100;
  l.max_age_days = 1;
  const std::vector<record::KeepRange> keep = {{"a", 500, 1500}};
  const auto plan = record::plan_retention({seg(1, "a", 1000), seg(2, "a", 2 * kDay), seg(3, "b", 1000)}, keep,
                                           usage(300), l, 3 * kDay);
  EXPECT_FALSE(has(plan.delete_segments, 1));  // overlaps the export
  EXPECT_TRUE(has(plan.delete_segments, 3));   // same time, other camera: not kept
}

TEST(Retention, quota_stops_as_soon_as_usage_fits) {
  record::RetentionLimits l;
  l.max_disk_bytes = 300;
  const auto plan =
      record::plan_retention({seg(1, "a", 1), seg(2, "a", 2), seg(3, "a", 3), seg(4, "a", 4)}, {}, usage(400), l, 10);
  EXPECT_EQ(plan.delete_segments, std::vector<std::int64_t>{1});
  EXPECT_FALSE(plan.short_of_space);
}

// ---- The reserve: what it is on filesystems of every size ----------------------------------------
struct ReserveCase {
  const char* name;
  std::optional<std::int64_t> min_free_bytes;
  double percent;
  std::int64_t fs_size;
  std::int64_t want;
};

TEST(Retention, reserve_follows_the_documented_rule) {
  const ReserveCase cases[] = {
      {"unknown_filesystem_reserves_nothing", std::nullopt, 5, 0, 0},
      {"big_disk_reserves_five_percent", std::nullopt, 5, 1000 * kGB, 50 * kGB},
      {"mid_disk_keeps_at_least_256_mib", std::nullopt, 5, 2 * kGB, 256 * kMiB},
      {"tiny_disk_keeps_a_fifth", std::nullopt, 5, 12 * kMiB, 12 * kMiB / 5},
      {"percent_above_the_floor_wins", std::nullopt, 40, 12 * kMiB, 12 * kMiB * 2 / 5},
      {"explicit_gb_wins_over_percent", 3 * kGB, 5, 1000 * kGB, 3 * kGB},
      {"explicit_zero_means_no_reserve", 0, 5, 1000 * kGB, 0},
      {"explicit_gb_capped_at_half_a_small_disk", 10 * kGB, 5, 12 * kMiB, 6 * kMiB},
  };
  for (const auto& c : cases) {
    record::RetentionLimits l;
    l.min_free_bytes = c.min_free_bytes;
    l.min_free_percent = c.percent;
    EXPECT_EQ(record::reserve_bytes(l, c.fs_size), c.want) << c.name;
  }
}

// ---- Free space: the filesystem caps the quota ----------------------------------------------------
struct SpaceCase {
  const char* name;
  std::optional<std::int64_t> quota;
  std::int64_t recordings, fs_size, fs_free;
  bool store_full;
  std::vector<std::int64_t> want_deleted;  // of segments 1..5, 100 bytes each, oldest first
  std::int64_t want_effective;
  bool want_fs_limited, want_low, want_short;
};

TEST(Retention, free_space_floor_deletes_video_before_the_disk_fills) {
  // 1000-byte filesystem with an explicit 200-byte reserve; five segments of 100 bytes.
  const SpaceCase cases[] = {
      {"plenty_of_space_deletes_nothing", std::nullopt, 500, 1000, 500, false, {}, 800, true, false, false},
      {"below_the_reserve_frees_exactly_the_deficit", std::nullopt, 500, 1000, 150, false, {1}, 450, true, true, false},
      {"disk_full_by_other_data_deletes_enough", std::nullopt, 500, 1000, 0, false, {1, 2}, 300, true, true, false},
      {"quota_larger_than_the_filesystem_is_capped_by_it",
       100 * kGB,
       500,
       1000,
       50,
       false,
       {1, 2},
       350,
       true,
       true,
       false},
      {"quota_below_what_the_filesystem_holds_still_rules",
       250,
       500,
       1000,
       500,
       false,
       {1, 2, 3},
       250,
       false,
       false,
       false},
      {"a_full_store_frees_a_quarter_reserve_more", std::nullopt, 500, 1000, 200, true, {1}, 450, true, true, false},
      {"more_than_the_deletable_segments_is_short_of_space",
       400,
       1000,
       1000,
       0,
       false,
       {1, 2, 3, 4, 5},
       400,
       false,
       true,
       true},
  };
  for (const auto& c : cases) {
    record::RetentionLimits l;
    l.max_disk_bytes = c.quota;
    l.min_free_bytes = 200;
    const std::vector<record::SegmentRef> segs = {seg(5, "b", 5000), seg(1, "a", 1000), seg(2, "b", 2000),
                                                  seg(3, "a", 3000), seg(4, "a", 4000)};
    const auto plan = record::plan_retention(segs, {}, {c.recordings, c.fs_size, c.fs_free, c.store_full}, l, 9000);
    EXPECT_EQ(plan.delete_segments, c.want_deleted) << c.name;
    EXPECT_EQ(plan.reserve_bytes, 200) << c.name;
    ASSERT_TRUE(plan.effective_quota_bytes.has_value()) << c.name;
    EXPECT_EQ(*plan.effective_quota_bytes, c.want_effective) << c.name;
    EXPECT_EQ(plan.limited_by_filesystem, c.want_fs_limited) << c.name;
    EXPECT_EQ(plan.low_space, c.want_low) << c.name;
    EXPECT_EQ(plan.short_of_space, c.want_short) << c.name;
  }
}

TEST(Retention, low_space_never_deletes_kept_segments) {
  record::RetentionLimits l;
  l.min_free_bytes = 200;
  const std::vector<record::KeepRange> keep = {{"a", 0, 1500}};
  const auto plan =
      record::plan_retention({seg(1, "a", 1000), seg(2, "a", 2000)}, keep, {200, 1000, 0, false}, l, 9000);
  EXPECT_EQ(plan.delete_segments, std::vector<std::int64_t>{2});
  EXPECT_TRUE(plan.short_of_space);
}

TEST(Retention, events_and_snapshots_go_by_their_own_age_never_for_space) {
  record::RetentionLimits l;
  l.events_max_age_days = 30;
  l.snapshots_max_age_days = 7;
  l.min_free_bytes = 200;
  const auto plan = record::plan_retention({}, {}, {0, 1000, 0, true}, l, 100 * kDay);
  ASSERT_TRUE(plan.events_before_ms.has_value());
  ASSERT_TRUE(plan.snapshots_before_ms.has_value());
  EXPECT_EQ(*plan.events_before_ms, 70 * kDay);
  EXPECT_EQ(*plan.snapshots_before_ms, 93 * kDay);
  record::RetentionLimits none;
  const auto p2 = record::plan_retention({}, {}, {0, 1000, 0, true}, none, 100 * kDay);
  EXPECT_FALSE(p2.events_before_ms.has_value());  // no age set: events are kept, however full the disk
  EXPECT_FALSE(p2.snapshots_before_ms.has_value());
}

TEST(Backoff, grows_exponentially_with_bounded_jitter_and_a_cap) {
  ingest::BackoffOptions o;
  EXPECT_DOUBLE_EQ(ingest::backoff_delay_s(1, o, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(ingest::backoff_delay_s(2, o, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(ingest::backoff_delay_s(4, o, 0.5), 4.0);
  EXPECT_DOUBLE_EQ(ingest::backoff_delay_s(40, o, 0.5), 30.0);
  EXPECT_NEAR(ingest::backoff_delay_s(3, o, 0.0), 2.0 * 0.7, 1e-12);
  EXPECT_NEAR(ingest::backoff_delay_s(3, o, 0.999999), 2.0 * 1.3, 1e-5);
}

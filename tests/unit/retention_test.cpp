#include <gtest/gtest.h>

#include <algorithm>

#include "ingest/backoff.hpp"
#include "record/retention.hpp"

using namespace vsp;

namespace {
constexpr std::int64_t kDay = 86'400'000;
record::SegmentRef seg(std::int64_t id, const char* cam, std::int64_t start, std::int64_t bytes = 100) {
  return {id, cam, start, start + 4000, bytes};
}
bool has(const std::vector<std::int64_t>& v, std::int64_t id) { return std::find(v.begin(), v.end(), id) != v.end(); }
}  // namespace

TEST(Retention, nothing_to_do_without_limits) {
  EXPECT_TRUE(record::plan_retention({seg(1, "a", 0)}, {}, 100, {}, 100 * kDay).empty());
}

TEST(Retention, age_limit_deletes_only_older_segments) {
  record::RetentionLimits l;
  l.max_age_days = 7;
  const auto del = record::plan_retention({seg(1, "a", 0), seg(2, "a", 9 * kDay)}, {}, 200, l, 10 * kDay);
  EXPECT_EQ(del, std::vector<std::int64_t>{1});
}

TEST(Retention, disk_quota_deletes_oldest_first_across_cameras) {
  record::RetentionLimits l;
  l.max_disk_bytes = 250;
  const auto del = record::plan_retention({seg(3, "b", 3000), seg(1, "a", 1000), seg(2, "b", 2000), seg(4, "a", 4000)},
                                          {}, 400, l, 5000);
  EXPECT_EQ(del, (std::vector<std::int64_t>{1, 2}));
}

TEST(Retention, kept_ranges_survive_age_and_quota) {
  record::RetentionLimits l;
  l.max_disk_bytes = 100;
  l.max_age_days = 1;
  const std::vector<record::KeepRange> keep = {{"a", 500, 1500}};
  const auto del =
      record::plan_retention({seg(1, "a", 1000), seg(2, "a", 2 * kDay), seg(3, "b", 1000)}, keep, 300, l, 3 * kDay);
  EXPECT_FALSE(has(del, 1));  // overlaps the export
  EXPECT_TRUE(has(del, 3));   // same time, other camera: not kept
}

TEST(Retention, quota_stops_as_soon_as_usage_fits) {
  record::RetentionLimits l;
  l.max_disk_bytes = 300;
  const auto del =
      record::plan_retention({seg(1, "a", 1), seg(2, "a", 2), seg(3, "a", 3), seg(4, "a", 4)}, {}, 400, l, 10);
  EXPECT_EQ(del, std::vector<std::int64_t>{1});
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

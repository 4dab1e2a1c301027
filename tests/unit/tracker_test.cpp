#include <gtest/gtest.h>

#include <set>

#include "track/tracker.hpp"

using namespace vsp;

namespace {
core::Detection det(float x, float y, float score = 0.9f, int cls = 0) { return {{x, y, x + 40, y + 100}, score, cls}; }
const core::Track* find_id(const core::Tracks& ts, int id) {
  for (const auto& t : ts)
    if (t.id == id) return &t;
  return nullptr;
}
}  // namespace

TEST(Tracker, object_moving_steadily_keeps_one_id) {
  track::Tracker tr;
  std::set<int> ids;
  for (int f = 0; f < 50; ++f) {
    for (const auto& t : tr.update({det(100.f + 5 * f, 200)}, {f, f / 30.0}))
      if (t.id) ids.insert(t.id);
  }
  EXPECT_EQ(ids.size(), 1u);
}

TEST(Tracker, single_detection_after_the_first_frame_stays_tentative) {
  track::Tracker tr;
  tr.update({}, {0, 0});
  const auto ts = tr.update({det(100, 100)}, {1, 1 / 30.0});
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].state, core::TrackState::tentative);
  EXPECT_EQ(ts[0].id, 0);
  // Never seen again: the tentative track is dropped.
  EXPECT_TRUE(tr.update({}, {2, 2 / 30.0}).empty());
}

TEST(Tracker, two_matches_in_a_row_confirm_a_track) {
  track::Tracker tr;
  tr.update({}, {0, 0});
  tr.update({det(100, 100)}, {1, 1 / 30.0});
  const auto ts = tr.update({det(102, 100)}, {2, 2 / 30.0});
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_TRUE(ts[0].confirmed());
  EXPECT_EQ(ts[0].id, 1);
}

TEST(Tracker, track_missed_for_a_few_frames_comes_back_with_its_id) {
  track::Tracker tr;
  for (int f = 0; f < 10; ++f) tr.update({det(100.f + 4 * f, 200)}, {f, f / 30.0});
  for (int f = 10; f < 18; ++f) {
    const auto ts = tr.update({}, {f, f / 30.0});
    ASSERT_EQ(ts.size(), 1u);
    EXPECT_EQ(ts[0].state, core::TrackState::lost);
  }
  const auto ts = tr.update({det(100.f + 4 * 18, 200)}, {18, 18 / 30.0});
  ASSERT_NE(find_id(ts, 1), nullptr);
  EXPECT_EQ(find_id(ts, 1)->frames_since_update, 0);
}

TEST(Tracker, lost_track_is_removed_after_the_buffer) {
  track::TrackerOptions o;
  o.lost_buffer_s = 0.5;
  track::Tracker tr(o);
  for (int f = 0; f < 5; ++f) tr.update({det(100, 100)}, {f, f / 30.0});
  core::Tracks ts;
  for (int f = 5; f < 5 + 20; ++f) ts = tr.update({}, {f, f / 30.0});
  EXPECT_TRUE(ts.empty());
}

TEST(Tracker, low_score_detection_extends_a_tracked_object_but_starts_nothing) {
  track::Tracker tr;
  for (int f = 0; f < 5; ++f) tr.update({det(100.f + 2 * f, 100)}, {f, f / 30.0});
  const auto ts = tr.update({det(110, 100, 0.15f), det(600, 600, 0.15f)}, {5, 5 / 30.0});
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].frames_since_update, 0);
}

TEST(Tracker, crossing_objects_keep_their_ids) {
  track::Tracker tr;
  int swaps = 0;
  for (int f = 0; f < 60; ++f) {
    const auto ts = tr.update({det(100.f + 8 * f, 200), det(580.f - 8 * f, 230)}, {f, f / 30.0});
    for (const auto& t : ts) {
      if (t.id == 1 && t.vx_px_s < 0) ++swaps;
      if (t.id == 2 && t.vx_px_s > 0) ++swaps;
    }
  }
  EXPECT_EQ(swaps, 0);
}

TEST(Tracker, class_is_voted_over_the_whole_track) {
  track::Tracker tr;
  core::Tracks ts;
  for (int f = 0; f < 10; ++f) ts = tr.update({det(100, 100, 0.9f, f == 4 ? 41 : 2)}, {f, f / 30.0});
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].class_id, 2);
}

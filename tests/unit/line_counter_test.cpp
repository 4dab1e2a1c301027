// Line-crossing semantics (ARCHITECTURE.md §3), one sentence per failure seen in peers.
#include <gtest/gtest.h>

#include "analytics/line_counter.hpp"

using namespace vsp;

namespace {
constexpr int kW = 1000, kH = 1000;

/// A confirmed track whose box has its bottom-centre at (x, y) pixels.
core::Track at(int id, double x, double y, bool confirmed = true) {
  core::Track t;
  t.id = confirmed ? id : 0;
  t.state = confirmed ? core::TrackState::confirmed : core::TrackState::tentative;
  t.box_px = {static_cast<float>(x - 20), static_cast<float>(y - 80), static_cast<float>(x + 20),
              static_cast<float>(y)};
  t.class_id = 0;
  return t;
}

analytics::LineOptions horizontal_line() {
  analytics::LineOptions o;
  o.name = "mid";
  o.p1 = {0.1, 0.5};
  o.p2 = {0.9, 0.5};  // pointing right: below the line is the right side, "in" = moving down
  return o;
}

/// Feeds one anchor y per frame for track 1 at x = 500; returns (in, out).
std::pair<long, long> run_y(analytics::LineCounter& lc, const std::vector<double>& ys, double x = 500) {
  int f = 0;
  for (double y : ys) {
    lc.update({at(1, x, y)}, {f, f * 0.1});
    ++f;
  }
  return {lc.totals().in, lc.totals().out};
}
}  // namespace

TEST(LineCounter, flicker_A_A_B_A_A_counts_nothing) {
  analytics::LineCounter lc(horizontal_line(), kW, kH);
  EXPECT_EQ(run_y(lc, {400, 400, 600, 400, 400}), std::make_pair(0L, 0L));
}

TEST(LineCounter, box_jittering_on_the_line_counts_once) {
  analytics::LineCounter lc(horizontal_line(), kW, kH);
  EXPECT_EQ(run_y(lc, {400, 480, 520, 490, 515, 480, 530, 560, 600, 640, 590, 610}), std::make_pair(1L, 0L));
}

TEST(LineCounter, unconfirmed_tracks_never_count) {
  analytics::LineCounter lc(horizontal_line(), kW, kH);
  for (int f = 0; f < 6; ++f) lc.update({at(1, 500, 400 + f * 50, false)}, {f, f * 0.1});
  EXPECT_EQ(lc.totals().in + lc.totals().out, 0);
}

TEST(LineCounter, two_objects_crossing_in_the_same_frame_count_twice) {
  analytics::LineCounter lc(horizontal_line(), kW, kH);
  const double ys[] = {400, 450, 550, 600, 650};
  for (int f = 0; f < 5; ++f) lc.update({at(1, 300, ys[f]), at(2, 700, ys[f])}, {f, f * 0.1});
  EXPECT_EQ(lc.totals().in, 2);
}

TEST(LineCounter, crossing_beyond_the_segment_end_counts_nothing) {
  analytics::LineCounter lc(horizontal_line(), kW, kH);
  EXPECT_EQ(run_y(lc, {400, 450, 550, 600, 650}, 950), std::make_pair(0L, 0L));
}

TEST(LineCounter, line_near_the_frame_edge_still_counts) {
  auto o = horizontal_line();
  o.p1 = {0.1, 0.98};
  o.p2 = {0.9, 0.98};
  analytics::LineCounter lc(o, kW, kH);
  // The box bottom is clipped at the frame edge (y = 1000) once the object leaves.
  EXPECT_EQ(run_y(lc, {940, 960, 990, 1000, 1000}), std::make_pair(1L, 0L));
}

TEST(LineCounter, direction_is_right_for_all_four_headings) {
  struct Case {
    core::Point p1, p2;
    core::Point from, to;
    const char* expected;
  };
  // Segment p1->p2; "in" = from its left to its right as seen on screen (y down).
  const Case cases[] = {
      {{0.1, 0.5}, {0.9, 0.5}, {500, 300}, {500, 700}, "in"},   // heading down across a rightward line
      {{0.1, 0.5}, {0.9, 0.5}, {500, 700}, {500, 300}, "out"},  // heading up
      {{0.5, 0.1}, {0.5, 0.9}, {700, 500}, {300, 500}, "in"},   // heading left across a downward line
      {{0.5, 0.1}, {0.5, 0.9}, {300, 500}, {700, 500}, "out"},  // heading right
  };
  for (const auto& c : cases) {
    auto o = horizontal_line();
    o.p1 = c.p1;
    o.p2 = c.p2;
    analytics::LineCounter lc(o, kW, kH);
    std::vector<events::Event> evs;
    for (int f = 0; f <= 6; ++f) {
      const double a = f / 6.0;
      auto e = lc.update({at(1, c.from.x + a * (c.to.x - c.from.x), c.from.y + a * (c.to.y - c.from.y))}, {f, f * 0.1});
      evs.insert(evs.end(), e.begin(), e.end());
    }
    ASSERT_EQ(evs.size(), 1u);
    EXPECT_EQ(evs[0].direction, c.expected);
  }
}

TEST(LineCounter, same_track_counts_once_per_direction_unless_it_truly_recrosses) {
  analytics::LineCounter lc(horizontal_line(), kW, kH);
  // Down across (in), stays below for a while: one count.
  EXPECT_EQ(run_y(lc, {400, 450, 550, 600, 620, 640, 600}), std::make_pair(1L, 0L));
  // Back up (out) and down again (in): a real re-crossing counts again.
  analytics::LineCounter lc2(horizontal_line(), kW, kH);
  EXPECT_EQ(run_y(lc2, {400, 450, 550, 600, 620, 450, 400, 380, 550, 600, 620}), std::make_pair(2L, 1L));
}

TEST(LineCounter, crossing_time_is_when_the_anchor_crossed_not_when_confirmed) {
  auto o = horizontal_line();
  o.min_frames = 3;
  analytics::LineCounter lc(o, kW, kH);
  std::vector<events::Event> evs;
  const double ys[] = {400, 450, 550, 600, 650, 700};
  for (int f = 0; f < 6; ++f) {
    auto e = lc.update({at(1, 500, ys[f])}, {f, f * 0.1});
    evs.insert(evs.end(), e.begin(), e.end());
  }
  ASSERT_EQ(evs.size(), 1u);
  // y=450 at 0.1 s, y=550 at 0.2 s: the anchor met the line (y=500) half-way, at 0.15 s.
  EXPECT_NEAR(evs[0].pts_s, 0.15, 1e-9);
}

TEST(LineCounter, class_filter_ignores_other_classes) {
  auto o = horizontal_line();
  o.classes = {2};  // car
  analytics::LineCounter lc(o, kW, kH);
  EXPECT_EQ(run_y(lc, {400, 450, 550, 600, 650}), std::make_pair(0L, 0L));
}

#include <gtest/gtest.h>

#include "analytics/zone_monitor.hpp"

using namespace vsp;

namespace {
core::Track at(int id, double x, double y, int cls = 0) {
  core::Track t;
  t.id = id;
  t.state = core::TrackState::confirmed;
  t.box_px = {static_cast<float>(x - 10), static_cast<float>(y - 40), static_cast<float>(x + 10),
              static_cast<float>(y)};
  t.class_id = cls;
  return t;
}
analytics::ZoneOptions square() {
  analytics::ZoneOptions o;
  o.name = "z";
  o.polygon = {{0.25, 0.25}, {0.75, 0.25}, {0.75, 0.75}, {0.25, 0.75}};
  return o;
}
}  // namespace

TEST(ZoneMonitor, entry_needs_inertia_frames_and_a_blip_counts_nothing) {
  analytics::ZoneMonitor z(square(), 100, 100);
  const double xs[] = {10, 50, 10, 10, 50, 50, 50, 50};
  long enters = 0;
  for (int f = 0; f < 8; ++f)
    for (const auto& e : z.update({at(1, xs[f], 50)}, {f, f * 1.0})) enters += e.type == "zone_enter";
  EXPECT_EQ(enters, 1);
  EXPECT_EQ(z.totals().entries, 1);
  EXPECT_EQ(z.occupancy().at("person"), 1);
}

TEST(ZoneMonitor, exit_reports_dwell_from_entry_to_last_inside) {
  analytics::ZoneMonitor z(square(), 100, 100);
  std::vector<events::Event> evs;
  for (int f = 0; f < 20; ++f) {
    const double x = f < 12 ? 50 : 90;  // inside for frames 0..11
    auto e = z.update({at(1, x, 50)}, {f, f * 1.0});
    evs.insert(evs.end(), e.begin(), e.end());
  }
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[1].type, "zone_exit");
  ASSERT_TRUE(evs[1].dwell_s.has_value());
  EXPECT_NEAR(*evs[1].dwell_s, 11.0, 1e-9);
}

TEST(ZoneMonitor, track_that_disappears_inside_exits_when_the_tracker_drops_it) {
  analytics::ZoneMonitor z(square(), 100, 100);
  for (int f = 0; f < 5; ++f) z.update({at(1, 50, 50)}, {f, f * 1.0});
  const auto evs = z.update({}, {5, 5.0});
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, "zone_exit");
}

TEST(ZoneMonitor, dwell_and_overcrowding_fire_once_with_hysteresis) {
  auto o = square();
  o.dwell_threshold_s = 5;
  o.max_occupancy = 1;
  o.enter_frames = 1;
  analytics::ZoneMonitor z(o, 100, 100);
  long dwell = 0, crowd = 0;
  for (int f = 0; f < 20; ++f)
    for (const auto& e : z.update({at(1, 40, 50), at(2, 60, 50)}, {f, f * 1.0})) {
      dwell += e.type == "zone_dwell";
      crowd += e.type == "zone_overcrowded";
    }
  EXPECT_EQ(dwell, 2);  // once per track
  EXPECT_EQ(crowd, 1);  // not every frame
  EXPECT_EQ(z.totals().max_occupancy, 2);
}

TEST(ZoneMonitor, end_of_stream_closes_stays_without_skewing_mean_occupancy) {
  analytics::ZoneMonitor z(square(), 100, 100);
  for (int f = 0; f < 4; ++f) z.update({at(1, 50, 50)}, {f, f * 1.0});
  const double mean_before = z.totals().mean_occupancy();
  const auto evs = z.finish();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, "zone_exit");
  EXPECT_DOUBLE_EQ(z.totals().mean_occupancy(), mean_before);
  EXPECT_EQ(z.totals().exits, 1);
}

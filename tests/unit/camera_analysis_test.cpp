// The per-camera analysis core: the gate decision table, time-true results at any call rate,
// restarts, stop, and event order. No models, no pixels (detections are given).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "pipeline/camera_analysis.hpp"
#include "track/tracker.hpp"

using namespace vsp;
using pipeline::GateInput;
using pipeline::GateReason;

namespace {

struct VecSink final : events::EventSink {
  std::vector<events::Event> events;
  void write(const events::Event& e) override { events.push_back(e); }
  std::vector<events::Event> of(const std::string& type) const {
    std::vector<events::Event> out;
    for (const auto& e : events)
      if (e.type == type) out.push_back(e);
    return out;
  }
};

// A person (40x100 px) in a 1000x500 frame: walks right at 100 px/s from x=300 (t=0) until t=5
// (x=800, inside the zone from x=600 at t=3), stands still until t=11, then walks right again
// and leaves the zone (x>900) at t=12. The line is vertical at x=500: crossed at t=2.
constexpr double kSpeed = 100;
double person_x(double t) {
  if (t < 5) return 300 + kSpeed * t;
  if (t < 11) return 800;
  return 800 + kSpeed * (t - 11);
}
core::Detections person_at(double t) {
  const float x = static_cast<float>(person_x(t));
  return {{{x - 20, 300, x + 20, 400}, 0.9f, 0}};
}

config::CameraConfig scene() {
  config::CameraConfig c;
  analytics::LineOptions l;
  l.name = "door";
  l.p1 = {0.5, 0.0};
  l.p2 = {0.5, 1.0};
  c.rules.lines.push_back(l);
  analytics::ZoneOptions z;
  z.name = "desk";
  z.polygon = {{0.6, 0.0}, {0.9, 0.0}, {0.9, 1.0}, {0.6, 1.0}};
  z.enter_frames = 2;
  z.exit_frames = 2;
  c.rules.zones.push_back(z);
  return c;
}

/// The scene's core, its stream started (1000x500).
core::Result<std::unique_ptr<pipeline::CameraAnalysis>> started_core(VecSink& sink, double nominal_fps) {
  pipeline::CameraAnalysisOptions o;
  o.config = scene();
  o.nominal_fps = nominal_fps;
  auto core = pipeline::CameraAnalysis::create(o, sink);
  if (core) (*core)->start_stream(1000, 500, 0, "test");
  return core;
}

/// Drives the core at the given call times (stream seconds) and returns the events.
VecSink run_at(const std::vector<double>& times, double nominal_fps) {
  VecSink sink;
  auto core = started_core(sink, nominal_fps);
  EXPECT_TRUE(core.ok());
  for (size_t i = 0; i < times.size(); ++i) {
    const core::Timestamp ts{static_cast<std::int64_t>(i), times[i]};
    if ((*core)->offer(ts)) (*core)->update(person_at(times[i]), ts, nullptr);
  }
  (*core)->finish();
  return sink;
}

std::vector<double> regular(double fps, double until_s) {
  std::vector<double> t;
  for (int i = 0; i / fps <= until_s; ++i) t.push_back(i / fps);
  return t;
}

}  // namespace

// ---- Gate ------------------------------------------------------------------------------------
TEST(Gate, decision_table) {
  struct Case {
    const char* name;
    GateInput in;
    GateReason want;
  };
  auto in = [](bool gating, double changed, bool moving, double pts, std::optional<double> last) {
    GateInput g;
    g.gating = gating;
    g.changed_fraction = changed;
    g.min_changed_fraction = 0.002;
    g.tracks_moving = moving;
    g.pts_s = pts;
    g.last_detect_pts_s = last;
    g.max_interval_s = 1.0;
    return g;
  };
  const std::vector<Case> cases = {
      {"ungated runs every frame", in(false, 0, false, 5, 4.9), GateReason::not_gated},
      {"first frame always runs", in(true, 0, false, 0, std::nullopt), GateReason::first_frame},
      {"motion runs", in(true, 0.01, false, 5, 4.9), GateReason::motion},
      {"motion exactly at the threshold runs", in(true, 0.002, false, 5, 4.9), GateReason::motion},
      {"moving tracks run without motion", in(true, 0, true, 5, 4.9), GateReason::moving_tracks},
      {"still scene skips", in(true, 0.001, false, 5, 4.5), GateReason::skip},
      {"still scene runs after max interval", in(true, 0, false, 5, 4.0), GateReason::interval},
      {"time going back runs", in(true, 0, false, 3, 4.0), GateReason::time_went_back},
  };
  for (const auto& c : cases) EXPECT_EQ(pipeline::should_detect(c.in), c.want) << c.name;
}

// ---- Time-true results -------------------------------------------------------------------------
TEST(CameraAnalysis, same_trajectory_at_25_5_and_jittered_rates_gives_same_crossing_and_dwell) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> gap(1 / 7.0, 1 / 2.0);  // 2..7 calls per second
  std::vector<double> jittered{0};
  while (jittered.back() < 14) jittered.push_back(jittered.back() + gap(rng));
  struct Run {
    const char* name;
    std::vector<double> times;
    double period_s;  ///< the longest gap between calls: answers may differ by that much
  };
  // The nominal rate stays 25 in every run: results must not depend on the calls matching it.
  const std::vector<Run> runs = {{"25 fps", regular(25, 14), 1 / 25.0},
                                 {"5 fps", regular(5, 14), 1 / 5.0},
                                 {"jittered 2-7 fps", jittered, 1 / 2.0}};
  for (const auto& r : runs) {
    const auto sink = run_at(r.times, 25);
    const auto crossings = sink.of("line_crossing");
    ASSERT_EQ(crossings.size(), 1u) << r.name;
    EXPECT_EQ(crossings[0].direction, "out") << r.name;  // rightwards across a downward line: + to -
    EXPECT_NEAR(crossings[0].pts_s, 2.0, r.period_s + 1e-6) << r.name;
    const auto enters = sink.of("zone_enter"), exits = sink.of("zone_exit");
    ASSERT_EQ(enters.size(), 1u) << r.name;
    ASSERT_EQ(exits.size(), 1u) << r.name;
    EXPECT_NEAR(enters[0].pts_s, 3.0, r.period_s + 1e-6) << r.name;
    ASSERT_TRUE(exits[0].dwell_s.has_value());
    EXPECT_NEAR(*exits[0].dwell_s, 12.0 - 3.0, 2 * r.period_s + 1e-6) << r.name;
    EXPECT_EQ(exits[0].track_id, crossings[0].track_id) << r.name << ": one track throughout";
  }
}

TEST(Tracker, velocity_is_in_px_per_second_at_any_call_rate) {
  for (double fps : {25.0, 5.0, 2.0}) {
    track::TrackerOptions o;
    o.frame_rate = 25;  // nominal; the calls come at `fps`
    track::Tracker tr(o);
    core::Tracks ts;
    for (int i = 0; i < 20; ++i) {
      const float x = static_cast<float>(100 + kSpeed * i / fps);
      ts = tr.update({{{x, 300, x + 120, 400}, 0.9f, 0}}, {i, i / fps});  // wide: IoU holds at 50 px/call
    }
    ASSERT_EQ(ts.size(), 1u);
    EXPECT_NEAR(ts[0].vx_px_s, kSpeed, 0.1 * kSpeed) << fps << " calls/s";
  }
}

TEST(Tracker, unseen_track_expires_after_lost_buffer_seconds_whatever_the_call_rate) {
  for (double fps : {25.0, 2.0}) {
    track::TrackerOptions o;
    o.frame_rate = 25;
    o.lost_buffer_s = 1.0;
    track::Tracker tr(o);
    const core::Detections d = {{{100, 100, 140, 200}, 0.9f, 0}};
    int i = 0;
    for (; i < 10; ++i) tr.update(d, {i, i / fps});
    const double last_seen = (i - 1) / fps;
    bool alive_before = true, gone_after = true;
    for (; i < 60; ++i) {
      const double t = i / fps;
      const bool alive = !tr.update({}, {i, t}).empty();
      if (t - last_seen <= 0.99 && !alive) alive_before = false;
      if (t - last_seen > 1.01 && alive) gone_after = false;
    }
    EXPECT_TRUE(alive_before) << fps << " calls/s: dropped before lost_buffer_s";
    EXPECT_TRUE(gone_after) << fps << " calls/s: kept after lost_buffer_s";
  }
}

// ---- Stop, restart, order ----------------------------------------------------------------------
TEST(CameraAnalysis, stopping_mid_stay_emits_the_pending_exit) {
  const auto sink = run_at(regular(10, 8), 10);  // stops at t=8, standing in the zone
  const auto exits = sink.of("zone_exit");
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_NEAR(*exits[0].dwell_s, 8.0 - 3.0, 0.2);
}

TEST(CameraAnalysis, time_going_back_ends_open_stays_and_starts_new_tracks) {
  VecSink sink;
  auto core = started_core(sink, 10);
  ASSERT_TRUE(core.ok());
  std::int64_t frame = 0;
  for (double t = 0; t <= 8; t += 0.1) {  // into the zone, standing at t=8 ...
    const core::Timestamp ts{frame++, t};
    if ((*core)->offer(ts)) (*core)->update(person_at(t), ts, nullptr);
  }
  for (double t = 0; t <= 1; t += 0.1) {  // ... then the file loops: time restarts at 0
    const core::Timestamp ts{frame++, t};
    if ((*core)->offer(ts)) (*core)->update(person_at(t), ts, nullptr);
  }
  EXPECT_EQ((*core)->stats().restarts, 1);
  const auto exits = sink.of("zone_exit");
  ASSERT_EQ(exits.size(), 1u) << "the open stay ends at the restart";
  EXPECT_NEAR(*exits[0].dwell_s, 5.0, 0.2);
  int max_id = 0;
  for (const auto& t : (*core)->tracks()) max_id = std::max(max_id, t.id);
  EXPECT_GT(max_id, exits[0].track_id) << "tracks after the restart are new tracks";
}

TEST(CameraAnalysis, events_are_written_in_time_order) {
  // Two people: one leaves the zone (exit confirmed late) just before the other crosses the line.
  VecSink sink;
  auto core = started_core(sink, 10);
  ASSERT_TRUE(core.ok());
  std::int64_t frame = 0;
  for (double t = 0; t <= 20; t += 0.1) {
    core::Detections d = person_at(t);
    if (t >= 9)
      d.push_back(
          {{static_cast<float>(300 + kSpeed * (t - 9)) - 20, 50, static_cast<float>(300 + kSpeed * (t - 9)) + 20, 150},
           0.9f,
           0});
    const core::Timestamp ts{frame++, t};
    if ((*core)->offer(ts)) (*core)->update(d, ts, nullptr);
  }
  (*core)->finish();
  ASSERT_GE(sink.events.size(), 4u);
  for (size_t i = 1; i < sink.events.size(); ++i)
    EXPECT_LE(sink.events[i - 1].pts_s, sink.events[i].pts_s)
        << sink.events[i - 1].type << " then " << sink.events[i].type;
}

TEST(CameraAnalysis, rules_replaced_mid_stream_end_open_stays_and_count_on_the_new_line) {
  // At t=6 the person stands in the zone (since t=3) and has crossed the door line (t=2). The
  // rule editor then replaces both with one vertical line at x=850 px, crossed at t=11.5.
  VecSink sink;
  auto core = started_core(sink, 5);
  ASSERT_TRUE(core.ok());
  analytics::RulesOptions moved;
  analytics::LineOptions l;
  l.name = "moved";
  l.p1 = {0.85, 0.0};
  l.p2 = {0.85, 1.0};
  moved.lines.push_back(l);
  for (int i = 0; i <= 70; ++i) {
    const double t = i * 0.2;
    if (i == 30) (*core)->replace_rules({moved, {}, std::nullopt});
    const core::Timestamp ts{i, t};
    if ((*core)->offer(ts)) (*core)->update(person_at(t), ts, nullptr);
  }
  (*core)->finish();
  const auto crossings = sink.of("line_crossing");
  ASSERT_EQ(crossings.size(), 2u);
  EXPECT_EQ(crossings[0].rule, "door");
  EXPECT_NEAR(crossings[0].pts_s, 2.0, 0.2 + 1e-6);
  EXPECT_EQ(crossings[1].rule, "moved");
  EXPECT_NEAR(crossings[1].pts_s, 11.5, 0.2 + 1e-6);
  EXPECT_EQ(crossings[1].track_id, crossings[0].track_id) << "tracks carry on through the swap";
  ASSERT_EQ(sink.of("zone_enter").size(), 1u);
  const auto exits = sink.of("zone_exit");
  ASSERT_EQ(exits.size(), 1u) << "the open stay ends at the swap, once";
  EXPECT_LE(exits[0].pts_s, 6.0 + 1e-6);
  EXPECT_EQ((*core)->rules().lines.size(), 1u);
  EXPECT_TRUE((*core)->zones().empty());
}

TEST(CameraAnalysis, a_new_calibration_measures_the_next_speeds_and_a_new_mask_hides_what_it_covers) {
  // The person walks at 100 px/s in a 1000x500 frame. Calibrated as 10 m across (1000 px), that
  // is 1 m/s = 3.6 km/h; the rule editor then sets a calibration twice as large (7.2 km/h).
  auto calibration = [](double metres_across) {
    road::CalibrationOptions c;
    const double k = metres_across;
    c.points = {{{0, 0}, {0, 0}}, {{1, 0}, {k, 0}}, {{1, 1}, {k, k / 2}}, {{0, 1}, {0, k / 2}}};
    return c;
  };
  config::CameraConfig cfg;
  analytics::ZoneOptions lane;
  lane.name = "lane";
  lane.polygon = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  lane.road.speed_limit_kmh = 500;  // followed, never speeding
  cfg.rules.zones.push_back(lane);
  cfg.calibration = calibration(10);
  VecSink sink;
  pipeline::CameraAnalysisOptions o;
  o.config = cfg;
  o.nominal_fps = 5;
  auto core = pipeline::CameraAnalysis::create(o, sink);
  ASSERT_TRUE(core.ok()) << core.error().message;
  (*core)->start_stream(1000, 500, 0, "test");
  auto speed_now = [&]() -> double {
    const auto* road = (*core)->road();
    if (!road || (*core)->tracks().empty()) return -1;
    const auto s = road->speed((*core)->tracks().front().id);
    return s ? s->speed_kmh() : -1;
  };
  int frame = 0;
  auto run_until = [&](double until_s) {
    for (; frame * 0.2 <= until_s + 1e-9; ++frame) {
      const core::Timestamp ts{frame, frame * 0.2};
      if ((*core)->offer(ts)) (*core)->update(person_at(ts.pts_s), ts, nullptr);
    }
  };
  run_until(2.4);
  EXPECT_NEAR(speed_now(), 3.6, 0.5);
  auto doc = config::camera_rules_of(cfg);
  doc.calibration = calibration(20);
  (*core)->replace_rules(doc);
  run_until(4.8);
  EXPECT_NEAR(speed_now(), 7.2, 0.8) << "the speeds after the swap are measured on the new calibration";
  // A mask over the right half: the person (centre x > 500 px) is no longer seen, and a frame
  // given to `mask` is black there.
  config::PrivacyMask m;
  m.name = "right";
  m.polygon = {{0.5, 0}, {1, 0}, {1, 1}, {0.5, 1}};
  doc.privacy_masks = {m};
  (*core)->replace_rules(doc);
  ASSERT_EQ((*core)->privacy_mask().polygons().size(), 1u);
  EXPECT_TRUE((*core)->privacy_mask().covers({800, 250}, 1000, 500));
  EXPECT_FALSE((*core)->privacy_mask().covers({200, 250}, 1000, 500));
  for (int i = 0; i < 15; ++i, ++frame) {
    const core::Timestamp ts{frame, frame * 0.2};
    if ((*core)->offer(ts)) (*core)->update(person_at(ts.pts_s), ts, nullptr);
  }
  EXPECT_TRUE((*core)->tracks().empty() || (*core)->tracks().front().frames_since_update > 0)
      << "detections centred in the new mask are dropped";
  (*core)->finish();
}

// Road: calibration (fit, residual, refusals), world-space speed accuracy on synthetic tracks
// through a known homography, the signal board and the image signal path on rendered heads, and
// rule edge cases the golden scenes do not cover.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "config/analyze_config.hpp"
#include "road/calibration.hpp"
#include "road/road_rules.hpp"
#include "road/signal_board.hpp"
#include "road/signal_head.hpp"

using namespace vsp;

namespace {

/// The golden scenes' road: 7 m x 40 m in perspective (tests/golden/make_road_scenes.py).
road::CalibrationOptions golden_road() {
  road::CalibrationOptions o;
  o.points = {{{0.30, 0.95}, {0, 0}}, {{0.70, 0.95}, {7, 0}}, {{0.56, 0.40}, {7, 40}}, {{0.44, 0.40}, {0, 40}}};
  return o;
}

core::Track car(int id, double x_px, double bottom_px, double w_px) {
  core::Track t;
  t.id = id;
  t.state = core::TrackState::confirmed;
  t.class_id = 2;  // car
  t.box_px = {static_cast<float>(x_px - w_px / 2), static_cast<float>(bottom_px - 0.8 * w_px),
              static_cast<float>(x_px + w_px / 2), static_cast<float>(bottom_px)};
  return t;
}

}  // namespace

// ---- Calibration --------------------------------------------------------------------------------

TEST(Calibration, four_points_fit_exactly_and_map_both_ways) {
  auto cal = road::fit_calibration(golden_road());
  ASSERT_TRUE(cal.ok()) << cal.error().message;
  EXPECT_LT(cal->rms_residual_m, 1e-6);
  for (const auto& p : golden_road().points) {
    const auto w = cal->image_to_world.apply(p.image);
    ASSERT_TRUE(w);
    EXPECT_NEAR(w->x, p.world_m.x, 1e-6);
    EXPECT_NEAR(w->y, p.world_m.y, 1e-6);
    const auto back = cal->world_to_image.apply(p.world_m);
    ASSERT_TRUE(back);
    EXPECT_NEAR(back->x, p.image.x, 1e-9);
  }
  // A point between the marks lands between them on the road (perspective: nearer half is longer).
  const auto mid = cal->image_to_world.apply({0.5, 0.675});
  ASSERT_TRUE(mid);
  EXPECT_NEAR(mid->x, 3.5, 1e-6);
  EXPECT_GT(mid->y, 0);
  EXPECT_LT(mid->y, 20);
}

TEST(Calibration, more_points_give_a_residual_and_a_misplaced_point_is_refused) {
  auto o = golden_road();
  auto exact = road::fit_calibration(o);
  ASSERT_TRUE(exact.ok());
  // Two more marks, one 5 cm off: the fit spreads it, the residual says so.
  for (const auto& w : {core::Point{0, 20}, core::Point{7, 20}}) {
    auto img = exact->world_to_image.apply(w);
    o.points.push_back({*img, {w.x, w.y + (w.x > 0 ? 0.05 : 0)}});
  }
  auto c = road::fit_calibration(o);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_GT(c->rms_residual_m, 0.001);
  EXPECT_LT(c->rms_residual_m, 0.05);
  // A point 3 m off: refused with the residual in the message.
  o.points.back().world_m.y += 3;
  auto bad = road::fit_calibration(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("residual"), std::string::npos) << bad.error().message;
}

TEST(Calibration, collinear_duplicate_too_few_and_out_of_frame_points_are_refused) {
  road::CalibrationOptions line;
  for (int i = 0; i < 5; ++i) line.points.push_back({{0.1 + 0.1 * i, 0.5}, {double(i), 0}});
  ASSERT_TRUE(road::calibration_problem(line.points));
  EXPECT_NE(road::calibration_problem(line.points)->find("collinear"), std::string::npos);

  auto three = golden_road();
  three.points.pop_back();
  EXPECT_NE(road::calibration_problem(three.points)->find("at least 4"), std::string::npos);

  auto dup = golden_road();
  dup.points[3].image = dup.points[2].image;
  EXPECT_NE(road::calibration_problem(dup.points)->find("same image point"), std::string::npos);

  auto out = golden_road();
  out.points[1].image.x = 1.2;
  EXPECT_NE(road::calibration_problem(out.points)->find("out of frame"), std::string::npos);

  // Collinear in the world only (a surveyor's typo): still refused.
  auto wline = golden_road();
  for (size_t i = 0; i < wline.points.size(); ++i) wline.points[i].world_m = {double(i), 2.0 * i};
  EXPECT_TRUE(road::calibration_problem(wline.points));
}

// ---- Speed accuracy -------------------------------------------------------------------------------

/// Vehicles driven straight down the road at known speeds, seen at 1280x720 through the golden
/// homography, their ground point jittered as a detector's boxes are (Gaussian, sigma 1.5 px
/// across and 2 % of the box height along the image's y, plus a random per-vehicle bias of the
/// box's bottom edge), then measured by the road rules when 20 m away.
TEST(Speed, synthetic_tracks_at_known_speeds_are_measured_within_floors_and_their_uncertainty) {
  auto cal = road::fit_calibration(golden_road());
  ASSERT_TRUE(cal.ok());
  const int width = 1280, height = 720;
  std::mt19937 rng(20261130);
  std::normal_distribution<double> unit(0, 1);
  std::vector<double> abs_err, rel_err;
  int within_2sigma = 0, n = 0;
  for (int fps : {10, 25})
    for (int k = 0; k < 150; ++k) {
      const double kmh = 20 + (k % 11) * 10;  // 20..120 km/h
      const double v = kmh / 3.6, lane_x = (k % 2) ? 1.75 : 5.25;
      const double bias_px = unit(rng) * 1.0;  // box bottom consistently a little off
      road::RoadRulesOptions ro;
      ro.calibration = *cal;
      analytics::ZoneOptions z;
      z.name = "lane";
      z.polygon = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
      z.road.speed_limit_kmh = 500;  // a road zone so the track is followed
      ro.zones = {z};
      road::RoadRules rules(ro, width, height);
      road::SignalBoard board;
      std::optional<road::SpeedEstimate> got;
      for (int f = 0;; ++f) {
        const double t = static_cast<double>(f) / fps;
        const double y = 40 - v * t;
        if (y < 20) break;
        const auto img = cal->world_to_image.apply({lane_x, y});
        const auto img2 = cal->world_to_image.apply({lane_x + 1.8, y});
        const double w_px = (img2->x - img->x) * width, h_px = 0.8 * w_px;
        const double x_px = img->x * width + w_px / 2 + 1.5 * unit(rng);
        const double b_px = img->y * height + bias_px + 0.02 * h_px * unit(rng) + 0.7 * unit(rng);
        rules.update({car(1, x_px, b_px, w_px)}, {f, t}, static_cast<std::int64_t>(t * 1000), board);
        got = rules.speed(1);
      }
      ASSERT_TRUE(got);
      const double err = got->speed_kmh() - kmh;
      abs_err.push_back(std::abs(err));
      rel_err.push_back(std::abs(err) / kmh);
      within_2sigma += std::abs(err) <= 2 * got->sigma_kmh();
      ++n;
    }
  std::sort(abs_err.begin(), abs_err.end());
  std::sort(rel_err.begin(), rel_err.end());
  double mean = 0;
  for (double e : abs_err) mean += e;
  mean /= n;
  const double p95 = abs_err[static_cast<size_t>(0.95 * (n - 1))];
  const double rel95 = rel_err[static_cast<size_t>(0.95 * (n - 1))];
  const double coverage = static_cast<double>(within_2sigma) / n;
  std::printf(
      "speed at 20 m, %d tracks (10 and 25 fps, 20-120 km/h): mean |err| %.2f km/h, p95 %.2f km/h, "
      "p95 relative %.1f %%, within 2 sigma %.0f %%\n",
      n, mean, p95, 100 * rel95, 100 * coverage);
  // Floors (achieved, with room; docs/rules.md "Speed accuracy"): raise them when it improves.
  EXPECT_LT(mean, 1.5);
  EXPECT_LT(p95, 4.0);
  EXPECT_LT(rel95, 0.06);
  EXPECT_GT(coverage, 0.80);
}

// ---- Signals ---------------------------------------------------------------------------------------

TEST(SignalBoard, answers_the_state_at_a_time_and_since_when) {
  road::SignalBoard b;
  b.set("main", road::SignalState::green, 0);
  b.set("main", road::SignalState::amber, 3000);
  b.set("main", road::SignalState::red, 6000);
  b.set("main", road::SignalState::red, 7000);  // a repeat changes nothing
  EXPECT_EQ(b.at("main", 2999).state, road::SignalState::green);
  EXPECT_EQ(b.at("main", 3000).state, road::SignalState::amber);
  EXPECT_EQ(b.at("main", 8000).state, road::SignalState::red);
  EXPECT_EQ(b.at("main", 8000).since_ms, 6000);
  EXPECT_EQ(b.at("other", 8000).state, road::SignalState::unknown);
  EXPECT_EQ(b.at("main", -5).state, road::SignalState::unknown);
  // A change reported late (image reader back-dates) slots in by time.
  b.set("main", road::SignalState::amber, 5000);
  EXPECT_EQ(b.at("main", 5500).state, road::SignalState::amber);
  EXPECT_EQ(b.at("main", 4000).state, road::SignalState::amber);
  EXPECT_EQ(road::parse_signal_state("closed"), road::SignalState::red);
  EXPECT_FALSE(road::parse_signal_state("purple"));
}

namespace {

/// A 1280x720 grey frame with a three-lamp signal head at (x, y) (lamps 16 px, 20 px apart).
core::Image frame_with_head(road::SignalState lit, double t_s, bool glare = false, bool occluded = false) {
  core::Image img;
  img.width = 1280;
  img.height = 720;
  img.bgr.assign(static_cast<size_t>(img.width) * img.height * 3, 90);
  img.ts.pts_s = t_s;
  auto paint = [&](int cx, int cy, int r, std::uint8_t b, std::uint8_t g, std::uint8_t rr) {
    for (int y = cy - r; y <= cy + r; ++y)
      for (int x = cx - r; x <= cx + r; ++x)
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) {
          auto* p = &img.bgr[(static_cast<size_t>(y) * img.width + x) * 3];
          p[0] = b, p[1] = g, p[2] = rr;
        }
  };
  const int x = 1100, y0 = 100;
  for (int y = y0 - 12; y < y0 + 52; ++y)  // the housing
    for (int xx = x - 12; xx <= x + 12; ++xx) {
      auto* p = &img.bgr[(static_cast<size_t>(y) * img.width + xx) * 3];
      p[0] = p[1] = p[2] = 25;
    }
  paint(x, y0, 8, 20, 20, lit == road::SignalState::red ? 240 : 60);
  paint(x, y0 + 20, 8, 20, lit == road::SignalState::amber ? 190 : 60, lit == road::SignalState::amber ? 250 : 60);
  paint(x, y0 + 40, 8, lit == road::SignalState::green ? 140 : 40, lit == road::SignalState::green ? 240 : 60, 30);
  if (glare) paint(x + 4, y0 + 20, 10, 255, 255, 255);  // sun on the lens: bright, colourless
  if (occluded)                                         // a bus in front
    for (int y = y0 - 12; y < y0 + 52; ++y)
      for (int xx = x - 12; xx <= x + 12; ++xx) {
        auto* p = &img.bgr[(static_cast<size_t>(y) * img.width + xx) * 3];
        p[0] = 200, p[1] = 180, p[2] = 170;
      }
  return img;
}

}  // namespace

TEST(SignalHead, reads_rendered_transitions_through_flicker_glare_and_occlusion) {
  road::SignalOptions o;
  o.name = "main";
  o.source = road::SignalSource::image;
  o.region = {{1084 / 1280.0, 84 / 720.0},
              {1116 / 1280.0, 84 / 720.0},
              {1116 / 1280.0, 156 / 720.0},
              {1084 / 1280.0, 156 / 720.0}};
  road::SignalHeadReader reader(o);
  road::SignalBoard board;
  // Truth: green 0-5 s, amber 5-8 s, red 8-20 s. 10 fps. LED flicker: every 3rd frame dark;
  // glare on the lens 3-4 s and 12-13 s; a bus hides the head 14-15.5 s; one frame reads amber
  // in red (a reflection) at 10 s.
  for (int f = 0; f < 200; ++f) {
    const double t = f / 10.0;
    auto truth = t < 5 ? road::SignalState::green : (t < 8 ? road::SignalState::amber : road::SignalState::red);
    const bool dark = f % 3 == 2;
    const bool glare = (t >= 3 && t < 4) || (t >= 12 && t < 13);
    const bool occluded = t >= 14 && t < 15.5;
    auto shown = dark ? road::SignalState::unknown : truth;
    if (f == 100) shown = road::SignalState::amber;
    auto img = frame_with_head(shown, t, glare, occluded);
    if (auto ch = reader.update(img, static_cast<std::int64_t>(std::llround(t * 1000))))
      board.set("main", ch->state, ch->since_ms, "image");
  }
  // The states at known times, and the transitions within one frame period plus min_state_s.
  EXPECT_EQ(board.at("main", 2000).state, road::SignalState::green);
  EXPECT_EQ(board.at("main", 3500).state, road::SignalState::green);  // glare
  EXPECT_EQ(board.at("main", 6500).state, road::SignalState::amber);
  EXPECT_EQ(board.at("main", 10050).state, road::SignalState::red);  // the one-frame reflection
  EXPECT_EQ(board.at("main", 12500).state, road::SignalState::red);  // glare
  EXPECT_EQ(board.at("main", 15000).state, road::SignalState::red);  // occluded, held
  EXPECT_EQ(board.at("main", 19900).state, road::SignalState::red);
  const auto amber = board.at("main", 6500), red = board.at("main", 9000);
  EXPECT_NEAR(amber.since_ms, 5000, 150);
  EXPECT_NEAR(red.since_ms, 8000, 150);
  // Hidden longer than hold_s: the state becomes unknown rather than a guess.
  road::SignalHeadReader r2(o);
  for (int f = 0; f < 100; ++f) {
    const double t = f / 10.0;
    auto img = frame_with_head(road::SignalState::red, t, false, t >= 2);
    if (auto ch = r2.update(img, static_cast<std::int64_t>(t * 1000))) board.set("b", ch->state, ch->since_ms);
  }
  EXPECT_EQ(board.at("b", 1500).state, road::SignalState::red);
  EXPECT_EQ(board.at("b", 9000).state, road::SignalState::unknown);
}

// ---- Rule edge cases ---------------------------------------------------------------------------------

TEST(RoadRules, a_parked_car_with_jittering_boxes_is_never_wrong_way_or_speeding) {
  auto cal = road::fit_calibration(golden_road());
  road::RoadRulesOptions ro;
  ro.calibration = *cal;
  analytics::ZoneOptions z;
  z.name = "lane";
  z.polygon = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  z.road.direction = core::Point{0, 1};
  z.road.speed_limit_kmh = 5;
  z.road.speed_margin_kmh = 0;
  z.road.min_distance_m = 3;
  ro.zones = {z};
  road::RoadRules rules(ro, 1280, 720);
  road::SignalBoard board;
  std::mt19937 rng(7);
  std::normal_distribution<double> n(0, 2.0);  // 2 px of jitter, far away (30 m)
  const auto img = cal->world_to_image.apply({3.5, 30});
  size_t events = 0;
  for (int f = 0; f < 600; ++f)
    events +=
        rules.update({car(1, img->x * 1280 + n(rng), img->y * 720 + n(rng), 30)}, {f, f / 10.0}, f * 100, board).size();
  EXPECT_EQ(events, 0u);
}

TEST(RoadRules, jitter_across_the_stop_line_at_red_is_not_a_crossing) {
  road::RoadRulesOptions ro;
  road::StopLineOptions l;
  l.name = "stop";
  l.p1 = {0.2, 0.5};
  l.p2 = {0.8, 0.5};
  l.signal = "main";
  ro.stop_lines = {l};
  road::RoadRules rules(ro, 1000, 1000);
  road::SignalBoard board;
  board.set("main", road::SignalState::red, 0);
  size_t events = 0;
  for (int f = 0; f < 100; ++f)  // the front wobbles ±3 px around the line: 497, 503, 497, ...
    events += rules.update({car(1, 500, f % 2 ? 503 : 497, 80)}, {f, f / 10.0}, 5000 + f * 100, board).size();
  EXPECT_EQ(events, 0u);
  // Then it really drives over: one red_light.
  for (int f = 100; f < 110; ++f)
    events += rules.update({car(1, 500, 497 + (f - 99) * 10.0, 80)}, {f, f / 10.0}, 5000 + f * 100, board).size();
  EXPECT_EQ(events, 1u);
}

TEST(RoadRules, config_check_refuses_road_rules_without_calibration_and_unknown_signals) {
  const std::string yaml = R"(signals:
  - {name: main}
rules:
  zones:
    - name: lane
      polygon: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]
      speed_limit_kmh: 50
    - name: rail
      polygon: [[0, 0.1], [1, 0.1], [1, 0.4], [0, 0.4]]
      crossing_signal: barrier
  stop_lines:
    - {name: stop, p1: [0, 0.6], p2: [1, 0.6], signal: main}
)";
  auto parsed = config::parse_analyze_config(yaml, "road.yml");
  ASSERT_TRUE(std::holds_alternative<config::ConfigErrors>(parsed));
  std::string all;
  for (const auto& e : std::get<config::ConfigErrors>(parsed)) all += e.to_string() + "\n";
  EXPECT_NE(all.find("rules.zones[0]: zone 'lane' has road rules measured in metres"), std::string::npos) << all;
  EXPECT_NE(all.find("rules.zones[1].crossing_signal: unknown signal 'barrier' (signals: main)"), std::string::npos)
      << all;
  EXPECT_EQ(std::get<config::ConfigErrors>(parsed).size(), 2u) << all;
}

TEST(SignalUpdate, a_controller_message_gives_its_state_and_its_own_time) {
  const std::int64_t now = 1'780'000'000'000;  // 2026-05-28T20:26:40Z
  auto u = road::parse_signal_update(R"({"state": "red", "ts": "2026-05-28T20:26:39.750Z"})", now, 30'000);
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->state, road::SignalState::red);
  EXPECT_EQ(u->at_ms, now - 250);
  u = road::parse_signal_update(R"({"state": "closed", "ts": 1780000000.5})", now + 1000, 30'000);  // Unix seconds
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->state, road::SignalState::red);
  EXPECT_EQ(u->at_ms, now + 500);
  u = road::parse_signal_update(R"({"state": "amber"})", now);  // no time: when it arrived
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->at_ms, now);
  u = road::parse_signal_update(R"({"state": "green", "at": "2026-05-28T20:26:30Z"})", now);  // the API's name
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->at_ms, now - 10'000);
}

TEST(SignalUpdate, malformed_unknown_stale_and_future_messages_are_refused_with_their_reason) {
  const std::int64_t now = 1'780'000'000'000;
  auto code_of = [&](const std::string& body, std::optional<std::int64_t> max_age = 30'000) {
    const auto u = road::parse_signal_update(body, now, max_age);
    return u.ok() ? std::string("ok") : u.error().code + ":" + u.error().path;
  };
  EXPECT_EQ(code_of("red"), "bad_signal:body");
  EXPECT_EQ(code_of(R"({"state": 3})"), "bad_signal:body");
  EXPECT_EQ(code_of(R"({"state": "purple"})"), "bad_state:state");
  EXPECT_EQ(code_of(R"({"state": "red", "ts": "yesterday"})"), "bad_time:ts");
  EXPECT_EQ(code_of(R"({"state": "red", "ts": "2026-05-28T20:26:09Z"})"), "stale_signal:ts");   // 31 s old
  EXPECT_EQ(code_of(R"({"state": "red", "ts": "2026-05-28T20:26:09Z"})", std::nullopt), "ok");  // API: history
  EXPECT_EQ(code_of(R"({"state": "red", "ts": "2026-05-28T20:26:10Z"})"), "ok");                // 30 s old: the limit
  EXPECT_EQ(code_of(R"({"state": "red", "ts": "2026-05-28T20:26:50Z"})"), "bad_time:ts");       // 10 s ahead
  EXPECT_EQ(code_of(R"({"state": "red", "ts": "2026-05-28T20:26:44Z"})"), "ok");                // 4 s skew
}

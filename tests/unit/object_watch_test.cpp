// The left/removed-object decisions on tracks and static regions (no pixels), one edge case each.
#include <gtest/gtest.h>
#include <cmath>

#include "analytics/object_watch.hpp"
#include "detect/static_foreground.hpp"

using namespace vsp;

namespace {

constexpr int kW = 640, kH = 360;

analytics::ZoneOptions hall(std::optional<double> abandoned = 5, std::optional<double> removed = std::nullopt) {
  analytics::ZoneOptions z;
  z.name = "hall";
  z.polygon = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  z.abandoned_after_s = abandoned;
  z.removed_after_s = removed;
  return z;
}

core::Track person(int id, double cx, double vx = 0) {
  core::Track t;
  t.id = id;
  t.class_id = 0;
  t.state = core::TrackState::confirmed;
  t.hits = 10;
  t.box_px = {static_cast<float>(cx - 20), 140, static_cast<float>(cx + 20), 250};
  t.vx_px_s = vx;
  return t;
}

const core::BoxXyxy kBag{285, 226, 315, 250};

/// Runs `seconds` at 5 updates/s from `t0`; `tracks(t)` and `bag(t)` (region present?) per update.
/// Like the pixel model, the region is gone for good once the watch asks for it to be absorbed.
template <class TracksAt, class BagAt>
std::vector<events::Event> run(analytics::ObjectWatch& w, double t0, double seconds, TracksAt tracks, BagAt bag,
                               bool ghost = false) {
  std::vector<events::Event> out;
  bool absorbed = false;
  for (int i = 0; i < static_cast<int>(seconds * 5); ++i) {
    const double t = t0 + i * 0.2;
    std::vector<analytics::StaticRegion> regions;
    if (bag(t) && !absorbed) regions.push_back({kBag, ghost});
    auto u = w.update(regions, tracks(t), {static_cast<std::int64_t>(t * 5), t});
    for (auto& e : u.events) out.push_back(e);
    absorbed = absorbed || !u.absorb.empty();
  }
  return out;
}

}  // namespace

TEST(ObjectWatch, left_object_fires_once_counted_from_when_the_owner_left_reach) {
  analytics::ObjectWatch w({hall(5)}, kW, kH);
  // The owner stands by the bag until t=10, then walks right at 100 px/s (out of reach ~ t=12).
  auto tracks = [](double t) {
    if (t < 10) return core::Tracks{person(1, 270)};
    const double x = 270 + 100 * (t - 10);
    return x < 700 ? core::Tracks{person(1, x, 100)} : core::Tracks{};
  };
  const auto ev = run(w, 0, 30, tracks, [](double t) { return t >= 4; });
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, "object_abandoned");
  EXPECT_EQ(ev[0].rule, "hall");
  EXPECT_EQ(ev[0].track_id, 1);
  EXPECT_NEAR(ev[0].pts_s, 11.8 + 5, 0.45);  // reach = 0.12 x 734 + 38 px: left it near t = 11.8
  ASSERT_TRUE(ev[0].box.has_value());
  EXPECT_DOUBLE_EQ((*ev[0].box)[0], 285);
  EXPECT_DOUBLE_EQ((*ev[0].box)[2], 30);
}

TEST(ObjectWatch, owner_standing_still_beside_it_keeps_it_attended) {
  analytics::ObjectWatch w({hall(5)}, kW, kH);
  auto tracks = [](double t) {
    // Missed by the detector one update in six; renamed by the tracker at t=20 (a new id where it stood).
    if (static_cast<int>(t * 5) % 6 == 3) return core::Tracks{};
    return core::Tracks{person(t < 20 ? 1 : 7, 270)};
  };
  EXPECT_TRUE(run(w, 0, 60, tracks, [](double t) { return t >= 4; }).empty());
}

TEST(ObjectWatch, stranger_who_stops_by_later_does_not_attend_it) {
  analytics::ObjectWatch w({hall(5)}, kW, kH);
  // Nobody near when it appears; at t=8 a stranger stands next to it for good.
  auto tracks = [](double t) { return t < 8 ? core::Tracks{} : core::Tracks{person(2, 340)}; };
  const auto ev = run(w, 0, 20, tracks, [](double t) { return t >= 2; });
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_NEAR(ev[0].pts_s, 2 + 5, 0.45);
  EXPECT_EQ(ev[0].track_id, 0);
}

TEST(ObjectWatch, object_hidden_by_a_person_is_neither_cleared_nor_removed) {
  analytics::ObjectWatch w({hall(5, 2)}, kW, kH);
  // Alone from t=2 (alarm at 7); at t=10..16 a person stands on it and the region is not seen.
  auto tracks = [](double t) { return t >= 10 && t < 16 ? core::Tracks{person(3, 300)} : core::Tracks{}; };
  const auto ev = run(w, 0, 25, tracks, [](double t) { return t >= 2 && (t < 10 || t >= 16); });
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, "object_abandoned");
}

TEST(ObjectWatch, taken_away_clears_the_alarm_and_reports_the_removal) {
  analytics::ObjectWatch w({hall(5, 2)}, kW, kH);
  const auto ev = run(
      w, 0, 25, [](double) { return core::Tracks{}; }, [](double t) { return t >= 2 && t < 15; });
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].type, "object_abandoned");
  EXPECT_EQ(ev[1].type, "object_cleared");
  EXPECT_EQ(ev[2].type, "object_removed");
  EXPECT_NEAR(ev[2].pts_s, 15 + 2, 0.45);
  EXPECT_EQ(std::get<std::string>(ev[2].attributes.at("kind")), "object");
}

TEST(ObjectWatch, object_gone_before_its_time_is_quiet_without_removed_after) {
  analytics::ObjectWatch w({hall(15)}, kW, kH);
  EXPECT_TRUE(run(
                  w, 0, 30, [](double) { return core::Tracks{}; }, [](double t) { return t >= 2 && t < 12; })
                  .empty());
}

TEST(ObjectWatch, background_taken_away_is_a_removal_only_where_removals_are_watched) {
  // Somebody stood by it (t 33..35), then the ghost lasts: removed once, kind background.
  auto tracks = [](double t) { return t >= 33 && t < 35 ? core::Tracks{person(4, 270)} : core::Tracks{}; };
  auto ghost = [](double t) { return t >= 35; };
  analytics::ObjectWatch watched({hall(5, 3)}, kW, kH);
  const auto ev = run(watched, 0, 45, tracks, ghost, true);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, "object_removed");
  EXPECT_NEAR(ev[0].pts_s, 38, 0.45);
  EXPECT_EQ(std::get<std::string>(ev[0].attributes.at("kind")), "background");
  analytics::ObjectWatch abandoned_only({hall(5)}, kW, kH);
  EXPECT_TRUE(run(abandoned_only, 0, 80, tracks, ghost, true).empty());
  // In the first seconds of a stream a ghost is somebody who stood still in the first frame.
  analytics::ObjectWatch fresh({hall(5, 3)}, kW, kH);
  EXPECT_TRUE(run(
                  fresh, 0, 20, [](double t) { return t < 1 ? core::Tracks{person(4, 270)} : core::Tracks{}; },
                  [](double t) { return t >= 1; }, true)
                  .empty());
}

TEST(ObjectWatch, static_region_that_only_ever_lies_inside_a_person_is_not_a_left_object) {
  analytics::ObjectWatch w({hall(5)}, kW, kH);
  // A person fidgeting on one spot (their track says moving, so they own nothing); the pixel
  // model sees a static region in their box (their legs): never a left object.
  auto tracks = [](double) { return core::Tracks{person(5, 300, 40)}; };
  std::vector<events::Event> ev;
  for (int i = 0; i < 150; ++i) {
    const double t = i * 0.2;
    auto u = w.update({{{285, 200, 315, 250}, false}}, tracks(t), {i, t});
    ev.insert(ev.end(), u.events.begin(), u.events.end());
  }
  EXPECT_TRUE(ev.empty());
}

TEST(ObjectWatch, passer_by_standing_over_a_left_object_does_not_hide_the_alarm) {
  analytics::ObjectWatch w({hall(8)}, kW, kH);
  // Alone from t=0 (seen on its own); from t=6 a stranger stands on it: the alarm still fires at 8.
  auto tracks = [](double t) { return t < 6 ? core::Tracks{} : core::Tracks{person(6, 300)}; };
  std::vector<events::Event> ev;
  for (int i = 0; i < 60; ++i) {
    const double t = i * 0.2;
    auto u = w.update({{{285, 200, 315, 250}, false}}, tracks(t), {i, t});
    ev.insert(ev.end(), u.events.begin(), u.events.end());
  }
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_NEAR(ev[0].pts_s, 8, 0.45);
}

TEST(ObjectWatch, object_taken_by_someone_standing_over_it_is_removed_once_its_spot_shows_empty) {
  // Alone from t=0; from t=10 a person stands over it (the pixel model holds the region under
  // them); at t=12 they pick it up and stay over the spot until t=20, the region still held but
  // showing the empty floor. The removal comes at the first empty look, counted from when the
  // cover began (the moment of taking was hidden), not after the person leaves.
  analytics::ObjectWatch w({hall(std::nullopt, 1)}, kW, kH);
  std::vector<events::Event> ev;
  for (int i = 0; i < 125; ++i) {
    const double t = i * 0.2;
    const core::Tracks tracks = t >= 10 && t < 20 ? core::Tracks{person(7, 300)} : core::Tracks{};
    std::vector<analytics::StaticRegion> regions;
    if (t < 20) regions.push_back({kBag, false, t < 12 ? 0.0 : 0.95});
    auto u = w.update(regions, tracks, {i, t});
    ev.insert(ev.end(), u.events.begin(), u.events.end());
  }
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, "object_removed");
  EXPECT_NEAR(ev[0].pts_s, 12, 0.25);
  EXPECT_NEAR(std::get<double>(ev[0].attributes.at("gone_since_pts_s")), 10, 0.25);
}

TEST(ObjectWatch, object_under_a_person_whose_spot_does_not_show_empty_is_not_removed) {
  // The same scene, but the object stays: the held region never shows the empty floor (the
  // person's legs in front of it), and it is seen again when they go. No removal.
  analytics::ObjectWatch w({hall(std::nullopt, 1)}, kW, kH);
  std::vector<events::Event> ev;
  for (int i = 0; i < 125; ++i) {
    const double t = i * 0.2;
    const core::Tracks tracks = t >= 10 && t < 20 ? core::Tracks{person(7, 300)} : core::Tracks{};
    // A partly empty look (the legs cover most of it) is not an empty spot.
    const double vacant = t >= 12 && t < 20 ? 0.4 : 0.0;
    auto u = w.update({{kBag, false, vacant}}, tracks, {i, t});
    ev.insert(ev.end(), u.events.begin(), u.events.end());
  }
  EXPECT_TRUE(ev.empty());
}

namespace {

/// A 320x180 floor with a checker texture; `square` paints a 30x30 block at (150, 100) in `bgr`.
core::Image floor_frame(double t, int frame, std::optional<std::array<std::uint8_t, 3>> square) {
  core::Image img;
  img.width = 320;
  img.height = 180;
  img.ts = {frame, t};
  img.bgr.resize(320 * 180 * 3);
  for (int y = 0; y < 180; ++y)
    for (int x = 0; x < 320; ++x) {
      const std::uint8_t v = ((x / 16 + y / 16) % 2) ? 140 : 110;
      std::uint8_t* p = &img.bgr[(static_cast<size_t>(y) * 320 + x) * 3];
      p[0] = p[1] = p[2] = v;
      if (square && x >= 150 && x < 180 && y >= 100 && y < 130) {
        p[0] = (*square)[0];
        p[1] = (*square)[1];
        p[2] = (*square)[2];
      }
    }
  return img;
}

/// The blob over the square's spot after `frames` more frames of `next`, or nullopt.
template <class Next>
std::optional<detect::StaticBlob> blob_after(detect::StaticForeground& sf, int& frame, int frames, Next next) {
  std::optional<detect::StaticBlob> out;
  for (int i = 0; i < frames; ++i, ++frame) {
    out.reset();
    const auto [img, people] = next(frame * 0.2, frame);
    for (const auto& b : sf.update(img, people))
      if (b.box_px.x1 < 180 && b.box_px.x2 > 150 && b.box_px.y1 < 130 && b.box_px.y2 > 100) out = b;
  }
  return out;
}

}  // namespace

TEST(StaticForeground, a_held_region_shows_vacant_once_its_spot_shows_the_empty_scene) {
  const std::array<std::uint8_t, 3> red{30, 30, 200}, dark{20, 20, 20};
  const core::BoxXyxy person{140, 40, 190, 140};  // covers the spot
  for (const bool taken : {true, false}) {
    SCOPED_TRACE(taken ? "taken away" : "still there, a person in front");
    detect::StaticForeground sf;
    int frame = 0;
    // The empty floor, then a red object for 6 s: a static blob, not vacant.
    blob_after(sf, frame, 10, [](double t, int f) {
      return std::pair{floor_frame(t, f, std::nullopt), std::vector<core::BoxXyxy>{}};
    });
    auto b = blob_after(sf, frame, 30, [&](double t, int f) {
      return std::pair{floor_frame(t, f, red), std::vector<core::BoxXyxy>{}};
    });
    ASSERT_TRUE(b.has_value());
    EXPECT_FALSE(b->ghost);
    EXPECT_LT(b->vacant, 0.1);
    // A person steps over it (their dark clothes on the spot) for 2 s: the region is held.
    b = blob_after(sf, frame, 10, [&](double t, int f) {
      return std::pair{floor_frame(t, f, dark), std::vector<core::BoxXyxy>{person}};
    });
    ASSERT_TRUE(b.has_value());
    EXPECT_LT(b->vacant, 0.1);
    // One frame later the spot shows the empty floor (taken) or the object again (still there),
    // the person box still around it.
    b = blob_after(sf, frame, 1, [&](double t, int f) {
      return std::pair{floor_frame(t, f, taken ? std::nullopt : std::optional{red}),
                       std::vector<core::BoxXyxy>{person}};
    });
    ASSERT_TRUE(b.has_value());
    if (taken)
      EXPECT_GT(b->vacant, 0.9);
    else
      EXPECT_LT(b->vacant, 0.1);
  }
}

TEST(StaticForeground, a_lighting_drift_under_a_crowd_leaves_no_static_region) {
  // The light falls by a fifth in 4 s while a crowd covers all but a strip at the bottom of the frame (14 %),
  // then rises back over 10 s with the frame empty. The gain is measured on what shows (the
  // strip): nothing differs from the empty scene once it is divided out, so no static blob, in the
  // strip or (after the crowd) where the crowd stood.
  detect::StaticForeground sf;
  const auto lit = [](double t, int f) {
    core::Image img = floor_frame(t, f, std::nullopt);
    const double g = t < 2 ? 1.0 : t < 6 ? 1.0 - 0.05 * (t - 2) : t < 16 ? 0.8 + 0.02 * (t - 6) : 1.0;
    for (auto& v : img.bgr) v = static_cast<std::uint8_t>(std::lround(v * g));
    return img;
  };
  const std::vector<core::BoxXyxy> crowd{{0, 0, 320, 140}};  // held 10 % grown: to y 154
  std::vector<detect::StaticBlob> seen;
  for (int f = 0; f < 100; ++f) {
    const double t = f * 0.2;
    const auto people = t >= 2 && t < 6 ? crowd : std::vector<core::BoxXyxy>{};
    for (const auto& b : sf.update(lit(t, f), people)) seen.push_back(b);
  }
  EXPECT_TRUE(seen.empty()) << seen.size() << " blob looks, the first at x " << seen.front().box_px.x1 << " y "
                            << seen.front().box_px.y1;
}

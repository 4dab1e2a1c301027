#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "analytics/options.hpp"
#include "pipeline/object_stage.hpp"
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

namespace {
/// Tracks (id, box) of a scene with two walkers and scattered one-off false alarms, scores
/// mapped by `f`; the tracker reads them with `scale`.
std::vector<std::pair<int, int>> run_scene(track::ScoreScale scale, float (*f)(float)) {
  track::TrackerOptions o;
  o.score_scale = scale;
  track::Tracker tr(o);
  std::vector<std::pair<int, int>> out;
  for (int k = 0; k < 60; ++k) {
    core::Detections ds = {det(100.f + 4 * k, 200, f(0.9f)), det(600.f - 3 * k, 220, f(0.7f))};
    if (k % 3 == 0) ds.push_back(det(50.f + 37 * (k % 11), 500, f(0.2f)));  // never twice in place
    if (k % 5 == 1) ds.push_back(det(300, 50, f(0.05f + 0.01f * static_cast<float>(k % 7))));
    for (const auto& t : tr.update(ds, {k, k / 30.0}))
      if (t.id && t.frames_since_update == 0) out.emplace_back(k, t.id * 10000 + static_cast<int>(t.box_px.x1));
  }
  return out;
}
}  // namespace

TEST(Tracker, rank_score_scale_reads_any_monotone_score_scale_alike) {
  // A DPM/ACF-like scale (scores -5..95) gives the same tracks as the same detector in 0..1.
  const auto unit_scores = run_scene(track::ScoreScale::rank, [](float s) { return s; });
  const auto odd_scores = run_scene(track::ScoreScale::rank, [](float s) { return 100 * s - 5; });
  EXPECT_EQ(unit_scores, odd_scores);
  EXPECT_FALSE(unit_scores.empty());
  // auto: scores outside 0..1 switch to rank.
  EXPECT_EQ(run_scene(track::ScoreScale::automatic, [](float s) { return 100 * s - 5; }), odd_scores);
}

TEST(Tracker, auto_score_scale_keeps_unit_scores_as_they_are) {
  EXPECT_EQ(run_scene(track::ScoreScale::automatic, [](float s) { return s; }),
            run_scene(track::ScoreScale::unit, [](float s) { return s; }));
}

TEST(Tracker, unit_thresholds_on_an_unnormalised_scale_let_everything_through) {
  // What score_scale exists for: read as 0..1, every score of 100*s-5 clears every threshold.
  track::TrackerOptions o;
  o.score_scale = track::ScoreScale::unit;
  o.new_track_score = 0.45f;
  track::Tracker unit_tr(o);
  o.score_scale = track::ScoreScale::rank;
  track::Tracker rank_tr(o);
  // A weak detection repeated in place among strong ones: rank puts it below new_track_score.
  int unit_ids = 0, rank_ids = 0;
  for (int k = 0; k < 10; ++k) {
    const core::Detections ds = {det(100, 100, 95.f), det(300, 100, 90.f), det(500, 100, 5.f)};
    for (const auto& t : unit_tr.update(ds, {k, k / 30.0})) unit_ids = std::max(unit_ids, t.id);
    for (const auto& t : rank_tr.update(ds, {k, k / 30.0})) rank_ids = std::max(rank_ids, t.id);
  }
  EXPECT_EQ(unit_ids, 3);
  EXPECT_EQ(rank_ids, 2);
}

TEST(Tracker, camera_motion_hook_keeps_the_id_when_the_image_shifts) {
  // A still person; the camera pans so the image moves 120 px left between two frames. Without
  // compensation the boxes no longer overlap; with it the track continues.
  for (bool compensate : {false, true}) {
    track::Tracker tr;
    int id = 0;
    for (int f = 0; f < 5; ++f)
      for (const auto& t : tr.update({det(400, 200)}, {f, f / 30.0})) id = t.id;
    if (compensate) tr.apply_camera_motion({1, 0, -120, 0, 1, 0});
    const auto ts = tr.update({det(280, 200)}, {5, 5 / 30.0});
    const bool same = std::any_of(ts.begin(), ts.end(),
                                  [&](const core::Track& t) { return t.id == id && t.frames_since_update == 0; });
    EXPECT_EQ(same, compensate);
  }
}

TEST(Tracker, slow_confirm_holds_weak_tracks_for_that_many_seconds_at_any_call_rate) {
  for (double fps : {25.0, 5.0}) {
    track::TrackerOptions o;
    o.frame_rate = 25;
    o.slow_confirm_s = 0.4;
    o.high_score = 0.3f;  // the weak object's 0.4 starts a track (a car-park scene's thresholds)
    o.new_track_score = 0.35f;
    track::Tracker tr(o);
    tr.update({}, {0, 0});  // the first call confirms at once; start after it
    double weak_confirmed_at = -1, strong_confirmed_at = -1;
    for (int k = 1; k < 20; ++k) {
      const double t = k / fps;
      for (const auto& tk : tr.update({det(100, 100, 0.4f), det(400, 100, 0.9f)}, {k, t})) {
        if (tk.id == 0) continue;
        double& at = tk.box_px.x1 < 250 ? weak_confirmed_at : strong_confirmed_at;
        if (at < 0) at = t - 1 / fps;  // seconds since the first sighting
      }
    }
    EXPECT_NEAR(strong_confirmed_at, 1 / fps, 1e-9) << fps;  // two matches in a row
    EXPECT_GE(weak_confirmed_at, 0.4 - 1e-9) << fps;
    EXPECT_LT(weak_confirmed_at, 0.4 + 1 / fps + 1e-9) << fps;
  }
}

// The left-object rule needs every person: with the shipped thresholds a person detected at 0.5
// never starts a track, so the rule tracks the detections again at 0.3 / 0.35 (ObjectStage). The
// owner (0.5) stands at the bag, walks out of reach from 3 s and out of view at 8 s: the alarm
// counts from when they left reach (~5 s), with their id; without them it would count from the
// bag's first sighting and name no owner.
TEST(Tracker, left_object_rule_sees_the_owner_a_strict_tracker_never_starts) {
  analytics::ZoneOptions z;
  z.name = "floor";
  z.polygon = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  z.abandoned_after_s = 5;
  const track::TrackerOptions strict;  // the shipped defaults
  ASSERT_GT(strict.new_track_score, 0.5f);
  pipeline::ObjectStage stage({z}, 640, 480, "", "", strict);
  track::Tracker camera(strict);
  std::vector<events::Event> events;
  for (int k = 0; k <= 75; ++k) {  // 5 calls a second for 15 s
    const double t = k / 5.0;
    core::Detections dets = {{{300, 380, 330, 410}, 0.9f, 24}};  // a backpack, still
    if (t < 8) dets.push_back(det(335 + static_cast<float>(60 * std::max(0.0, t - 3)), 310, 0.5f));
    const auto tracks = camera.update(dets, {k, t});
    for (const auto& tk : tracks)
      EXPECT_TRUE(tk.class_id != 0 || tk.id == 0) << "the camera's tracker starts no person";
    for (auto& e : stage.update(nullptr, dets, tracks, {k, t})) events.push_back(std::move(e));
  }
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "object_abandoned");
  EXPECT_NE(events[0].track_id, 0) << "the owner is known";
  EXPECT_GT(events[0].pts_s, 9.0) << "counted from when the owner left reach, not from put-down";
  EXPECT_LT(events[0].pts_s, 11.5);
}

namespace {
/// Feeds `n` frames of one walker moving right by 8 px a frame from x0 (box 40 x 100), then
/// `missed` frames without detections; returns, per missed frame, whether the lost track is shown.
std::vector<bool> shown_after_misses(float x0, int n, int missed, bool frame_known = true) {
  const int width = 640, height = 480;
  track::Tracker tr;
  std::vector<bool> shown;
  for (int f = 0; f < n + missed; ++f) {
    core::Detections d;
    if (f < n) {
      // What a real detector sees: the box is clipped at the frame's edge.
      const float x1 = x0 + 8.f * static_cast<float>(f);
      d.push_back({{x1, 200, std::min(x1 + 40, static_cast<float>(width)), 300}, 0.9f, 0});
    }
    const auto ts = tr.update(d, {f, f / 30.0});
    if (f < n) continue;
    const auto* t = find_id(ts, 1);
    shown.push_back(t && track::reported(*t, tr.options(), frame_known ? width : 0, frame_known ? height : 0));
  }
  return shown;
}
}  // namespace

TEST(Tracker, predicted_boxes_are_shown_briefly_for_tracks_with_a_history) {
  // In mid-frame, a track matched 20 times is shown at its predicted box for report_predicted_s.
  const auto shown = shown_after_misses(100, 20, 30);
  const int frames = static_cast<int>(std::lround(track::TrackerOptions{}.report_predicted_s * 30));
  ASSERT_GE(frames, 1);
  for (int k = 0; k < 30; ++k) EXPECT_EQ(shown[static_cast<size_t>(k)], k < frames) << "missed frame " << k + 1;
  // One matched fewer than report_predicted_min_hits times is not shown once it is missed.
  const auto young = shown_after_misses(100, track::TrackerOptions{}.report_predicted_min_hits - 1, 3);
  EXPECT_FALSE(young[0]);
}

TEST(Tracker, predicted_box_of_an_object_walking_out_of_the_frame_is_not_shown) {
  // Last seen with its right edge 4 px from the frame's: the next predicted box is 4 px out.
  const auto leaving = shown_after_misses(640 - 44 - 8 * 19, 20, 3);
  EXPECT_FALSE(leaving[0]);
  // The same walker 100 px further in is shown.
  const auto inside = shown_after_misses(640 - 144 - 8 * 19, 20, 3);
  EXPECT_TRUE(inside[0]);
  // Without the frame size (0 x 0) there is no exit check.
  EXPECT_TRUE(shown_after_misses(640 - 44 - 8 * 19, 20, 3, false)[0]);
}

// Dense-count fusion, leave-one-out selection, heatmap accumulation and storage, zone occupancy
// sampling and sampled overcrowding: pure logic, no models.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "crowd/fusion.hpp"
#include "crowd/heatmap.hpp"
#include "pipeline/zone_count_stage.hpp"

using namespace vsp;
namespace fs = std::filesystem;

namespace {
core::Detection box(float x1, float y1, float x2, float y2, float score) { return {{x1, y1, x2, y2}, score, 0}; }

core::Track walker(int id, double x, double y, int cls = 0) {
  core::Track t;
  t.id = id;
  t.state = core::TrackState::confirmed;
  t.box_px = {static_cast<float>(x - 10), static_cast<float>(y - 60), static_cast<float>(x + 10),
              static_cast<float>(y)};
  t.class_id = cls;
  return t;
}
}  // namespace

// ---- Fusion ------------------------------------------------------------------------------------
TEST(CrowdFusion, a_person_showing_a_head_counts_once_and_hidden_bodies_count_by_their_heads) {
  crowd::RawDetections raw;
  raw.width = 400;
  raw.height = 300;
  // Person A with its head inside the top of the box; person B whose head was missed.
  raw.persons_full = {box(10, 10, 60, 200, 0.9f), box(100, 20, 150, 210, 0.8f)};
  // Head of A, plus two heads whose bodies are hidden in the crowd.
  raw.heads[0] = {box(25, 15, 45, 35, 0.9f), box(200, 50, 215, 65, 0.8f), box(250, 50, 265, 65, 0.7f)};
  crowd::CountParams p;
  p.head_scales = 0b0001;
  p.head_threshold = 0.5f;
  p.person_tiles = false;
  p.person_threshold = 0.5f;
  p.fusion = crowd::Fusion::head_or_person;
  EXPECT_EQ(crowd::fuse_count(raw, p), 4);  // 3 heads + B
  p.fusion = crowd::Fusion::persons;
  EXPECT_EQ(crowd::fuse_count(raw, p), 2);
  p.fusion = crowd::Fusion::heads;
  EXPECT_EQ(crowd::fuse_count(raw, p), 3);
  p.fusion = crowd::Fusion::max;
  EXPECT_EQ(crowd::fuse_count(raw, p), 3);
  p.fusion = crowd::Fusion::head_or_person;
  p.head_threshold = 0.75f;  // the third head drops out
  EXPECT_EQ(crowd::fuse_count(raw, p), 3);
}

TEST(CrowdFusion, one_head_seen_at_two_scales_is_one_head) {
  crowd::RawDetections raw;
  raw.heads[0] = {box(100, 100, 140, 140, 0.9f)};
  raw.heads[3] = {box(108, 104, 128, 126, 0.8f), box(300, 100, 330, 130, 0.8f)};  // inside the first; another
  EXPECT_EQ(crowd::merge_heads(raw, 0b1001, 0.5f).size(), 2u);
  EXPECT_EQ(crowd::merge_heads(raw, 0b0001, 0.5f).size(), 1u);
}

TEST(CrowdFusion, a_person_cut_by_a_tile_edge_is_not_counted_twice) {
  crowd::RawDetections raw;
  raw.persons_full = {box(10, 10, 60, 200, 0.9f)};
  raw.persons_tiles = {box(12, 12, 58, 120, 0.85f),    // the upper half, cut by the tile edge
                       box(300, 10, 340, 120, 0.7f)};  // someone only the tiles saw
  EXPECT_EQ(crowd::merge_persons(raw, true, 0.5f).size(), 2u);
  EXPECT_EQ(crowd::merge_persons(raw, false, 0.5f).size(), 1u);
}

TEST(CrowdFusion, leave_one_out_scores_each_image_with_params_chosen_without_it) {
  // Three images whose truth suits threshold 0.5 and one outlier that alone prefers 0.2: the
  // outlier's fold picks 0.5, so its LOO error is large while the in-sample fit is smaller.
  std::vector<crowd::LabelledImage> ims(4);
  for (int i = 0; i < 4; ++i) {
    ims[i].raw.persons_full = {box(0, 0, 10, 10, 0.9f), box(20, 0, 30, 10, 0.6f), box(40, 0, 50, 10, 0.3f),
                               box(60, 0, 70, 10, 0.3f)};
    ims[i].truth = i < 3 ? 2 : 4;
  }
  std::vector<crowd::CountParams> grid;
  for (float t : {0.2f, 0.5f}) grid.push_back({0, 0, false, t, crowd::Fusion::persons, 0.4f});
  const auto r = crowd::leave_one_out(ims, grid);
  EXPECT_FLOAT_EQ(r.chosen_all.person_threshold, 0.5f);
  EXPECT_EQ(r.loo_counts, (std::vector<int>{2, 2, 2, 2}));
  EXPECT_DOUBLE_EQ(r.loo_mae, 0.5);
  EXPECT_DOUBLE_EQ(r.in_sample_mae, 0.5);
  EXPECT_NEAR(r.loo_rel, 0.125, 1e-9);
}

// ---- Heatmaps ----------------------------------------------------------------------------------
TEST(Heatmap, hot_where_the_track_walked_and_stood_cold_elsewhere) {
  crowd::HeatmapAccumulator acc;
  const std::int64_t t0 = 1'700'000'080'000;  // 40 s into a minute
  // Walks along y = 300 from x = 100 to 540 over 10 s, then stands at x = 540 for 10 s (640x360).
  std::vector<crowd::HeatBucket> buckets;
  for (int f = 0; f <= 40; ++f) {
    const double t = f * 0.5;
    const double x = t < 10 ? 100 + 44 * t : 540;
    for (auto& b : acc.update({walker(1, x, 300)}, t, t0 + static_cast<std::int64_t>(t * 1000), 640, 360))
      buckets.push_back(std::move(b));
  }
  ASSERT_EQ(buckets.size(), 1u);  // the walk crosses a minute boundary: the first minute closed
  for (auto& b : acc.flush()) buckets.push_back(std::move(b));
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0].start_ms % crowd::kHeatBucketMs, 0);
  crowd::HeatGrid sum;
  for (const auto& b : buckets) sum.add(b.grid);
  EXPECT_NEAR(sum.total(), 20.0, 1e-3);  // time-weighted: 20 s in all
  const int row = static_cast<int>(300.0 / 360 * crowd::kHeatRows);
  const int stand_col = static_cast<int>(540.0 / 640 * crowd::kHeatCols);
  EXPECT_NEAR(sum.at(stand_col, row), 10.0, 0.8);  // stood 10 s there
  for (int c = static_cast<int>(120.0 / 640 * crowd::kHeatCols); c < stand_col - 1; ++c)
    EXPECT_GT(sum.at(c, row), 0.05f) << "the path has a gap at column " << c;
  EXPECT_EQ(sum.at(5, 5), 0.f);                // never there
  EXPECT_EQ(sum.at(stand_col, row - 6), 0.f);  // above the path
}

TEST(Heatmap, tentative_tracks_and_long_gaps_add_nothing) {
  crowd::HeatmapAccumulator acc(2.0);
  auto t = walker(1, 320, 180);
  t.state = core::TrackState::tentative;
  acc.update({t}, 0, 0, 640, 360);
  acc.update({t}, 1, 1000, 640, 360);
  acc.update({walker(2, 100, 100)}, 2, 2000, 640, 360);
  acc.update({walker(2, 100, 100)}, 30, 30000, 640, 360);  // unseen for 28 s: not "stood there"
  const auto b = acc.flush();
  float total = 0;
  for (const auto& x : b) total += x.grid.total();
  EXPECT_EQ(total, 0.f);
}

TEST(Heatmap, files_answer_since_until_by_minute_and_per_class) {
  const fs::path root = fs::temp_directory_path() / "vsp_heat_test";
  fs::remove_all(root);
  crowd::HeatmapFiles files(root);
  const std::int64_t hour = 1'700'002'800'000;  // a whole hour (UTC)
  std::vector<crowd::HeatBucket> bs;
  for (int m = 0; m < 3; ++m) {
    crowd::HeatBucket b;
    b.start_ms = hour + m * 60'000;
    b.class_id = 0;
    b.grid.seconds[static_cast<size_t>(m)] = 1.0f + m;
    bs.push_back(b);
  }
  crowd::HeatBucket car;
  car.start_ms = hour;
  car.class_id = 2;
  car.grid.seconds[10] = 7;
  bs.push_back(car);
  crowd::HeatBucket next_hour;
  next_hour.start_ms = hour + 3'600'000;
  next_hour.grid.seconds[20] = 5;
  bs.push_back(next_hour);
  ASSERT_TRUE(files.append("cam", bs).ok());
  EXPECT_TRUE(fs::exists(files.hour_file("cam", hour)));
  EXPECT_NE(files.hour_file("cam", hour), files.hour_file("cam", hour + 3'600'000));
  auto all = files.read("cam", 0, hour, hour + 2 * 3'600'000);
  ASSERT_TRUE(all.ok());
  EXPECT_FLOAT_EQ(all->total(), 1 + 2 + 3 + 5);
  auto mid = files.read("cam", 0, hour + 60'000, hour + 120'000);  // the second minute only
  EXPECT_FLOAT_EQ(mid->total(), 2);
  EXPECT_FLOAT_EQ(mid->seconds[1], 2);
  EXPECT_FLOAT_EQ(files.read("cam", 2, hour, hour + 3'600'000)->total(), 7);
  // A torn record at the end (a crash mid-write) is ignored; what came before still reads.
  { std::ofstream(files.hour_file("cam", hour), std::ios::app | std::ios::binary) << "HEAT\x01"; }
  EXPECT_FLOAT_EQ(files.read("cam", 0, hour, hour + 3'600'000)->total(), 6);
  EXPECT_FALSE(files.read("cam", 0, 0, 40LL * 24 * 3'600'000).ok());  // over 31 days
  fs::remove_all(root);
}

TEST(Heatmap, the_png_is_coloured_where_hot_and_grey_where_cold) {
  crowd::HeatGrid g;
  for (int c = 40; c < 44; ++c) g.seconds[static_cast<size_t>(18) * crowd::kHeatCols + c] = 10;
  const std::vector<std::uint8_t> bg(640 * 360 * 3, 128);
  const auto png = crowd::render_heatmap_png(g, bg, 640, 360);
  const cv::Mat m = cv::imdecode(std::vector<std::uint8_t>(png.begin(), png.end()), cv::IMREAD_COLOR);
  ASSERT_EQ(m.cols, 640);
  ASSERT_EQ(m.rows, 360);
  const auto hot = m.at<cv::Vec3b>(185, 420), cold = m.at<cv::Vec3b>(40, 40);
  EXPECT_EQ(cold[0], cold[1]);  // grey
  EXPECT_EQ(cold[1], cold[2]);
  EXPECT_GT(std::abs(hot[2] - hot[0]) + std::abs(hot[1] - hot[0]), 60);  // coloured
}

// ---- Zone occupancy sampling and sampled overcrowding ------------------------------------------
TEST(ZoneOccupancy, overcrowd_alarm_fires_once_above_rearms_below_and_respects_cooldown) {
  pipeline::OvercrowdAlarm a(10, 30);
  EXPECT_FALSE(a.update(10, 0));
  EXPECT_TRUE(a.update(11, 1));
  EXPECT_FALSE(a.update(15, 2));   // still over: once
  EXPECT_FALSE(a.update(9, 3));    // re-armed
  EXPECT_FALSE(a.update(12, 10));  // within the cool-down
  EXPECT_FALSE(a.update(8, 20));
  EXPECT_TRUE(a.update(12, 40));
}

TEST(ZoneOccupancy, samples_come_at_the_zone_interval_from_stream_time) {
  EXPECT_TRUE(pipeline::sample_due(std::nullopt, 5, 1));
  EXPECT_FALSE(pipeline::sample_due(5.0, 5.6, 1));
  EXPECT_TRUE(pipeline::sample_due(5.0, 6.0, 1));
  EXPECT_TRUE(pipeline::sample_due(5.0, 2.0, 1));  // time went back: sample again
}

TEST(ZoneOccupancy, a_boxes_zone_samples_its_tracked_count_every_interval) {
  analytics::ZoneOptions z;
  z.name = "hall";
  z.polygon = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  z.enter_frames = 1;
  z.count_interval_s = 2;
  auto stage = pipeline::ZoneCountStage::create({z});
  ASSERT_TRUE(stage.ok());
  std::vector<analytics::ZoneMonitor> zones{analytics::ZoneMonitor(z, 640, 360)};
  std::vector<pipeline::OccupancySample> samples;
  for (int f = 0; f < 10; ++f) {
    const double t = f * 0.5;
    core::Tracks tr{walker(1, 100, 200), walker(2, 300, 200)};
    if (f >= 4) tr.push_back(walker(3, 500, 200));
    zones[0].update(tr, {f, t});
    (*stage)->update(nullptr, zones, {f, t}, samples);
  }
  ASSERT_EQ(samples.size(), 3u);  // t = 0, 2, 4
  EXPECT_EQ(samples[0].count, 2);
  EXPECT_EQ(samples[1].count, 3);
  EXPECT_STREQ(samples[2].mode, "boxes");
}

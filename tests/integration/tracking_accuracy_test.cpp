// Tracker accuracy floor on the MOT17 development sequences with synthetic detections: a
// regression of the tracker fails CI. Floors = achieved value minus 0.5 (docs/performance.md).
#include <gtest/gtest.h>

#include <filesystem>

#include "eval/mot_metrics.hpp"
#include "eval/mot_tracking.hpp"
#include "test_paths.hpp"

using namespace vsp;

namespace {
eval::MotScores run_dev(track::TrackerOptions o) {
  const std::string dir = data_dir() + "/mot17_gt_synthetic_dets";
  std::vector<eval::MotCounts> counts;
  for (const char* seq : {"MOT17-02-FRCNN", "MOT17-04-FRCNN", "MOT17-05-FRCNN", "MOT17-09-FRCNN"}) {
    auto info = eval::read_seqinfo(dir + "/gt/" + seq + "/seqinfo.ini");
    auto gt = eval::read_mot_file(dir + "/gt/" + seq + "/gt/gt.txt", true);
    auto dets = eval::read_mot_file(dir + "/dets/" + seq + ".txt", false);
    EXPECT_TRUE(info.ok() && gt.ok() && dets.ok()) << "missing data for " << seq;
    if (!info.ok() || !gt.ok() || !dets.ok()) return {};
    const auto res = eval::run_tracker_on_detections(*dets, *info, o);
    counts.push_back(eval::evaluate_sequence(eval::preprocess(*gt, res, *info, eval::Benchmark::mot17)));
  }
  return eval::finalise(eval::combine(counts));
}
}  // namespace

TEST(TrackingAccuracy, dev_sequences_stay_above_the_floor) {
  const auto s = run_dev({});
  ASSERT_FALSE(s.empty());
  EXPECT_GE(s.at("HOTA"), VSP_HOTA_FLOOR);
  EXPECT_GE(s.at("MOTA"), VSP_MOTA_FLOOR);
  EXPECT_GE(s.at("IDF1"), VSP_IDF1_FLOOR);
  // The references on the same detections (shared/data/README.md).
  EXPECT_GT(s.at("HOTA"), 52.8);
  EXPECT_GT(s.at("MOTA"), 63.4);
  EXPECT_GT(s.at("IDF1"), 70.2);
}

TEST(TrackingAccuracy, online_matched_only_output_also_beats_the_references) {
  track::TrackerOptions o;
  o.report_predicted_s = 0;  // like the references: only boxes matched in the frame
  const auto s = run_dev(o);
  ASSERT_FALSE(s.empty());
  EXPECT_GT(s.at("HOTA"), 52.8);
  EXPECT_GE(s.at("HOTA"), VSP_HOTA_MATCHED_FLOOR);
}

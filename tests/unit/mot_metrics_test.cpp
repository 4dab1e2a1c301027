#include <gtest/gtest.h>

#include "eval/mot_metrics.hpp"
#include "test_paths.hpp"

using namespace vsp;

namespace {
eval::MotBox box(int frame, int id, float x, float y, float w = 10, float h = 20) {
  return {frame, id, {x, y, x + w, y + h}, 1, 1, 1};
}
eval::MotScores score(const std::vector<eval::MotBox>& gt, const std::vector<eval::MotBox>& tr, int frames) {
  eval::SeqInfo info{"s", frames, 25, 640, 480};
  return eval::finalise(eval::evaluate_sequence(eval::preprocess(gt, tr, info, eval::Benchmark::mot15)));
}
}  // namespace

TEST(MotMetrics, reproduces_the_official_evaluator_on_tud_campus) {
  const std::string dir = data_dir() + "/mot_tud_gt_and_tracker_output/TUD-Campus";
  auto gt = eval::read_mot_file(dir + "/gt.txt", true);
  auto tr = eval::read_mot_file(dir + "/test.txt", false);
  auto info = eval::read_seqinfo(fixtures_dir() + "/TUD-Campus/seqinfo.ini");
  ASSERT_TRUE(gt.ok() && tr.ok() && info.ok()) << "data missing under " << dir;
  const auto s = eval::finalise(eval::evaluate_sequence(eval::preprocess(*gt, *tr, *info, eval::Benchmark::mot15)));
  EXPECT_NEAR(s.at("HOTA"), 39.14, 0.05);
  EXPECT_NEAR(s.at("DetA"), 41.81, 0.05);
  EXPECT_NEAR(s.at("AssA"), 36.91, 0.05);
  EXPECT_NEAR(s.at("MOTA"), 52.65, 0.05);
  EXPECT_NEAR(s.at("MOTP"), 72.28, 0.05);
  EXPECT_EQ(s.at("IDSW"), 7);
  EXPECT_NEAR(s.at("IDF1"), 55.77, 0.05);
}

TEST(MotMetrics, perfect_tracking_scores_100) {
  std::vector<eval::MotBox> gt;
  for (int f = 1; f <= 10; ++f) {
    gt.push_back(box(f, 1, 10.f * f, 10));
    gt.push_back(box(f, 2, 10.f * f, 100));
  }
  const auto s = score(gt, gt, 10);
  EXPECT_NEAR(s.at("HOTA"), 100, 1e-9);
  EXPECT_NEAR(s.at("MOTA"), 100, 1e-9);
  EXPECT_NEAR(s.at("IDF1"), 100, 1e-9);
  EXPECT_EQ(s.at("IDSW"), 0);
}

TEST(MotMetrics, empty_frames_and_empty_tracker_output) {
  std::vector<eval::MotBox> gt = {box(2, 1, 0, 0), box(3, 1, 1, 0)};
  const auto s = score(gt, {}, 5);
  EXPECT_EQ(s.at("CLR_FN"), 2);
  EXPECT_NEAR(s.at("MOTA"), 0, 1e-9);
  EXPECT_NEAR(s.at("HOTA"), 0, 1e-9);
  EXPECT_EQ(s.at("ML"), 1);
  const auto none = score({}, {}, 5);
  EXPECT_NEAR(none.at("MOTA"), 0, 1e-9);
}

TEST(MotMetrics, track_with_no_gt_is_all_false_positives) {
  std::vector<eval::MotBox> gt = {box(1, 1, 0, 0), box(2, 1, 0, 0)};
  std::vector<eval::MotBox> tr = {box(1, 5, 0, 0), box(2, 5, 0, 0), box(1, 9, 300, 300), box(2, 9, 300, 300)};
  const auto s = score(gt, tr, 2);
  EXPECT_EQ(s.at("CLR_FP"), 2);
  EXPECT_NEAR(s.at("MOTA"), 0, 1e-9);
  EXPECT_NEAR(s.at("IDP"), 50, 1e-9);
  EXPECT_NEAR(s.at("IDR"), 100, 1e-9);
}

TEST(MotMetrics, id_switch_is_counted_once_and_ties_keep_the_previous_match) {
  // Two identical tracker boxes on one gt box (a tie): the match continuing the previous frame's
  // pair wins, so no switch is counted while id 5 persists.
  std::vector<eval::MotBox> gt, tr;
  for (int f = 1; f <= 6; ++f) gt.push_back(box(f, 1, 0, 0));
  for (int f = 1; f <= 3; ++f) tr.push_back(box(f, 5, 0, 0));
  for (int f = 2; f <= 6; ++f) tr.push_back(box(f, 6, 0, 0));
  const auto s = score(gt, tr, 6);
  EXPECT_EQ(s.at("IDSW"), 1);
  EXPECT_EQ(s.at("CLR_FP"), 2);
}

TEST(MotMetrics, mot17_preprocessing_removes_boxes_on_distractors_and_ignores_unscored_gt) {
  std::vector<eval::MotBox> gt = {box(1, 1, 0, 0), box(1, 2, 100, 100), box(1, 3, 200, 200)};
  gt[1].cls = 7;   // static person: a tracker box on it is removed
  gt[2].conf = 0;  // not considered: a tracker box on it is a false positive
  std::vector<eval::MotBox> tr = {box(1, 1, 0, 0), box(1, 2, 100, 100), box(1, 3, 200, 200)};
  eval::SeqInfo info{"s", 1, 25, 640, 480};
  const auto d = eval::preprocess(gt, tr, info, eval::Benchmark::mot17);
  EXPECT_EQ(d.frames[0].gt_ids.size(), 1u);
  EXPECT_EQ(d.frames[0].tracker_ids.size(), 2u);
  const auto s = eval::finalise(eval::evaluate_sequence(d));
  EXPECT_EQ(s.at("CLR_TP"), 1);
  EXPECT_EQ(s.at("CLR_FP"), 1);
}

// Regression for a fuzz_mot find: huge or non-finite numbers were cast to int (undefined behaviour).
TEST(MotFiles, out_of_range_or_non_finite_numbers_are_an_error_not_undefined_behaviour) {
  const std::string path = ::testing::TempDir() + "/vsp_mot_fuzz_regression.txt";
  for (const char* row : {"1e300,1,0,0,10,10", "1,nan,0,0,10,10", "1,1,inf,0,10,10", "1,1,0,0,10,10,1,-9e99"}) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_TRUE(f);
    std::fprintf(f, "%s\n", row);
    std::fclose(f);
    auto r = vsp::eval::read_mot_file(path, true);
    ASSERT_FALSE(r) << row;
    EXPECT_EQ(r.error().code, "bad_mot_file");
  }
  std::remove(path.c_str());
}

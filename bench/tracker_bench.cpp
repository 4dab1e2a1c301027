// Tracker benchmark on MOTChallenge detections: accuracy (HOTA/MOTA/IDF1 per sequence and
// combined) and update() time per frame. Options override TrackerOptions: key=value ...
//   tracker_bench DATA_DIR [benchmark=mot15] [key=value ...]   DATA_DIR holds gt/<SEQ>/ and dets/<SEQ>.txt
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "eval/mot_metrics.hpp"
#include "eval/mot_tracking.hpp"
#include "track/tracker.hpp"

namespace fs = std::filesystem;
using namespace vsp;

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: tracker_bench DATA_DIR [key=value ...]\n");
    return 2;
  }
  const fs::path dir = argv[1];
  track::TrackerOptions o;
  std::map<std::string, double*> dkeys = {{"lost_buffer_s", &o.lost_buffer_s},
                                          {"lost_expand_per_frame", &o.lost_expand_per_frame},
                                          {"lost_expand_max", &o.lost_expand_max},
                                          {"tentative_expand_per_s", &o.tentative_expand_per_s},
                                          {"height_iou_power", &o.height_iou_power},
                                          {"centre_distance_weight", &o.centre_distance_weight},
                                          {"velocity_damping", &o.velocity_damping},
                                          {"report_predicted_s", &o.report_predicted_s},
                                          {"slow_confirm_s", &o.slow_confirm_s},
                                          {"report_predicted_max_exit", &o.report_predicted_max_exit},
                                          {"young_lost_buffer_s", &o.young_lost_buffer_s}};
  std::map<std::string, float*> fkeys = {{"high_score", &o.high_score},
                                         {"low_score", &o.low_score},
                                         {"new_track_score", &o.new_track_score},
                                         {"quick_confirm_score", &o.quick_confirm_score},
                                         {"match_max_cost", &o.match_max_cost},
                                         {"low_match_max_cost", &o.low_match_max_cost},
                                         {"recovery_max_cost", &o.recovery_max_cost},
                                         {"tentative_max_cost", &o.tentative_max_cost}};
  auto bench = eval::Benchmark::mot17;
  for (int i = 2; i < argc; ++i) {
    const std::string kv = argv[i];
    if (kv == "benchmark=mot15") {
      bench = eval::Benchmark::mot15;
      continue;
    }
    const auto eq = kv.find('=');
    const std::string k = kv.substr(0, eq);
    const double v = std::atof(kv.substr(eq + 1).c_str());
    if (dkeys.count(k))
      *dkeys[k] = v;
    else if (fkeys.count(k))
      *fkeys[k] = static_cast<float>(v);
    else if (k == "report_predicted_min_hits")
      o.report_predicted_min_hits = static_cast<int>(v);
    else if (k == "established_hits")
      o.established_hits = static_cast<int>(v);
    else if (k == "min_hits")
      o.min_hits = static_cast<int>(v);
    else if (k == "fuse_score")
      o.fuse_score = v != 0;
    else if (k == "score_scale")
      o.score_scale = static_cast<track::ScoreScale>(static_cast<int>(v));  // 0 auto, 1 unit, 2 rank
    else if (k == "score_calibration_size")
      o.score_calibration_size = static_cast<int>(v);
    else if (k == "observation_reupdate")
      o.observation_reupdate = v != 0;
    else {
      fmt::print(stderr, "unknown option {}\n", k);
      return 2;
    }
  }
  std::vector<eval::MotCounts> counts;
  double total_s = 0;
  long frames = 0, dets_total = 0;
  fmt::print("{:<16} {:>6} {:>6} {:>6} {:>6} {:>6}\n", "sequence", "HOTA", "DetA", "AssA", "MOTA", "IDF1");
  std::vector<std::string> seqs;
  for (const auto& e : fs::directory_iterator(dir / "gt")) seqs.push_back(e.path().filename().string());
  std::sort(seqs.begin(), seqs.end());
  for (const auto& seq : seqs) {
    auto info = eval::read_seqinfo((dir / "gt" / seq / "seqinfo.ini").string());
    auto gt = eval::read_mot_file((dir / "gt" / seq / "gt" / "gt.txt").string(), true);
    auto dets = eval::read_mot_file((dir / "dets" / (seq + ".txt")).string(), false);
    if (!info || !gt || !dets) {
      fmt::print(stderr, "{}: cannot read data\n", seq);
      return 1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto res = eval::run_tracker_on_detections(*dets, *info, o);
    total_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    frames += info->length;
    dets_total += static_cast<long>(dets->size());
    const auto c = eval::evaluate_sequence(eval::preprocess(*gt, res, *info, bench));
    counts.push_back(c);
    const auto s = eval::finalise(c);
    fmt::print("{:<16} {:6.2f} {:6.2f} {:6.2f} {:6.2f} {:6.2f}\n", seq, s.at("HOTA"), s.at("DetA"), s.at("AssA"),
               s.at("MOTA"), s.at("IDF1"));
  }
  const auto s = eval::finalise(eval::combine(counts));
  fmt::print("{:<16} {:6.2f} {:6.2f} {:6.2f} {:6.2f} {:6.2f}\n", "COMBINED", s.at("HOTA"), s.at("DetA"), s.at("AssA"),
             s.at("MOTA"), s.at("IDF1"));
  fmt::print("tracker: {} frames, {:.1f} detections/frame, {:.4f} ms per update (incl. result copy)\n", frames,
             static_cast<double>(dets_total) / static_cast<double>(frames),
             1000 * total_s / static_cast<double>(frames));
  return 0;
}

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/cli_util.hpp"
#include "app/commands.hpp"
#include "config/analyze_config.hpp"
#include "eval/mot_metrics.hpp"
#include "eval/mot_tracking.hpp"

namespace vsp::app {

namespace fs = std::filesystem;

int cmd_track(const TrackArgs& a) {
  auto info = eval::read_seqinfo(a.seqinfo);
  if (!info) {
    fmt::print(stderr, "vsp track: {}\n", info.error().message);
    return 1;
  }
  auto dets = eval::read_mot_file(a.dets, false);
  if (!dets) {
    fmt::print(stderr, "vsp track: {}\n", dets.error().message);
    return 1;
  }
  // The tracker settings `vsp analyze` would use with the same config (defaults without one).
  config::AnalyzeConfig cfg = config::default_analyze_config();
  if (a.config) {
    auto parsed = config::load_analyze_config(*a.config);
    if (auto* errs = std::get_if<config::ConfigErrors>(&parsed)) {
      print_config_errors(*errs, "vsp track", "nothing tracked");
      return 1;
    }
    cfg = std::get<config::AnalyzeConfig>(parsed);
  }
  // Detection files carry the score in column 7; read_mot_file stores it in `conf`.
  const auto rows =
      eval::run_tracker_on_detections(*dets, *info, config::make_tracker_options(cfg.camera.tracker, info->frame_rate));
  std::ofstream out(a.out);
  if (!out) {
    fmt::print(stderr, "vsp track: {}: cannot write\n", a.out);
    return 1;
  }
  out << eval::format_mot_results(rows);
  fmt::print(stderr, "vsp track: {} frames, {} boxes -> {}\n", info->length, rows.size(), a.out);
  return 0;
}

int cmd_eval_mot(const EvalMotArgs& a) {
  const auto bench = a.benchmark == "mot15" ? eval::Benchmark::mot15 : eval::Benchmark::mot17;
  std::vector<std::string> seqs = a.seqs;
  std::error_code ec;
  if (seqs.empty()) {
    for (const auto& e : fs::directory_iterator(a.gt_dir, ec))
      if (e.is_directory() && fs::exists(e.path() / "gt" / "gt.txt")) seqs.push_back(e.path().filename().string());
    std::sort(seqs.begin(), seqs.end());
  }
  if (ec || seqs.empty()) {
    fmt::print(stderr, "vsp eval mot: {}: no sequences (expected <SEQ>/gt/gt.txt)\n", a.gt_dir);
    return 1;
  }
  std::vector<eval::MotCounts> counts;
  nlohmann::ordered_json j;
  const std::vector<std::string> cols = {"HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDF1",
                                         "IDP",  "IDR",  "IDSW", "Frag", "MT",   "PT",   "ML"};
  auto row = [&](const std::string& name, const eval::MotScores& s) {
    std::string line = fmt::format("{:<18}", name);
    for (const auto& c : cols) line += fmt::format(" {:>7.2f}", s.at(c));
    fmt::print("{}\n", line);
    nlohmann::ordered_json o;
    for (const auto& [k, v] : s) o[k] = v;
    j[name] = o;
  };
  std::string header = fmt::format("{:<18}", "sequence");
  for (const auto& c : cols) header += fmt::format(" {:>7}", c);
  fmt::print("{}\n", header);
  std::vector<std::pair<std::string, eval::MotScores>> per_seq;
  for (const auto& seq : seqs) {
    const fs::path gt_seq = fs::path(a.gt_dir) / seq;
    auto info = eval::read_seqinfo((gt_seq / "seqinfo.ini").string());
    if (!info) {
      fmt::print(stderr, "vsp eval mot: {}\n", info.error().message);
      return 1;
    }
    auto gt = eval::read_mot_file((gt_seq / "gt" / "gt.txt").string(), true);
    if (!gt) {
      fmt::print(stderr, "vsp eval mot: {}\n", gt.error().message);
      return 1;
    }
    auto res = eval::read_mot_file((fs::path(a.res_dir) / (seq + ".txt")).string(), false);
    if (!res) {
      fmt::print(stderr, "vsp eval mot: {} (tracker output for {})\n", res.error().message, seq);
      return 1;
    }
    const auto c = eval::evaluate_sequence(eval::preprocess(*gt, *res, *info, bench));
    counts.push_back(c);
    per_seq.emplace_back(seq, eval::finalise(c));
  }
  const auto combined = eval::finalise(eval::combine(counts));
  row("COMBINED", combined);
  for (const auto& [name, s] : per_seq) row(name, s);
  if (a.json) {
    std::ofstream out(*a.json);
    if (!out) {
      fmt::print(stderr, "vsp eval mot: {}: cannot write\n", *a.json);
      return 1;
    }
    out << j.dump(2) << "\n";
  }
  return 0;
}

}  // namespace vsp::app

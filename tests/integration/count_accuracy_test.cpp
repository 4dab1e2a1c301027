// Counting scored at scale: the line rules fed by replay on the four MOT17 development sequences,
// against ground-truth crossings computed from gt.txt (eval::count_gt_crossings, same convention),
// with the synthetic detections and with the real public FRCNN detections. Prints the table that
// docs/rules.md publishes; VSP_COUNT_TABLE=FILE also writes it there. Floors fail CI on regression.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "config/analyze_config.hpp"
#include "eval/line_crossings.hpp"
#include "pipeline/file_analyzer.hpp"
#include "test_paths.hpp"

using namespace vsp;

namespace {

struct NullSink final : events::EventSink {
  void write(const events::Event&) override {}
};

struct Row {
  std::string seq, line;
  long gt_in = 0, gt_out = 0;
  long in[2] = {0, 0}, out[2] = {0, 0};  ///< [synthetic, public]
};

long err(const Row& r, int k) { return std::labs(r.in[k] - r.gt_in) + std::labs(r.out[k] - r.gt_out); }

}  // namespace

TEST(CountAccuracy, line_counts_on_mot17_dev_by_replay_stay_within_the_floor) {
  const std::string syn = data_dir() + "/mot17_gt_synthetic_dets", pub = data_dir() + "/mot17_public_dets_dev";
  std::vector<Row> rows;
  for (const char* seq : {"MOT17-02", "MOT17-04", "MOT17-05", "MOT17-09"}) {
    const std::string name = std::string(seq) + "-FRCNN";
    auto parsed = config::load_analyze_config(std::string(VSP_SOURCE_DIR) + "/bench/counts/" + seq + ".yml");
    ASSERT_TRUE(std::holds_alternative<config::AnalyzeConfig>(parsed)) << seq;
    const auto cfg = std::get<config::AnalyzeConfig>(parsed);
    auto info = eval::read_seqinfo(syn + "/gt/" + name + "/seqinfo.ini");
    auto gt = eval::read_mot_file(syn + "/gt/" + name + "/gt/gt.txt", true);
    ASSERT_TRUE(info.ok() && gt.ok()) << "missing data for " << seq;
    const auto truth = eval::count_gt_crossings(*gt, *info, cfg.camera.rules.lines, true);
    std::vector<Row> seq_rows;
    for (const auto& t : truth) seq_rows.push_back({seq, t.line, t.in, t.out, {0, 0}, {0, 0}});
    const std::string dets[2] = {syn + "/dets/" + name + ".txt", pub + "/dets/" + name + ".txt"};
    const std::string seqinfo[2] = {syn + "/gt/" + name + "/seqinfo.ini", pub + "/" + name + "/seqinfo.ini"};
    for (int k = 0; k < 2; ++k) {
      pipeline::ReplayOptions o;
      o.detections_path = dets[k];
      o.seqinfo_path = seqinfo[k];
      o.camera = cfg.camera;
      NullSink sink;
      auto r = pipeline::run_replay(o, sink);
      ASSERT_TRUE(r.ok()) << r.error().message;
      ASSERT_EQ(r->lines.size(), seq_rows.size());
      for (size_t i = 0; i < seq_rows.size(); ++i) {
        seq_rows[i].in[k] = r->lines[i].second.in;
        seq_rows[i].out[k] = r->lines[i].second.out;
      }
    }
    rows.insert(rows.end(), seq_rows.begin(), seq_rows.end());
  }

  // ---- The table (Markdown) --------------------------------------------------------------------
  std::string table =
      "| sequence | line | truth in/out | synthetic dets in/out | abs err | public FRCNN in/out | abs err |\n"
      "|---|---|---|---|---|---|---|\n";
  long gt_total = 0, err_total[2] = {0, 0}, net_total[2] = {0, 0};
  for (const auto& r : rows) {
    table += fmt::format("| {} | {} | {}/{} | {}/{} | {} | {}/{} | {} |\n", r.seq, r.line, r.gt_in, r.gt_out, r.in[0],
                         r.out[0], err(r, 0), r.in[1], r.out[1], err(r, 1));
    gt_total += r.gt_in + r.gt_out;
    for (int k = 0; k < 2; ++k) {
      err_total[k] += err(r, k);
      net_total[k] += r.in[k] + r.out[k];
    }
  }
  auto pct = [&](long e) { return gt_total ? 100.0 * static_cast<double>(e) / static_cast<double>(gt_total) : 0.0; };
  table += fmt::format(
      "| **all** | {} lines | {} crossings | {} counted | {} ({:.1f} %) | {} counted | {} ({:.1f} %) |\n", rows.size(),
      gt_total, net_total[0], err_total[0], pct(err_total[0]), net_total[1], err_total[1], pct(err_total[1]));
  fmt::print("{}", table);
  if (const char* f = std::getenv("VSP_COUNT_TABLE"); f && *f) std::ofstream(f) << table;

  EXPECT_GE(gt_total, 200) << "the lines should see hundreds of crossings";
  // Floors: the per-line absolute error summed over all lines, as % of the true crossings
  // (docs/rules.md: measured value + a margin; lower them when counting improves).
  EXPECT_LE(pct(err_total[0]), VSP_COUNT_ERR_SYNTHETIC_PCT);
  EXPECT_LE(pct(err_total[1]), VSP_COUNT_ERR_PUBLIC_PCT);
}

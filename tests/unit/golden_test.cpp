// Golden tests, FATE style: each folder of tests/golden/ holds recorded detections (MOTChallenge
// rows), the sequence's seqinfo.ini and a config; its events, replayed through the analysis core
// with no model, must equal expected.jsonl (numbers within 1 ms / 1e-3). After an intended change,
// re-bless with scripts/bless-golden.sh (VSP_BLESS=1) and review the diff it shows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "config/analyze_config.hpp"
#include "core/coco.hpp"
#include "events/event_json.hpp"
#include "pipeline/file_analyzer.hpp"
#include "road/signal_board.hpp"

using namespace vsp;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kGoldenVersion = 1;

/// What a golden file keeps of an event: the rule's decision, not ids or wall-clock times.
json normalise(const events::Event& e) {
  const json full = json::parse(events::to_json_line(e));
  json out = json::object();
  for (const char* k : {"type", "rule", "pts_s", "track_id", "class", "direction", "dwell_s", "count"})
    if (full.contains(k) && !full[k].is_null()) out[k] = full[k];
  for (const char* k : {"pts_s", "dwell_s"})
    if (out.contains(k)) out[k] = std::round(out[k].get<double>() * 1000) / 1000;
  // Road violations: what was measured is part of the decision (speeds, times against thresholds).
  if (const std::string t = full.value("type", "");
      t == "wrong_way" || t == "speeding" || t == "red_light" || t == "forbidden_stop" || t == "rail_crossing_entry")
    out["attributes"] = full["attributes"];
  return out;
}

struct CollectSink final : events::EventSink {
  std::vector<json> events;
  void write(const events::Event& e) override { events.push_back(normalise(e)); }
};

bool same(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return std::abs(a.get<double>() - b.get<double>()) <= 1e-3 + 1e-9;
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!b.contains(it.key()) || !same(it.value(), b[it.key()])) return false;
    return true;
  }
  return a == b;
}

}  // namespace

TEST(Golden, every_scene_replays_to_its_expected_events) {
  const fs::path root = fs::path(VSP_SOURCE_DIR) / "tests" / "golden";
  const bool bless = std::getenv("VSP_BLESS") && std::string(std::getenv("VSP_BLESS")) == "1";
  int scenes = 0;
  std::vector<fs::path> dirs;
  for (const auto& d : fs::directory_iterator(root))
    if (d.is_directory()) dirs.push_back(d.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    ++scenes;
    auto parsed = config::load_analyze_config((dir / "config.yml").string());
    ASSERT_TRUE(std::holds_alternative<config::AnalyzeConfig>(parsed)) << "bad config.yml";
    pipeline::ReplayOptions o;
    o.detections_path = (dir / "detections.txt").string();
    o.seqinfo_path = (dir / "seqinfo.ini").string();
    o.camera = std::get<config::AnalyzeConfig>(parsed).camera;
    // Road scenes: the detections' class and the signal timeline the rules read.
    if (std::ifstream cls(dir / "det_class.txt"); cls) {
      std::string name;
      cls >> name;
      const auto id = core::coco_id(name);
      ASSERT_TRUE(id.has_value()) << "det_class.txt: " << name;
      o.class_id = *id;
    }
    if (fs::exists(dir / "signals.jsonl")) {
      auto tl = road::read_signal_timeline((dir / "signals.jsonl").string());
      ASSERT_TRUE(tl.error.empty()) << tl.error;
      o.signal_timeline = tl.changes;
    }
    CollectSink sink;
    auto r = pipeline::run_replay(o, sink);
    ASSERT_TRUE(r.ok()) << r.error().message;

    const json header = {
        {"golden", "vsp events"},
        {"version", kGoldenVersion},
        {"time_base", "pts_s, seconds from the first frame"},
        {"frame", {r->width, r->height}},
        {"fps", r->fps},
        {"input", fs::exists(dir / "signals.jsonl")
                      ? "detections.txt (MOTChallenge), seqinfo.ini, config.yml, signals.jsonl, det_class.txt"
                      : "detections.txt (MOTChallenge), seqinfo.ini, config.yml"}};
    const fs::path expected_path = dir / "expected.jsonl";
    if (bless) {
      std::ofstream out(expected_path);
      out << header.dump() << "\n";
      for (const auto& e : sink.events) out << e.dump() << "\n";
      continue;
    }
    std::ifstream in(expected_path);
    ASSERT_TRUE(in) << expected_path << " missing: run scripts/bless-golden.sh";
    std::string line;
    std::getline(in, line);
    const json got_header = json::parse(line, nullptr, false);
    ASSERT_TRUE(same(got_header, header)) << "header differs: " << line;
    std::vector<json> expected;
    while (std::getline(in, line))
      if (!line.empty()) expected.push_back(json::parse(line));
    std::string diff;
    for (size_t i = 0; i < std::max(expected.size(), sink.events.size()); ++i) {
      const bool have_e = i < expected.size(), have_g = i < sink.events.size();
      if (have_e && have_g && same(expected[i], sink.events[i])) continue;
      if (have_e) diff += "- " + expected[i].dump() + "\n";
      if (have_g) diff += "+ " + sink.events[i].dump() + "\n";
    }
    EXPECT_TRUE(diff.empty()) << "events differ from " << expected_path << " (- expected, + got):\n" << diff;
  }
  EXPECT_GE(scenes, 10);
}

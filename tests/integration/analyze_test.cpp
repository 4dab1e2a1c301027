// vsp analyze on the real development clips, with the detector and tracker as shipped (and the
// tracker section of the clip's shipped example config, where it has one), against the hand-made
// ground truth in ../shared/data/counts_gt: totals per line and direction exact.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <variant>

#include "config/analyze_config.hpp"
#include "events/event_json.hpp"
#include "pipeline/file_analyzer.hpp"
#include "test_paths.hpp"

using namespace vsp;
using nlohmann::json;

namespace {

class CollectingSink final : public events::EventSink {
 public:
  void write(const events::Event& e) override { events.push_back(e); }
  std::vector<events::Event> events;
};

struct ClipCase {
  const char* gt_file;
  const char* video;
  std::vector<int> classes;       ///< line class filter
  const char* example = nullptr;  ///< examples/<this>: its tracker section is the scene's
  detect::Precision precision = detect::Precision::fp32;
};

void check_clip(const ClipCase& c) {
  std::ifstream in(data_dir() + "/counts_gt/" + c.gt_file);
  ASSERT_TRUE(in) << "missing ground truth " << c.gt_file;
  const json gt = json::parse(in);

  pipeline::AnalyzeOptions opts;
  opts.video_path = data_dir() + "/" + c.video;
  if (c.example) {
    auto cfg = config::load_analyze_config(std::string(VSP_SOURCE_DIR) + "/examples/" + c.example);
    ASSERT_TRUE(std::holds_alternative<config::AnalyzeConfig>(cfg)) << c.example;
    opts.camera.tracker = std::get<config::AnalyzeConfig>(cfg).camera.tracker;
  }
  for (const auto& l : gt["lines"]) {
    analytics::LineOptions lo;
    lo.name = l["name"].get<std::string>();
    lo.p1 = {l["p1"][0].get<double>(), l["p1"][1].get<double>()};
    lo.p2 = {l["p2"][0].get<double>(), l["p2"][1].get<double>()};
    lo.classes = c.classes;
    opts.camera.rules.lines.push_back(lo);
  }
  opts.camera.detector.precision = c.precision;
  CollectingSink sink;
  auto r = pipeline::run_analyze(opts, sink);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->frames, gt["frames"].get<long>());
  EXPECT_FALSE(r->damage.has_value());
  for (const auto& [name, totals] : r->lines) {
    EXPECT_EQ(totals.in, gt["totals"][name]["in"].get<long>()) << c.video << " line " << name << " in";
    EXPECT_EQ(totals.out, gt["totals"][name]["out"].get<long>()) << c.video << " line " << name << " out";
  }
  // Every ground-truth crossing is matched by one event of the same direction within ±3 frames
  // (the ground truth says ±2; one more for the hysteresis confirming on analysed frames).
  std::vector<bool> used(sink.events.size(), false);
  for (const auto& x : gt["crossings"]) {
    bool found = false;
    for (size_t i = 0; i < sink.events.size() && !found; ++i) {
      const auto& e = sink.events[i];
      if (used[i] || e.type != "line_crossing" || e.direction != x["direction"].get<std::string>()) continue;
      const auto frame = std::get<std::int64_t>(e.attributes.at("frame"));
      if (std::abs(frame - x["frame"].get<std::int64_t>()) <= 3) used[i] = found = true;
    }
    EXPECT_TRUE(found) << c.video << ": no event for crossing of object " << x["object"] << " at frame " << x["frame"];
  }
  // The JSON wire format of every event parses back.
  for (const auto& e : sink.events) {
    auto back = events::from_json_line(events::to_json_line(e));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->camera, std::filesystem::path(c.video).stem().string());
  }
}

}  // namespace

TEST(AnalyzeClips, car_detection_line_counts_are_exact) {
  // Top-down cars are labelled "cell phone"/"toilet"/... at low scores: this scene counts any
  // moving object, and its config starts tracks on weak detections (tracker 0.3 / 0.35).
  check_clip({"car-detection.json", "videos_traffic/car-detection.mp4", {}, "car-detection.yml"});
}

TEST(AnalyzeClips, one_by_one_person_line_counts_are_exact) {
  check_clip({"one-by-one-person-detection.json", "videos_people/one-by-one-person-detection.mp4", {0}});
}

// The same clips with the detector in int8 on the fast backend (issue 12): still exact.
TEST(AnalyzeClips, car_detection_line_counts_are_exact_in_int8) {
  check_clip(
      {"car-detection.json", "videos_traffic/car-detection.mp4", {}, "car-detection.yml", detect::Precision::int8});
}

TEST(AnalyzeClips, one_by_one_person_line_counts_are_exact_in_int8) {
  check_clip({"one-by-one-person-detection.json",
              "videos_people/one-by-one-person-detection.mp4",
              {0},
              nullptr,
              detect::Precision::int8});
}

TEST(AnalyzeClips, truncated_video_yields_results_up_to_the_damage) {
  const auto tmp = std::filesystem::temp_directory_path() / "vsp_truncated_test.mp4";
  {
    std::ifstream src(data_dir() + "/videos_traffic/car-detection.mp4", std::ios::binary);
    std::vector<char> buf(1'500'000);
    src.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::ofstream(tmp, std::ios::binary).write(buf.data(), src.gcount());
  }
  pipeline::AnalyzeOptions opts;
  opts.video_path = tmp.string();
  opts.camera.detector.model = "nanodet_m_320";
  opts.camera.detect_fps = 2.5;
  CollectingSink sink;
  auto r = pipeline::run_analyze(opts, sink);
  std::filesystem::remove(tmp);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->damage.has_value());
  EXPECT_GT(r->frames, 100);
  EXPECT_LT(r->frames, 377);
  EXPECT_LT(r->frames_analysed, r->frames / 3);
}

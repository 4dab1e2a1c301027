// Golden tests of the left/removed-object rule, FATE style, pixels included: each folder of
// tests/golden_objects/ holds a scene (scene.txt: what is drawn in each synthetic frame and which
// boxes the "detector" reports; written by make_scenes.py) and a config. The frames are rendered
// here (a textured floor, people and bags as textured boxes), run through the analysis core
// (static-foreground model, tracker, rules) with the listed detections and no model, and the
// object events must equal expected.jsonl (pts within 1 ms, boxes within 2 px). Re-bless with
// scripts/bless-golden.sh (VSP_BLESS=1) after an intended change and review the diff.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/analyze_config.hpp"
#include "core/coco.hpp"
#include "events/event_json.hpp"
#include "pipeline/camera_analysis.hpp"

using namespace vsp;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Row {
  int frame = 0;
  std::string cls;
  double x = 0, y = 0, w = 0, h = 0;
  bool detected = false;
};

struct Scene {
  int width = 0, height = 0, frames = 0;
  double fps = 0;
  std::vector<std::vector<Row>> rows;  ///< per frame, in file order (drawn in that order, people last)
};

Scene read_scene(const fs::path& path) {
  Scene s;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::sscanf(line.c_str(), "# size %d %d fps %lf frames %d", &s.width, &s.height, &s.fps, &s.frames);
  s.rows.resize(static_cast<size_t>(std::max(0, s.frames)));
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream ss(line);
    Row r;
    int det = 0;
    ss >> r.frame >> r.cls >> r.x >> r.y >> r.w >> r.h >> det;
    r.detected = det != 0;
    if (r.frame >= 0 && r.frame < s.frames) s.rows[static_cast<size_t>(r.frame)].push_back(r);
  }
  return s;
}

/// A floor with some texture; people striped dark, bags a checkered brown-orange.
core::Image render(const Scene& s, int frame) {
  core::Image img;
  img.width = s.width;
  img.height = s.height;
  img.bgr.resize(static_cast<size_t>(s.width) * s.height * 3);
  img.ts = {frame, frame / s.fps};
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x) {
      const int v = 110 + static_cast<int>(20 * std::sin(x * 0.21) * std::cos(y * 0.17)) + ((x * 7 + y * 13) % 11);
      auto* p = &img.bgr[(static_cast<size_t>(y) * s.width + x) * 3];
      p[0] = static_cast<std::uint8_t>(v);
      p[1] = static_cast<std::uint8_t>(v + 10);
      p[2] = static_cast<std::uint8_t>(v + 25);
    }
  auto draw = [&](const Row& r) {
    const bool person = r.cls == "person";
    const int x1 = std::max(0, static_cast<int>(r.x)), y1 = std::max(0, static_cast<int>(r.y));
    const int x2 = std::min(s.width, static_cast<int>(r.x + r.w)), y2 = std::min(s.height, static_cast<int>(r.y + r.h));
    for (int y = y1; y < y2; ++y)
      for (int x = x1; x < x2; ++x) {
        auto* p = &img.bgr[(static_cast<size_t>(y) * s.width + x) * 3];
        if (person) {
          const int v = 40 + ((y / 6) % 2) * 25;
          p[0] = static_cast<std::uint8_t>(v + 20);
          p[1] = static_cast<std::uint8_t>(v);
          p[2] = static_cast<std::uint8_t>(v);
        } else {
          const int v = (((x - x1) / 4 + (y - y1) / 4) % 2) * 30;
          p[0] = static_cast<std::uint8_t>(30 + v);
          p[1] = static_cast<std::uint8_t>(80 + v);
          p[2] = static_cast<std::uint8_t>(170 + v / 2);
        }
      }
  };
  const auto& rows = s.rows[static_cast<size_t>(frame)];
  for (const auto& r : rows)
    if (r.cls != "person") draw(r);
  for (const auto& r : rows)
    if (r.cls == "person") draw(r);
  return img;
}

json normalise(const events::Event& e) {
  json out = {{"type", e.type},
              {"rule", e.rule},
              {"pts_s", std::round(e.pts_s * 1000) / 1000},
              {"track_id", e.track_id},
              {"class", e.class_name}};
  if (e.box) out["box"] = *e.box;
  return out;
}

struct CollectSink final : events::EventSink {
  std::vector<json> events;
  void write(const events::Event& e) override {
    if (e.type.rfind("object_", 0) == 0) events.push_back(normalise(e));
  }
};

bool same(const json& a, const json& b, double tol = 1e-3) {
  if (a.is_number() && b.is_number()) return std::abs(a.get<double>() - b.get<double>()) <= tol + 1e-9;
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!same(a[i], b[i], tol)) return false;
    return true;
  }
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!b.contains(it.key()) || !same(it.value(), b[it.key()], it.key() == "box" ? 2.0 : 1e-3)) return false;
    return true;
  }
  return a == b;
}

}  // namespace

TEST(Golden, object_scenes_render_and_replay_to_their_expected_events) {
  const fs::path root = fs::path(VSP_SOURCE_DIR) / "tests" / "golden_objects";
  const bool bless = std::getenv("VSP_BLESS") && std::string(std::getenv("VSP_BLESS")) == "1";
  std::vector<fs::path> dirs;
  for (const auto& d : fs::directory_iterator(root))
    if (d.is_directory()) dirs.push_back(d.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    auto parsed = config::load_analyze_config((dir / "config.yml").string());
    ASSERT_TRUE(std::holds_alternative<config::AnalyzeConfig>(parsed)) << "bad config.yml";
    const Scene scene = read_scene(dir / "scene.txt");
    ASSERT_GT(scene.frames, 0);
    pipeline::CameraAnalysisOptions o;
    o.camera = dir.filename().string();
    o.config = std::get<config::AnalyzeConfig>(parsed).camera;
    o.nominal_fps = scene.fps;
    CollectSink sink;
    auto core = pipeline::CameraAnalysis::create(o, sink);
    ASSERT_TRUE(core.ok()) << core.error().message;
    (*core)->start_stream(scene.width, scene.height, 0, "golden scene");
    for (int f = 0; f < scene.frames; ++f) {
      const core::Image img = render(scene, f);
      core::Detections dets;
      for (const auto& r : scene.rows[static_cast<size_t>(f)])
        if (r.detected)
          dets.push_back({{static_cast<float>(r.x), static_cast<float>(r.y), static_cast<float>(r.x + r.w),
                           static_cast<float>(r.y + r.h)},
                          0.9f,
                          core::coco_id(r.cls).value_or(0)});
      if ((*core)->offer(img)) (*core)->update(dets, img.ts, &img);
    }
    (*core)->finish();

    const json header = {{"golden", "vsp object events"},
                         {"version", 1},
                         {"time_base", "pts_s, seconds from the first frame"},
                         {"frame", {scene.width, scene.height}},
                         {"fps", scene.fps},
                         {"input", "scene.txt (rendered), config.yml"}};
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
    ASSERT_TRUE(same(json::parse(line, nullptr, false), header)) << "header differs: " << line;
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
  EXPECT_GE(dirs.size(), 5u);
}

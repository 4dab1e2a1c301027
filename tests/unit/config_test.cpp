#include <gtest/gtest.h>

#include "config/analyze_config.hpp"
#include "config/serve_config.hpp"

using namespace vsp;

namespace {
config::ConfigErrors errors_of(const std::string& yaml) {
  auto r = config::parse_analyze_config(yaml, "t.yml");
  if (auto* e = std::get_if<config::ConfigErrors>(&r)) return *e;
  return {};
}
}  // namespace

TEST(Config, valid_config_parses_every_field) {
  auto r = config::parse_analyze_config(R"(
detector:
  model: nanodet_m_320
  classes: [person, car]
  detect_fps: 5
rules:
  lines:
    - name: mid
      p1: [0.05, 0.5]
      p2: [0.95, 0.5]
      classes: [car, bus]
  zones:
    - name: lobby
      polygon: [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
)",
                                        "t.yml");
  ASSERT_TRUE(std::holds_alternative<config::AnalyzeConfig>(r));
  const auto& c = std::get<config::AnalyzeConfig>(r).camera;
  EXPECT_EQ(c.detector.model, "nanodet_m_320");
  EXPECT_EQ(c.detector.classes, (std::vector<int>{0, 2}));
  EXPECT_DOUBLE_EQ(*c.detect_fps, 5);
  ASSERT_EQ(c.rules.lines.size(), 1u);
  EXPECT_DOUBLE_EQ(c.rules.lines[0].p2.x, 0.95);
  EXPECT_EQ(c.rules.lines[0].classes, (std::vector<int>{2, 5}));
  ASSERT_EQ(c.rules.zones.size(), 1u);
}

TEST(Config, every_error_is_reported_at_once_with_line_and_path) {
  const auto errs = errors_of(R"(detector:
  model: yolo9000
  colour: red
rules:
  lines:
    - name: a
      p1: [0.1, 0.5]
      p2: [0.9, 0.5, 0.3]
)");
  ASSERT_EQ(errs.size(), 3u);
  EXPECT_EQ(errs[0].to_string().rfind("t.yml:2: detector.model: unknown model 'yolo9000'", 0), 0u)
      << errs[0].to_string();
  EXPECT_EQ(errs[1].line, 3);
  EXPECT_EQ(errs[1].path, "detector.colour");
  EXPECT_EQ(errs[2].to_string(), "t.yml:8: rules.lines[0].p2: expected 2 numbers in 0..1, got 3 values");
}

TEST(Config, bad_geometry_is_rejected) {
  EXPECT_EQ(errors_of("rules:\n  lines:\n    - {name: a, p1: [0.5, 0.5], p2: [0.5, 0.5]}\n").size(), 1u);
  EXPECT_EQ(errors_of("rules:\n  lines:\n    - {name: a, p1: [0.5, 1.5], p2: [0.5, 0.5]}\n").size(), 1u);
  EXPECT_EQ(errors_of("rules:\n  zones:\n    - {name: z, polygon: [[0,0],[1,1],[1,0],[0,1]]}\n").size(), 1u);
  EXPECT_EQ(errors_of("rules:\n  zones:\n    - {name: z, polygon: [[0,0],[1,1]]}\n").size(), 1u);
  EXPECT_EQ(
      errors_of("rules:\n  lines:\n    - {name: a, p1: [0,0], p2: [1,1]}\n    - {name: a, p1: [0,0], p2: [1,0]}\n")
          .size(),
      1u);
}

TEST(Config, unknown_class_and_bad_types_are_errors) {
  EXPECT_EQ(errors_of("detector:\n  classes: [person, unicorn]\n").size(), 1u);
  EXPECT_EQ(errors_of("detector:\n  detect_fps: fast\n").size(), 1u);
  EXPECT_EQ(errors_of("detector:\n  detect_fps: 0\n").size(), 1u);
  EXPECT_EQ(errors_of("speed: 3\n").size(), 1u);
  EXPECT_EQ(errors_of("detector: [1, 2\n").size(), 1u);  // YAML syntax
}

TEST(Config, empty_file_is_the_default_config) {
  auto r = config::parse_analyze_config("", "t.yml");
  ASSERT_TRUE(std::holds_alternative<config::AnalyzeConfig>(r));
  EXPECT_EQ(std::get<config::AnalyzeConfig>(r).camera.detector.model, "yolox_nano");
}

TEST(ServeConfig, cameras_inherit_the_top_level_detector_and_override_it) {
  auto r = config::parse_serve_config(R"(
detector: {model: nanodet_m_320, classes: [person]}
cameras:
  - name: gate
    record_url: rtsp://10.0.0.5/main
    detect_url: rtsp://10.0.0.5/sub
    detect_fps: 5
    rules:
      lines: [{name: mid, p1: [0, 0.5], p2: [1, 0.5]}]
  - name: door
    record_url: /videos/door.mp4
    detector: {model: yolox_nano}
storage: {path: /tmp/x, retention: {max_age_days: 7, max_disk_gb: 100}}
api: {listen: 127.0.0.1:8080}
)",
                                      "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ServeConfig>(r));
  const auto& c = std::get<config::ServeConfig>(r);
  ASSERT_EQ(c.cameras.size(), 2u);
  EXPECT_EQ(c.cameras[0].camera.detector.model, "nanodet_m_320");
  EXPECT_EQ(c.cameras[0].detect_url, "rtsp://10.0.0.5/sub");
  EXPECT_EQ(c.cameras[0].camera.rules.lines.size(), 1u);
  EXPECT_EQ(c.cameras[1].camera.detector.model, "yolox_nano");
  EXPECT_EQ(c.cameras[1].camera.detector.classes, std::vector<int>{0});  // inherited
  EXPECT_EQ(c.cameras[1].detect_url, "/videos/door.mp4");
  EXPECT_DOUBLE_EQ(*c.max_disk_gb, 100);
}

TEST(ServeConfig, errors_are_addressed_by_camera_name) {
  auto r = config::parse_serve_config(R"(cameras:
  - name: gate
    record_url: rtsp://x
    rules:
      lines: [{name: a, p1: [0, 0.5], p2: [1, 0.5, 2]}]
  - name: gate
    record_url: rtsp://y
)",
                                      "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ConfigErrors>(r));
  const auto& e = std::get<config::ConfigErrors>(r);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].path, "cameras[gate].rules.lines[0].p2");
  EXPECT_EQ(e[1].to_string(), "s.yml:6: cameras[1].name: duplicate camera name 'gate'");
}

TEST(ServeConfig, api_binds_loopback_only_and_cameras_are_required) {
  EXPECT_TRUE(std::holds_alternative<config::ConfigErrors>(
      config::parse_serve_config("cameras: [{name: a, record_url: x}]\napi: {listen: 0.0.0.0:8080}\n", "s.yml")));
  EXPECT_TRUE(std::holds_alternative<config::ConfigErrors>(config::parse_serve_config("cameras: []\n", "s.yml")));
  EXPECT_TRUE(config::looks_like_serve_config("cameras: []\n"));
  EXPECT_FALSE(config::looks_like_serve_config("rules: {}\n"));
}

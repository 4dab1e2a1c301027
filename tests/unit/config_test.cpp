#include <gtest/gtest.h>

#include <fstream>

#include "config/analyze_config.hpp"
#include "config/rules_json.hpp"
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

TEST(Config, analyze_motion_gating_is_off_unless_the_config_has_motion) {
  auto off = config::parse_analyze_config("detector: {model: yolox_nano}\n", "t.yml");
  ASSERT_TRUE(std::holds_alternative<config::AnalyzeConfig>(off));
  EXPECT_FALSE(std::get<config::AnalyzeConfig>(off).camera.motion.enabled);
  EXPECT_FALSE(config::default_analyze_config().camera.motion.enabled);
  auto on = config::parse_analyze_config("motion: {min_changed_fraction: 0.01, max_interval_s: 2}\n", "t.yml");
  ASSERT_TRUE(std::holds_alternative<config::AnalyzeConfig>(on));
  const auto& c = std::get<config::AnalyzeConfig>(on).camera;
  EXPECT_TRUE(c.motion.enabled);
  EXPECT_DOUBLE_EQ(c.motion.min_changed_fraction, 0.01);
  EXPECT_DOUBLE_EQ(c.max_detect_interval_s, 2);
  auto explicit_off = config::parse_analyze_config("motion: {enabled: false}\n", "t.yml");
  EXPECT_FALSE(std::get<config::AnalyzeConfig>(explicit_off).camera.motion.enabled);
}

TEST(ServeConfig, top_level_motion_is_every_cameras_default_and_gating_is_on_by_default) {
  auto r = config::parse_serve_config(R"(motion: {max_interval_s: 3}
cameras:
  - {name: a, record_url: x}
  - {name: b, record_url: y, motion: {enabled: false}}
)",
                                      "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ServeConfig>(r));
  const auto& c = std::get<config::ServeConfig>(r);
  EXPECT_TRUE(c.cameras[0].camera.motion.enabled);
  EXPECT_DOUBLE_EQ(c.cameras[0].camera.max_detect_interval_s, 3);
  EXPECT_FALSE(c.cameras[1].camera.motion.enabled);
  EXPECT_DOUBLE_EQ(c.cameras[1].camera.max_detect_interval_s, 3);  // inherited key by key
}

TEST(ServeConfig, storage_retention_and_uplink_keys_parse) {
  auto r = config::parse_serve_config(R"(cameras: [{name: a, record_url: x}]
storage:
  max_pending_events: 500
  retention: {min_free_gb: 20, min_free_percent: 10, events_max_age_days: 90, snapshots_max_age_days: 30}
uplink:
  nats: {servers: [nats://10.0.0.1:4222, tls://center:4222]}
  max_outbox_events: 5000
  heartbeat_s: 2.5
)",
                                      "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ServeConfig>(r));
  const auto& c = std::get<config::ServeConfig>(r);
  EXPECT_EQ(c.max_pending_events, 500);
  EXPECT_DOUBLE_EQ(*c.min_free_gb, 20);
  EXPECT_DOUBLE_EQ(c.min_free_percent, 10);
  EXPECT_DOUBLE_EQ(*c.events_max_age_days, 90);
  EXPECT_DOUBLE_EQ(*c.snapshots_max_age_days, 30);
  ASSERT_TRUE(c.uplink.has_value());
  EXPECT_EQ(c.uplink->servers, (std::vector<std::string>{"nats://10.0.0.1:4222", "tls://center:4222"}));
  EXPECT_EQ(c.uplink->max_outbox_events, 5000);
  EXPECT_DOUBLE_EQ(c.uplink->heartbeat_s, 2.5);

  auto d = config::parse_serve_config("cameras: [{name: a, record_url: x}]\n", "s.yml");
  const auto& dc = std::get<config::ServeConfig>(d);
  EXPECT_FALSE(dc.uplink.has_value());
  EXPECT_FALSE(dc.min_free_gb.has_value());
  EXPECT_DOUBLE_EQ(dc.min_free_percent, 5);
  EXPECT_EQ(dc.max_pending_events, 10000);
}

TEST(ServeConfig, uplink_needs_nats_urls) {
  auto r = config::parse_serve_config(
      "cameras: [{name: a, record_url: x}]\nuplink: {nats: {servers: [http://center:4222]}}\n", "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ConfigErrors>(r));
  EXPECT_EQ(std::get<config::ConfigErrors>(r)[0].path, "uplink.nats.servers");
  auto m = config::parse_serve_config("cameras: [{name: a, record_url: x}]\nuplink: {heartbeat_s: 1}\n", "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ConfigErrors>(m));
  EXPECT_EQ(std::get<config::ConfigErrors>(m)[0].message, "missing required key 'nats'");
}

TEST(Config, bounds_read_closed_in_errors) {
  auto e = errors_of("rules:\n  zones:\n    - {name: z, polygon: [[0,0],[1,0],[1,1]], dwell_threshold_s: 0}\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].message, "expected a number > 0 and ≤ 10000000, got 0");
  e = errors_of("tracker: {min_hits: 0}\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].message, "expected an integer in 1..30, got 0");
  e = errors_of("detector: {score_threshold: 1.5}\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].message, "expected a number in 0..1, got 1.5");
}

TEST(ServeConfig, cameras_are_named_in_paths_even_for_errors_before_the_name) {
  auto r = config::parse_serve_config(R"(cameras:
  - colour: red
    detect_width: 10
    name: gate
    record_url: rtsp://x
  - name: "bad name"
    record_url: rtsp://y
    detect_width: 10
)",
                                      "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ConfigErrors>(r));
  const auto& e = std::get<config::ConfigErrors>(r);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].path, "cameras[gate].colour");
  EXPECT_EQ(e[1].path, "cameras[gate].detect_width");
  EXPECT_EQ(e[2].path, "cameras[1].name");  // no valid name: the index
  EXPECT_EQ(e[3].path, "cameras[1].detect_width");
}

TEST(Config, config_files_that_cannot_be_configs_say_why) {
  const std::string dir = ::testing::TempDir();
  auto as_error = [](const std::string& path) {
    auto r = config::read_config_file(path);
    return std::holds_alternative<config::ConfigErrors>(r) ? std::get<config::ConfigErrors>(r)[0].to_string()
                                                           : std::string("ok");
  };
  EXPECT_NE(as_error(dir).find("it is a directory"), std::string::npos) << as_error(dir);
  EXPECT_NE(as_error(dir + "/no-such.yml").find("No such file or directory"), std::string::npos);
  const std::string empty = dir + "/vsp_empty_config.yml";
  std::ofstream(empty) << "# only a comment\n";
  EXPECT_NE(as_error(empty).find("the config file is empty"), std::string::npos) << as_error(empty);
  const std::string bad = dir + "/vsp_bad_yaml.yml";
  std::ofstream(bad) << "detector:\n  model: [yolox\n";
  EXPECT_NE(as_error(bad).find("vsp_bad_yaml.yml:3: YAML syntax error"), std::string::npos) << as_error(bad);
  const std::string good = dir + "/vsp_good_config.yml";
  std::ofstream(good) << "detector: {model: yolox_nano}\n";
  EXPECT_EQ(as_error(good), "ok");
}

TEST(ServeConfig, a_serve_config_without_cameras_is_told_so) {
  const std::string text = "site: shop\nstorage: {path: /tmp/x}\n";
  EXPECT_TRUE(config::looks_like_serve_config(text));
  EXPECT_FALSE(config::looks_like_serve_config("detector: {model: yolox_nano}\nmotion: {}\n"));
  auto r = config::parse_serve_config(text, "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ConfigErrors>(r));
  EXPECT_EQ(std::get<config::ConfigErrors>(r)[0].to_string(), "s.yml:1: missing required key 'cameras'");
}

TEST(Config, absurd_object_watch_times_are_errors_with_their_path) {
  const std::string zone = "rules:\n  zones:\n    - {name: z, polygon: [[0,0],[1,0],[1,1]], ";
  EXPECT_TRUE(errors_of(zone + "abandoned_after_s: 30, removed_after_s: 5}\n").empty());
  const auto e = errors_of(zone + "abandoned_after_s: -3, removed_after_s: 1e9}\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].path, "rules.zones[0].abandoned_after_s");
  EXPECT_NE(e[0].message.find("> 0"), std::string::npos) << e[0].message;
  EXPECT_EQ(e[1].path, "rules.zones[0].removed_after_s");
  EXPECT_EQ(errors_of(zone + "abandoned_after_s: 0}\n").size(), 1u);
  EXPECT_EQ(errors_of(zone + "abandoned_after_s: soon}\n").size(), 1u);
  auto ok = config::parse_analyze_config(zone + "abandoned_after_s: 30}\n", "t.yml");
  ASSERT_TRUE(std::holds_alternative<config::AnalyzeConfig>(ok));
  const auto& z = std::get<config::AnalyzeConfig>(ok).camera.rules.zones.at(0);
  EXPECT_EQ(z.abandoned_after_s, 30.0);
  EXPECT_FALSE(z.removed_after_s.has_value());
}

// Found by fuzz_config: a list item that is not a map is reported and skipped, so the road checks
// that look up an item's key again must not index a scalar (yaml-cpp throws, the process aborted).
TEST(Config, road_checks_survive_list_items_that_are_not_maps) {
  const auto stop = errors_of(
      "signals:\n  - {name: main}\nrules:\n  stop_lines:\n    - x\n"
      "    - {name: stop, p1: [0.3, 0.6], p2: [0.6, 0.6], signal: nope}\n");
  ASSERT_EQ(stop.size(), 2u);
  EXPECT_EQ(stop[0].path, "rules.stop_lines[0]");
  EXPECT_EQ(stop[1].path, "rules.stop_lines[1].signal");
  EXPECT_EQ(stop[1].line, 6);  // the second item's `signal`, the one that was read
  EXPECT_NE(stop[1].message.find("unknown signal 'nope'"), std::string::npos) << stop[1].message;
  const auto zone = errors_of(
      "signals:\n  - 3\n  - {name: main}\n  - {name: main}\nrules:\n  zones:\n    - x\n"
      "    - {name: z, polygon: [[0,0],[1,0],[1,1]], queue_signal: nope}\n");
  bool dup = false, unknown = false;
  for (const auto& e : zone) {
    dup = dup || (e.line == 4 && e.path == "signals[2].name" && e.message == "duplicate signal name 'main'");
    unknown = unknown || (e.line == 8 && e.path == "rules.zones[1].queue_signal");
  }
  EXPECT_TRUE(dup && unknown) << zone.size();
}

TEST(RulesJson, rules_shown_by_the_api_parse_back_to_the_same_rules) {
  const auto parsed = config::parse_analyze_config(
      "rules:\n  lines: [{name: gate, p1: [0.1, 0.5], p2: [0.9, 0.5], classes: [car, truck], min_frames: 3}]\n"
      "  zones: [{name: lot, polygon: [[0, 0], [1, 0], [1, 1]], dwell_threshold_s: 30}]\n",
      "t.yml");
  ASSERT_TRUE(std::holds_alternative<config::AnalyzeConfig>(parsed));
  const auto& rules = std::get<config::AnalyzeConfig>(parsed).camera.rules;
  const auto j = config::rules_to_json(rules);
  EXPECT_EQ(j["lines"][0]["classes"], nlohmann::json({"car", "truck"}));
  EXPECT_FALSE(j["zones"][0].contains("max_occupancy")) << "unset optional keys are left out";
  const auto back = config::rules_from_json(j);
  ASSERT_TRUE(std::holds_alternative<analytics::RulesOptions>(back))
      << std::get<config::ConfigErrors>(back).front().to_string() << "\n"
      << j.dump();
  EXPECT_EQ(config::rules_to_json(std::get<analytics::RulesOptions>(back)), j);
  EXPECT_EQ(std::get<analytics::RulesOptions>(back).lines[0].min_frames, 3);
}

TEST(RulesJson, json_rules_get_the_config_files_checks_and_paths) {
  const auto r = config::rules_from_json(nlohmann::json::parse(
      R"({"lines": [{"name": "a", "p1": [0.1, 0.2], "p2": [0.1, 0.2]}], "zones": [{"name": "a", "polygon": [[0, 0]]}], "x": 1})"));
  ASSERT_TRUE(std::holds_alternative<config::ConfigErrors>(r));
  std::vector<std::string> paths;
  for (const auto& e : std::get<config::ConfigErrors>(r)) paths.push_back(e.path);
  for (const char* want : {"rules.x", "rules.lines[0].p2", "rules.zones[0].polygon", "rules.zones[0].name"})
    EXPECT_NE(std::find(paths.begin(), paths.end(), want), paths.end()) << want;
}

namespace {
/// A camera with a mask and a 4-point calibration, as a config file sets them.
config::CameraConfig camera_with_mask_and_calibration() {
  const auto parsed = config::parse_analyze_config(
      "rules: {lines: [{name: gate, p1: [0.1, 0.5], p2: [0.9, 0.5]}]}\n"
      "privacy_masks: [{name: window, polygon: [[0, 0], [0.2, 0], [0.2, 0.2]]}, {polygon: [[0.5, 0.5], [0.7, 0.5], "
      "[0.7, 0.7]]}]\n"
      "calibration: {points: [{image: [0.1, 0.5], world: [0, 0]}, {image: [0.9, 0.5], world: [8, 0]},\n"
      "                       {image: [0.9, 0.9], world: [8, 4]}, {image: [0.1, 0.9], world: [0, 4]}]}\n",
      "t.yml");
  EXPECT_TRUE(std::holds_alternative<config::AnalyzeConfig>(parsed));
  return std::get<config::AnalyzeConfig>(parsed).camera;
}
std::vector<std::string> error_paths(const std::variant<config::CameraRules, config::ConfigErrors>& r) {
  std::vector<std::string> paths;
  if (const auto* e = std::get_if<config::ConfigErrors>(&r))
    for (const auto& x : *e) paths.push_back(x.path);
  return paths;
}
}  // namespace

TEST(RulesJson, the_run_time_rules_document_round_trips_with_masks_and_calibration) {
  const auto cam = camera_with_mask_and_calibration();
  const auto doc = config::camera_rules_to_json(config::camera_rules_of(cam));
  EXPECT_EQ(doc["privacy_masks"][0]["name"], "window");
  EXPECT_EQ(doc["privacy_masks"][0]["polygon"].size(), 3u);
  EXPECT_FALSE(doc["privacy_masks"][1].contains("name"))
      << "an unnamed mask is shown without a name, as a file gives it";
  EXPECT_EQ(doc["calibration"]["points"][2]["world"], nlohmann::json({8.0, 4.0}));
  EXPECT_EQ(doc["rules"]["lines"][0]["name"], "gate");
  const auto back = config::camera_rules_from_json(doc, config::CameraConfig{});
  ASSERT_TRUE(std::holds_alternative<config::CameraRules>(back)) << nlohmann::json(error_paths(back)).dump();
  EXPECT_EQ(config::camera_rules_to_json(std::get<config::CameraRules>(back)), doc);
}

TEST(RulesJson, a_document_replaces_masks_and_calibration_and_keeps_the_keys_it_leaves_out) {
  const auto cam = camera_with_mask_and_calibration();
  // New mask, calibration removed; rules left out = the camera's current rules.
  const auto r = config::camera_rules_from_json(
      nlohmann::json::parse(
          R"({"privacy_masks": [{"name": "door", "polygon": [[0.5, 0.5], [0.9, 0.5], [0.9, 0.9], [0.5, 0.9]]}],
                                "calibration": null})"),
      cam);
  ASSERT_TRUE(std::holds_alternative<config::CameraRules>(r)) << nlohmann::json(error_paths(r)).dump();
  const auto& got = std::get<config::CameraRules>(r);
  ASSERT_EQ(got.privacy_masks.size(), 1u);
  EXPECT_EQ(got.privacy_masks[0].name, "door");
  EXPECT_EQ(got.privacy_masks[0].polygon.size(), 4u);
  EXPECT_FALSE(got.calibration.has_value());
  ASSERT_EQ(got.rules.lines.size(), 1u);
  EXPECT_EQ(got.rules.lines[0].name, "gate");
  // Only rules: the masks and the calibration stay.
  const auto kept = config::camera_rules_from_json(nlohmann::json::parse(R"({"rules": {"lines": []}})"), cam);
  ASSERT_TRUE(std::holds_alternative<config::CameraRules>(kept));
  EXPECT_EQ(std::get<config::CameraRules>(kept).privacy_masks.size(), 2u);
  EXPECT_TRUE(std::get<config::CameraRules>(kept).calibration.has_value());
  EXPECT_TRUE(std::get<config::CameraRules>(kept).rules.lines.empty());
}

TEST(RulesJson, bad_masks_and_calibrations_get_the_config_files_field_errors) {
  const auto cam = camera_with_mask_and_calibration();
  const auto r = config::camera_rules_from_json(nlohmann::json::parse(R"({
      "privacy_masks": [{"polygon": [[0.1, 0.1], [0.2, 0.2]]}, {"polygon": [[0.1, 0.1], [1.4, 0.1], [0.5, 0.5]]}],
      "calibration": {"points": [{"image": [0.1, 0.1], "world": [0, 0]}, {"image": [0.2, 0.2], "world": [1, 1]},
                                 {"image": [0.3, 0.3], "world": [2, 2]}, {"image": [0.4, 0.4], "world": [3, 3]}]},
      "detector": {}})"),
                                                cam);
  const auto unknown = error_paths(r);
  ASSERT_EQ(unknown, std::vector<std::string>{"detector"}) << "keys other than the document's are refused first";
  const auto bad = config::camera_rules_from_json(nlohmann::json::parse(R"({
      "privacy_masks": [{"polygon": [[0.1, 0.1], [0.2, 0.2]]}, {"polygon": [[0.1, 0.1], [1.4, 0.1], [0.5, 0.5]]}],
      "calibration": {"points": [{"image": [0.1, 0.1], "world": [0, 0]}, {"image": [0.2, 0.2], "world": [1, 1]},
                                 {"image": [0.3, 0.3], "world": [2, 2]}, {"image": [0.4, 0.4], "world": [3, 3]}]}})"),
                                                  cam);
  const auto paths = error_paths(bad);
  for (const char* want : {"privacy_masks[0].polygon", "privacy_masks[1].polygon[1][0]", "calibration.points"})
    EXPECT_NE(std::find(paths.begin(), paths.end(), want), paths.end())
        << want << " in " << nlohmann::json(paths).dump();
  // Three points are too few for a calibration.
  const auto few = config::camera_rules_from_json(
      nlohmann::json::parse(R"({"calibration": {"points": [{"image": [0.1, 0.1], "world": [0, 0]},
          {"image": [0.9, 0.1], "world": [5, 0]}, {"image": [0.9, 0.9], "world": [5, 5]}]}})"),
      cam);
  EXPECT_EQ(error_paths(few), std::vector<std::string>{"calibration.points"});
}

TEST(ServeConfig, detector_backend_is_global_and_per_camera) {
  auto r = config::parse_serve_config(R"(
detector: {model: nanodet_m_320, backend: opencv}
cameras:
  - name: gate
    record_url: rtsp://10.0.0.5/main
  - name: door
    record_url: /videos/door.mp4
    detector: {backend: fast, precision: fp32}
storage: {path: /tmp/x}
)",
                                      "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ServeConfig>(r));
  const auto& c = std::get<config::ServeConfig>(r);
  ASSERT_EQ(c.cameras.size(), 2u);
  EXPECT_EQ(c.cameras[0].camera.detector.backend, detect::Backend::opencv);
  EXPECT_EQ(c.cameras[1].camera.detector.backend, detect::Backend::fast);
  EXPECT_EQ(c.cameras[1].camera.detector.model, "nanodet_m_320");  // the rest inherited
  EXPECT_EQ(config::default_analyze_config().camera.detector.backend, detect::Backend::automatic);
  EXPECT_EQ(config::default_analyze_config().camera.detector.precision, detect::Precision::fp32);
  const auto bad = errors_of("detector: {backend: gpu}\n");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].path.find("detector.backend"), std::string::npos) << bad[0].path;
}

#include "config/analyze_config.hpp"
#include "config/serve_config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/coco.hpp"
#include "core/geometry.hpp"

namespace vsp::config {

std::string ConfigError::to_string() const {
  std::string s = file;
  if (line > 0) s += fmt::format(":{}", line);
  s += ": ";
  if (!path.empty()) s += path + ": ";
  return s + message;
}

namespace {

// ---- Declarations: every option once (key, type, default, unit, bounds, description) --------
// The parser checks keys against these tables and `reference_markdown` prints them.
struct Field {
  const char* key;
  const char* type;
  const char* default_value;
  const char* unit;
  const char* bounds;
  const char* description;
};
struct Section {
  const char* path;
  std::vector<Field> fields;
};

const std::vector<Section>& sections() {
  static const std::vector<Section> s = {
      {"",
       {{"detector", "map", "", "", "", "object detector settings"},
        {"tracker", "map", "", "", "", "multi-object tracker settings"},
        {"rules", "map", "", "", "", "counting lines and zones"},
        {"anpr", "map", "off", "", "", "licence-plate reading for vehicle tracks"},
        {"detect_fps", "number", "every frame", "1/s", "> 0", "override of detector.detect_fps for this camera"}}},
      {"detector",
       {{"model", "enum", "yolox_nano", "",
         "yolox_nano, nanodet_m_320, nanodet_m_416, picodet_s_320, picodet_s_416, person_lwpd", "detection model"},
        {"classes", "list of COCO names", "all", "", "COCO-80 names", "classes to keep"},
        {"detect_fps", "number", "every frame", "1/s", "> 0", "how often the detector runs"},
        {"score_threshold", "number", "model's own", "", "0..1", "minimum detection score"},
        {"nms_iou", "number", "model's own", "", "0..1", "NMS IoU threshold within a class"},
        {"threads", "integer", "0 (OpenCV default)", "", ">= 0", "inference threads"}}},
      {"tracker",
       {{"high_score", "number", "0.3", "", "0..1", "detections at or above join the first association"},
        {"low_score", "number", "0.1", "", "0..1", "detections below are ignored"},
        {"new_track_score", "number", "0.35", "", "0..1", "score needed to start a track"},
        {"lost_buffer_s", "number", "1.0", "s", "> 0", "how long an unseen track may come back"},
        {"min_hits", "integer", "2", "frames", "1..30", "matches in a row to confirm a track"}}},
      {"anpr",
       {{"region", "enum", "auto", "", "us, eu, br, ru, auto", "plate grammar used for voting and validation"},
        {"min_plate_px", "integer", "40", "px", "8..1000", "plates narrower than this are not read"},
        {"min_vehicle_px", "integer", "120", "px", "16..4000", "vehicle boxes narrower than this are not searched"},
        {"reads_per_s", "number", "2", "1/s", "> 0", "plate reads per track and second"},
        {"max_reads", "integer", "8", "", "1..100", "plate reads per track at most"},
        {"min_confidence", "number", "0.6", "", "0..1", "consensus below this is a candidate, not a fact"}}},
      {"rules", {{"lines", "list", "[]", "", "", "counting lines"}, {"zones", "list", "[]", "", "", "polygon zones"}}},
      {"rules.lines[]",
       {{"name", "string", "(required)", "", "unique", "rule name in events and summary"},
        {"p1", "[x, y]", "(required)", "normalised", "0..1", "segment start"},
        {"p2", "[x, y]", "(required)", "normalised", "0..1", "segment end; in = left to right of p1->p2"},
        {"classes", "list of COCO names", "all", "", "", "classes counted"},
        {"anchor", "enum", "bottom_center", "", "bottom_center, center", "point of the box that crosses"},
        {"min_frames", "integer", "2", "frames", "1..100", "frames on the new side to confirm"},
        {"min_distance", "number", "0.01", "frame diagonal", "0..0.2", "dead band either side of the line"}}},
      {"rules.zones[]",
       {{"name", "string", "(required)", "", "unique", "rule name"},
        {"polygon", "[[x, y], ...]", "(required)", "normalised", ">= 3 points in 0..1, simple", "zone outline"},
        {"classes", "list of COCO names", "all", "", "", "classes counted"},
        {"anchor", "enum", "bottom_center", "", "bottom_center, center", "point of the box that must be inside"},
        {"enter_frames", "integer", "3", "frames", "1..100", "frames inside before an entry counts"},
        {"exit_frames", "integer", "3", "frames", "1..100", "frames outside before an exit counts"},
        {"dwell_threshold_s", "number", "none", "s", "> 0", "emit zone_dwell when a stay exceeds this"},
        {"max_occupancy", "integer", "none", "objects", ">= 0", "emit zone_overcrowded above this"},
        {"overcrowded_cooldown_s", "number", "60", "s", ">= 0", "minimum time between overcrowding events"}}},
      {"serve",
       {{"site", "string", "local", "", "", "site name carried by every event"},
        {"node", "string", "local", "", "", "node name carried by every event"},
        {"detector", "map", "", "", "", "default detector for every camera"},
        {"tracker", "map", "", "", "", "default tracker settings for every camera"},
        {"detect_fps", "number", "every frame", "1/s", "> 0", "default detect_fps for every camera"},
        {"cameras", "list", "(required)", "", ">= 1", "the cameras"},
        {"storage", "map", "", "", "", "recordings, database, retention"},
        {"api", "map", "", "", "", "HTTP API"},
        {"anpr", "map", "off", "", "", "default plate reading for every camera"},
        {"uplink", "map", "off", "", "", "send events to a center over NATS JetStream"}}},
      {"cameras[]",
       {{"name", "string", "(required)", "", "[A-Za-z0-9_-]+, unique", "camera name in events, API and paths"},
        {"record_url", "string", "(required)", "", "rtsp://, rtsps://, http(s):// or a file", "stream recorded as is"},
        {"detect_url", "string", "record_url", "", "", "stream analysed (e.g. a sub-stream)"},
        {"rtsp_transport", "enum", "tcp", "", "tcp, udp", "RTSP transport"},
        {"record", "boolean", "true", "", "", "write recording segments"},
        {"detect_width", "integer", "640", "px", "64..3840", "analysis frames are scaled to this width"},
        {"detect_fps", "number", "every frame", "1/s", "> 0", "analysed frames per second"},
        {"detector", "map", "top-level detector", "", "", "detector settings (override)"},
        {"tracker", "map", "top-level tracker", "", "", "tracker settings (override)"},
        {"rules", "map", "", "", "", "lines and zones, as in vsp analyze"},
        {"anpr", "map", "off", "", "", "licence-plate reading, as in vsp analyze"},
        {"motion", "map", "", "", "", "motion gating"}}},
      {"motion",
       {{"enabled", "boolean", "true", "", "", "run the detector only on motion (and moving tracks)"},
        {"min_changed_fraction", "number", "0.002", "", "0..1", "share of changed pixels that counts as motion"},
        {"max_interval_s", "number", "1", "s", "> 0", "run the detector at least this often"}}},
      {"storage",
       {{"path", "string", "vsp-data", "", "", "folder for recordings/, exports/ and vsp.db"},
        {"segment_s", "number", "4", "s", "1..60", "recording segment length"},
        {"retention", "map", "", "", "", "retention limits"}}},
      {"storage.retention",
       {{"max_age_days", "number", "none", "days", "> 0", "delete recordings older than this"},
        {"max_disk_gb", "number", "none", "GB", "> 0", "delete the oldest recordings above this"}}},
      {"api", {{"listen", "string", "127.0.0.1:8080", "", "loopback HOST:PORT", "HTTP API address"}}},
      {"uplink",
       {{"nats", "map", "(required)", "", "", "the NATS servers"},
        {"max_outbox_events", "integer", "1000000", "events", ">= 1", "outbox bound; the oldest are dropped above it"},
        {"heartbeat_s", "number", "5", "s", "0.1..3600", "heartbeat period"}}},
      {"uplink.nats", {{"servers", "list of URLs", "(required)", "", "nats://HOST:PORT", "NATS servers"}}},
  };
  return s;
}

const Section& section(const std::string& path) {
  for (const auto& s : sections())
    if (path == s.path) return s;
  throw std::logic_error("undeclared config section " + path);
}

// ---- Reader: typed access that records every error instead of stopping at the first ---------
class Reader {
 public:
  Reader(std::string file, ConfigErrors& errors) : file_(std::move(file)), errors_(errors) {}

  void error(const YAML::Node& n, const std::string& path, const std::string& msg) {
    errors_.push_back({file_, n.IsDefined() ? n.Mark().line + 1 : 0, path, msg});
  }

  /// Checks that `n` is a map whose keys are all declared in `section_path`.
  bool check_map(const YAML::Node& n, const std::string& path, const std::string& section_path) {
    if (!n.IsMap()) {
      error(n, path, "expected a map");
      return false;
    }
    const auto& sec = section(section_path);
    for (const auto& kv : n) {
      const std::string key = kv.first.as<std::string>();
      bool known = false;
      for (const auto& f : sec.fields) known = known || key == f.key;
      if (!known) {
        std::string names;
        for (const auto& f : sec.fields) names += (names.empty() ? "" : ", ") + std::string(f.key);
        error(kv.first, join(path, key), fmt::format("unknown key '{}' (expected one of: {})", key, names));
      }
    }
    return true;
  }

  std::optional<double> number(const YAML::Node& n, const std::string& path, double lo, double hi,
                               bool lo_open = false) {
    double v = 0;
    try {
      v = n.as<double>();
    } catch (const YAML::Exception&) {
      error(n, path, fmt::format("expected a number, got '{}'", scalar(n)));
      return std::nullopt;
    }
    if (!std::isfinite(v) || v < lo || v > hi || (lo_open && v == lo)) {
      error(n, path, fmt::format("expected a number in {}{}..{}, got {}", lo_open ? "(" : "", lo, hi, scalar(n)));
      return std::nullopt;
    }
    return v;
  }

  std::optional<int> integer(const YAML::Node& n, const std::string& path, int lo, int hi) {
    int v = 0;
    try {
      v = n.as<int>();
    } catch (const YAML::Exception&) {
      error(n, path, fmt::format("expected an integer, got '{}'", scalar(n)));
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      error(n, path, fmt::format("expected an integer in {}..{}, got {}", lo, hi, v));
      return std::nullopt;
    }
    return v;
  }

  std::optional<std::string> string(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar() || n.Scalar().empty()) {
      error(n, path, "expected a non-empty string");
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::optional<core::Point> point(const YAML::Node& n, const std::string& path) {
    if (!n.IsSequence() || n.size() != 2) {
      error(n, path,
            fmt::format("expected 2 numbers in 0..1, got {}",
                        n.IsSequence() ? std::to_string(n.size()) + " values" : "'" + scalar(n) + "'"));
      return std::nullopt;
    }
    auto x = number(n[0], path + "[0]", 0, 1), y = number(n[1], path + "[1]", 0, 1);
    if (!x || !y) return std::nullopt;
    return core::Point{*x, *y};
  }

  std::vector<int> classes(const YAML::Node& n, const std::string& path) {
    std::vector<int> out;
    if (!n.IsSequence()) {
      error(n, path, "expected a list of COCO class names, e.g. [person, car]");
      return out;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string p = fmt::format("{}[{}]", path, i);
      auto s = string(n[i], p);
      if (!s) continue;
      if (auto id = core::coco_id(*s))
        out.push_back(*id);
      else
        error(n[i], p, fmt::format("unknown class '{}' (expected a COCO-80 name such as person, car, bus)", *s));
    }
    return out;
  }

  std::optional<bool> boolean(const YAML::Node& n, const std::string& path) {
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      error(n, path, fmt::format("expected true or false, got '{}'", scalar(n)));
      return std::nullopt;
    }
  }

  std::optional<analytics::Anchor> anchor(const YAML::Node& n, const std::string& path) {
    const std::string s = scalar(n);
    if (s == "bottom_center") return analytics::Anchor::bottom_center;
    if (s == "center") return analytics::Anchor::center;
    error(n, path, fmt::format("expected bottom_center or center, got '{}'", s));
    return std::nullopt;
  }

  static std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }
  static std::string scalar(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    if (n.IsSequence()) return "a list";
    if (n.IsMap()) return "a map";
    return "nothing";
  }

 private:
  std::string file_;
  ConfigErrors& errors_;
};

void parse_detector(Reader& r, const YAML::Node& n, const std::string& path, CameraConfig& cam) {
  if (!r.check_map(n, path, "detector")) return;
  if (n["model"]) {
    if (auto m = r.string(n["model"], path + ".model")) {
      if (detect::find_model(*m))
        cam.detector.model = *m;
      else
        r.error(n["model"], path + ".model",
                fmt::format("unknown model '{}' (expected one of: {})", *m, detect::known_model_names()));
    }
  }
  if (n["classes"]) cam.detector.classes = r.classes(n["classes"], path + ".classes");
  if (n["detect_fps"]) cam.detect_fps = r.number(n["detect_fps"], path + ".detect_fps", 0, 1000, true);
  if (n["score_threshold"])
    if (auto v = r.number(n["score_threshold"], path + ".score_threshold", 0, 1))
      cam.detector.score_threshold = static_cast<float>(*v);
  if (n["nms_iou"])
    if (auto v = r.number(n["nms_iou"], path + ".nms_iou", 0, 1)) cam.detector.nms_iou = static_cast<float>(*v);
  if (n["threads"])
    if (auto v = r.integer(n["threads"], path + ".threads", 0, 256)) cam.detector.threads = *v;
}

void parse_tracker(Reader& r, const YAML::Node& n, const std::string& path, TrackerSection& t) {
  if (!r.check_map(n, path, "tracker")) return;
  auto f = [&](const char* key, std::optional<float>& out) {
    if (n[key])
      if (auto v = r.number(n[key], path + "." + key, 0, 1)) out = static_cast<float>(*v);
  };
  f("high_score", t.high_score);
  f("low_score", t.low_score);
  f("new_track_score", t.new_track_score);
  if (n["lost_buffer_s"]) t.lost_buffer_s = r.number(n["lost_buffer_s"], path + ".lost_buffer_s", 0, 3600, true);
  if (n["min_hits"]) t.min_hits = r.integer(n["min_hits"], path + ".min_hits", 1, 30);
}

void parse_anpr(Reader& r, const YAML::Node& n, const std::string& path, std::optional<anpr::AnprOptions>& out) {
  if (!r.check_map(n, path, "anpr")) return;
  anpr::AnprOptions a;
  if (n["region"]) {
    const std::string s = Reader::scalar(n["region"]);
    if (auto reg = anpr::parse_region(s))
      a.region = *reg;
    else
      r.error(n["region"], path + ".region", fmt::format("expected us, eu, br, ru or auto, got '{}'", s));
  }
  if (n["min_plate_px"])
    if (auto v = r.integer(n["min_plate_px"], path + ".min_plate_px", 8, 1000)) a.min_plate_px = *v;
  if (n["min_vehicle_px"])
    if (auto v = r.integer(n["min_vehicle_px"], path + ".min_vehicle_px", 16, 4000)) a.min_vehicle_px = *v;
  if (n["reads_per_s"])
    if (auto v = r.number(n["reads_per_s"], path + ".reads_per_s", 0, 100, true)) a.reads_per_s = *v;
  if (n["max_reads"])
    if (auto v = r.integer(n["max_reads"], path + ".max_reads", 1, 100)) a.max_reads = *v;
  if (n["min_confidence"])
    if (auto v = r.number(n["min_confidence"], path + ".min_confidence", 0, 1))
      a.min_confidence = static_cast<float>(*v);
  out = a;
}

void parse_rules(Reader& r, const YAML::Node& n, const std::string& path, analytics::RulesOptions& rules) {
  if (!r.check_map(n, path, "rules")) return;
  std::set<std::string> names;
  auto unique_name = [&](const YAML::Node& node, const std::string& p, std::string& out) {
    auto s = r.string(node["name"], p + ".name");
    if (!node["name"]) return;
    if (!s) return;
    if (!names.insert(*s).second) r.error(node["name"], p + ".name", fmt::format("duplicate rule name '{}'", *s));
    out = *s;
  };
  if (const auto lines = n["lines"]) {
    if (!lines.IsSequence()) r.error(lines, path + ".lines", "expected a list of lines");
    for (size_t i = 0; lines.IsSequence() && i < lines.size(); ++i) {
      const auto ln = lines[i];
      const std::string p = fmt::format("{}.lines[{}]", path, i);
      if (!r.check_map(ln, p, "rules.lines[]")) continue;
      analytics::LineOptions lo;
      if (!ln["name"]) r.error(ln, p, "missing required key 'name'");
      unique_name(ln, p, lo.name);
      for (const char* key : {"p1", "p2"})
        if (!ln[key]) r.error(ln, p, fmt::format("missing required key '{}'", key));
      auto p1 = ln["p1"] ? r.point(ln["p1"], p + ".p1") : std::nullopt;
      auto p2 = ln["p2"] ? r.point(ln["p2"], p + ".p2") : std::nullopt;
      if (p1 && p2) {
        if (std::hypot(p1->x - p2->x, p1->y - p2->y) < 1e-3)
          r.error(ln["p2"], p + ".p2", "p1 and p2 are the same point: a line needs length");
        lo.p1 = *p1;
        lo.p2 = *p2;
      }
      if (ln["classes"]) lo.classes = r.classes(ln["classes"], p + ".classes");
      if (ln["anchor"])
        if (auto a = r.anchor(ln["anchor"], p + ".anchor")) lo.anchor = *a;
      if (ln["min_frames"])
        if (auto v = r.integer(ln["min_frames"], p + ".min_frames", 1, 100)) lo.min_frames = *v;
      if (ln["min_distance"])
        if (auto v = r.number(ln["min_distance"], p + ".min_distance", 0, 0.2)) lo.min_distance = *v;
      rules.lines.push_back(lo);
    }
  }
  if (const auto zones = n["zones"]) {
    if (!zones.IsSequence()) r.error(zones, path + ".zones", "expected a list of zones");
    for (size_t i = 0; zones.IsSequence() && i < zones.size(); ++i) {
      const auto zn = zones[i];
      const std::string p = fmt::format("{}.zones[{}]", path, i);
      if (!r.check_map(zn, p, "rules.zones[]")) continue;
      analytics::ZoneOptions zo;
      if (!zn["name"]) r.error(zn, p, "missing required key 'name'");
      unique_name(zn, p, zo.name);
      if (!zn["polygon"]) {
        r.error(zn, p, "missing required key 'polygon'");
      } else if (!zn["polygon"].IsSequence() || zn["polygon"].size() < 3) {
        r.error(zn["polygon"], p + ".polygon", "expected a list of at least 3 points [x, y] in 0..1");
      } else {
        bool all_ok = true;
        for (size_t k = 0; k < zn["polygon"].size(); ++k) {
          auto pt = r.point(zn["polygon"][k], fmt::format("{}.polygon[{}]", p, k));
          if (pt)
            zo.polygon.push_back(*pt);
          else
            all_ok = false;
        }
        if (all_ok && std::abs(core::polygon_area(zo.polygon)) < 1e-6)
          r.error(zn["polygon"], p + ".polygon", "polygon has no area");
        else if (all_ok && core::polygon_self_intersects(zo.polygon))
          r.error(zn["polygon"], p + ".polygon", "polygon edges cross each other");
      }
      if (zn["classes"]) zo.classes = r.classes(zn["classes"], p + ".classes");
      if (zn["anchor"])
        if (auto a = r.anchor(zn["anchor"], p + ".anchor")) zo.anchor = *a;
      if (zn["enter_frames"])
        if (auto v = r.integer(zn["enter_frames"], p + ".enter_frames", 1, 100)) zo.enter_frames = *v;
      if (zn["exit_frames"])
        if (auto v = r.integer(zn["exit_frames"], p + ".exit_frames", 1, 100)) zo.exit_frames = *v;
      if (zn["dwell_threshold_s"])
        zo.dwell_threshold_s = r.number(zn["dwell_threshold_s"], p + ".dwell_threshold_s", 0, 1e7, true);
      if (zn["max_occupancy"]) zo.max_occupancy = r.integer(zn["max_occupancy"], p + ".max_occupancy", 0, 1000000);
      if (zn["overcrowded_cooldown_s"])
        if (auto v = r.number(zn["overcrowded_cooldown_s"], p + ".overcrowded_cooldown_s", 0, 1e7))
          zo.overcrowded_cooldown_s = *v;
      rules.zones.push_back(zo);
    }
  }
}

}  // namespace

AnalyzeConfig default_analyze_config() { return AnalyzeConfig{}; }

track::TrackerOptions make_tracker_options(const TrackerSection& s, double frame_rate) {
  track::TrackerOptions o;
  o.frame_rate = frame_rate;
  if (s.high_score) o.high_score = *s.high_score;
  if (s.low_score) o.low_score = *s.low_score;
  if (s.new_track_score) o.new_track_score = *s.new_track_score;
  if (s.lost_buffer_s) o.lost_buffer_s = *s.lost_buffer_s;
  if (s.min_hits) o.min_hits = *s.min_hits;
  return o;
}

std::variant<AnalyzeConfig, ConfigErrors> parse_analyze_config(const std::string& text, const std::string& file) {
  ConfigErrors errors;
  AnalyzeConfig cfg;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    errors.push_back({file, e.mark.line + 1, "", "YAML syntax error: " + e.msg});
    return errors;
  }
  if (root.IsNull()) return cfg;  // an empty file is the default config
  Reader r(file, errors);
  if (!r.check_map(root, "", "")) return errors;
  if (root["detector"]) parse_detector(r, root["detector"], "detector", cfg.camera);
  if (root["detect_fps"]) cfg.camera.detect_fps = r.number(root["detect_fps"], "detect_fps", 0, 1000, true);
  if (root["tracker"]) parse_tracker(r, root["tracker"], "tracker", cfg.camera.tracker);
  if (root["rules"]) parse_rules(r, root["rules"], "rules", cfg.camera.rules);
  if (root["anpr"]) parse_anpr(r, root["anpr"], "anpr", cfg.camera.anpr);
  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
    return errors;
  }
  return cfg;
}

std::variant<AnalyzeConfig, ConfigErrors> load_analyze_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return ConfigErrors{{path, 0, "", "cannot read the config file"}};
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_analyze_config(ss.str(), path);
}

namespace {

bool valid_camera_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

void parse_camera_fields(Reader& r, const YAML::Node& n, const std::string& p, CameraConfig& cam) {
  if (n["detector"]) parse_detector(r, n["detector"], Reader::join(p, "detector"), cam);
  if (n["detect_fps"]) cam.detect_fps = r.number(n["detect_fps"], Reader::join(p, "detect_fps"), 0, 1000, true);
  if (n["tracker"]) parse_tracker(r, n["tracker"], Reader::join(p, "tracker"), cam.tracker);
  if (n["rules"] && !p.empty()) parse_rules(r, n["rules"], Reader::join(p, "rules"), cam.rules);
  if (n["anpr"]) parse_anpr(r, n["anpr"], Reader::join(p, "anpr"), cam.anpr);
}

}  // namespace

bool looks_like_serve_config(const std::string& text) {
  try {
    const YAML::Node root = YAML::Load(text);
    return root.IsMap() && root["cameras"];
  } catch (const YAML::Exception&) {
    return false;
  }
}

std::variant<ServeConfig, ConfigErrors> parse_serve_config(const std::string& text, const std::string& file) {
  ConfigErrors errors;
  ServeConfig cfg;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    errors.push_back({file, e.mark.line + 1, "", "YAML syntax error: " + e.msg});
    return errors;
  }
  Reader r(file, errors);
  if (!r.check_map(root, "", "serve")) return errors;
  if (root["site"])
    if (auto v = r.string(root["site"], "site")) cfg.site = *v;
  if (root["node"])
    if (auto v = r.string(root["node"], "node")) cfg.node = *v;
  CameraConfig defaults;
  parse_camera_fields(r, root, "", defaults);
  if (root["rules"]) r.error(root["rules"], "rules", "rules belong to a camera (cameras[...].rules)");
  const auto cams = root["cameras"];
  if (!cams)
    r.error(root, "cameras", "missing required key 'cameras'");
  else if (!cams.IsSequence() || cams.size() == 0)
    r.error(cams, "cameras", "expected a non-empty list of cameras");
  std::set<std::string> names;
  for (size_t i = 0; cams && cams.IsSequence() && i < cams.size(); ++i) {
    const auto c = cams[i];
    std::string p = fmt::format("cameras[{}]", i);
    if (!r.check_map(c, p, "cameras[]")) continue;
    CameraEntry e;
    e.camera = defaults;
    if (!c["name"]) {
      r.error(c, p, "missing required key 'name'");
    } else if (auto name = r.string(c["name"], p + ".name")) {
      if (!valid_camera_name(*name))
        r.error(c["name"], p + ".name", fmt::format("'{}' is not a valid name (letters, digits, '_' and '-')", *name));
      else if (!names.insert(*name).second)
        r.error(c["name"], p + ".name", fmt::format("duplicate camera name '{}'", *name));
      e.name = *name;
      p = fmt::format("cameras[{}]", *name);
    }
    if (!c["record_url"])
      r.error(c, p, "missing required key 'record_url'");
    else if (auto u = r.string(c["record_url"], p + ".record_url"))
      e.record_url = *u;
    e.detect_url = e.record_url;
    if (c["detect_url"])
      if (auto u = r.string(c["detect_url"], p + ".detect_url")) e.detect_url = *u;
    if (c["rtsp_transport"]) {
      const std::string t = Reader::scalar(c["rtsp_transport"]);
      if (t == "tcp" || t == "udp")
        e.rtsp_tcp = t == "tcp";
      else
        r.error(c["rtsp_transport"], p + ".rtsp_transport", fmt::format("expected tcp or udp, got '{}'", t));
    }
    if (c["record"])
      if (auto v = r.boolean(c["record"], p + ".record")) e.record = *v;
    if (c["detect_width"])
      if (auto v = r.integer(c["detect_width"], p + ".detect_width", 64, 3840)) e.detect_width = *v;
    if (const auto m = c["motion"]; m && r.check_map(m, p + ".motion", "motion")) {
      if (m["enabled"])
        if (auto v = r.boolean(m["enabled"], p + ".motion.enabled")) e.motion.enabled = *v;
      if (m["min_changed_fraction"])
        if (auto v = r.number(m["min_changed_fraction"], p + ".motion.min_changed_fraction", 0, 1))
          e.motion.min_changed_fraction = *v;
      if (m["max_interval_s"])
        if (auto v = r.number(m["max_interval_s"], p + ".motion.max_interval_s", 0, 3600, true))
          e.max_detect_interval_s = *v;
    }
    parse_camera_fields(r, c, p, e.camera);
    cfg.cameras.push_back(std::move(e));
  }
  if (const auto st = root["storage"]; st && r.check_map(st, "storage", "storage")) {
    if (st["path"])
      if (auto v = r.string(st["path"], "storage.path")) cfg.storage_path = *v;
    if (st["segment_s"])
      if (auto v = r.number(st["segment_s"], "storage.segment_s", 1, 60)) cfg.segment_s = *v;
    if (const auto ret = st["retention"]; ret && r.check_map(ret, "storage.retention", "storage.retention")) {
      if (ret["max_age_days"])
        cfg.max_age_days = r.number(ret["max_age_days"], "storage.retention.max_age_days", 0, 1e5, true);
      if (ret["max_disk_gb"])
        cfg.max_disk_gb = r.number(ret["max_disk_gb"], "storage.retention.max_disk_gb", 0, 1e9, true);
    }
  }
  if (const auto api = root["api"]; api && r.check_map(api, "api", "api")) {
    if (api["listen"])
      if (auto v = r.string(api["listen"], "api.listen")) {
        const auto colon = v->rfind(':');
        const std::string host = colon == std::string::npos ? "" : v->substr(0, colon);
        int port = 0;
        try {
          port = colon == std::string::npos ? 0 : std::stoi(v->substr(colon + 1));
        } catch (const std::exception&) {
        }
        if (port <= 0 || port > 65535)
          r.error(api["listen"], "api.listen", fmt::format("expected HOST:PORT, got '{}'", *v));
        else if (host != "127.0.0.1" && host != "localhost" && host != "::1")
          r.error(api["listen"], "api.listen",
                  fmt::format("'{}' is not loopback: until authentication lands the API binds loopback only", host));
        else
          cfg.listen = *v;
      }
  }
  if (const auto up = root["uplink"]; up && r.check_map(up, "uplink", "uplink")) {
    UplinkConfig u;
    const auto nats = up["nats"];
    if (!nats)
      r.error(up, "uplink.nats", "missing required key 'nats'");
    else if (r.check_map(nats, "uplink.nats", "uplink.nats")) {
      const auto servers = nats["servers"];
      if (!servers || !servers.IsSequence() || servers.size() == 0)
        r.error(servers ? servers : nats, "uplink.nats.servers", "expected a non-empty list of nats://HOST:PORT");
      for (size_t i = 0; servers && servers.IsSequence() && i < servers.size(); ++i)
        if (auto v = r.string(servers[i], fmt::format("uplink.nats.servers[{}]", i))) {
          if (v->rfind("nats://", 0) != 0 && v->rfind("tls://", 0) != 0)
            r.error(servers[i], fmt::format("uplink.nats.servers[{}]", i),
                    fmt::format("expected nats://HOST:PORT, got '{}'", *v));
          u.servers.push_back(*v);
        }
    }
    if (up["max_outbox_events"])
      if (auto v = r.number(up["max_outbox_events"], "uplink.max_outbox_events", 1, 1e12))
        u.max_outbox_events = static_cast<std::int64_t>(*v);
    if (up["heartbeat_s"])
      if (auto v = r.number(up["heartbeat_s"], "uplink.heartbeat_s", 0.1, 3600)) u.heartbeat_s = *v;
    cfg.uplink = u;
  }
  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
    return errors;
  }
  return cfg;
}

std::variant<ServeConfig, ConfigErrors> load_serve_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return ConfigErrors{{path, 0, "", "cannot read the config file"}};
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_serve_config(ss.str(), path);
}

std::string reference_markdown() {
  std::string md =
      "# Configuration reference\n\nGenerated by `vsp config reference` from the declarations the parser "
      "uses. Coordinates are normalised 0..1 of width/height, origin top-left, y down.\n";
  for (const auto& s : sections()) {
    md +=
        fmt::format("\n## `{}`\n\n| key | type | default | unit | bounds | description |\n|---|---|---|---|---|---|\n",
                    *s.path ? s.path : "(top level)");
    for (const auto& f : s.fields)
      md += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", f.key, f.type, f.default_value, f.unit, f.bounds,
                        f.description);
  }
  return md;
}

}  // namespace vsp::config

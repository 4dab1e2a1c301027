// The one config schema: the generated docs and JSON Schemas match the rows, the examples validate,
// and the documented defaults are the ones the parser applies.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "config/schema.hpp"
#include "detect/model_registry.hpp"

using namespace vsp;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const fs::path kSource = VSP_SOURCE_DIR;

// ---- A tiny JSON Schema validator for the subset `vsp config schema` emits ----------------------
const std::set<std::string> kKeywords = {"$schema",          "$id",         "title",   "description",
                                         "default",          "definitions", "type",    "additionalProperties",
                                         "properties",       "required",    "items",   "minItems",
                                         "maxItems",         "enum",        "minimum", "maximum",
                                         "exclusiveMinimum", "minLength",   "pattern", "$ref"};

void collect_keywords(const json& s, std::set<std::string>& out) {
  if (!s.is_object()) return;
  for (const auto& [k, v] : s.items()) {
    out.insert(k);
    if (k == "properties" || k == "definitions") {
      for (const auto& [name, sub] : v.items()) collect_keywords(sub, out);
    } else if (k == "items") {
      collect_keywords(v, out);
    }
  }
}

void validate(const json& root, const json& s, const json& v, const std::string& path, std::vector<std::string>& errs) {
  if (s.contains("$ref")) {
    const std::string ref = s["$ref"];
    const std::string prefix = "#/definitions/";
    if (ref.rfind(prefix, 0) != 0 || !root["definitions"].contains(ref.substr(prefix.size()))) {
      errs.push_back(path + ": unresolved $ref " + ref);
      return;
    }
    validate(root, root["definitions"][ref.substr(prefix.size())], v, path, errs);
    return;
  }
  if (s.contains("type")) {
    const std::string t = s["type"];
    const bool ok = (t == "object" && v.is_object()) || (t == "array" && v.is_array()) ||
                    (t == "string" && v.is_string()) || (t == "number" && v.is_number()) ||
                    (t == "integer" && v.is_number_integer()) || (t == "boolean" && v.is_boolean());
    if (!ok) {
      errs.push_back(path + ": expected " + t + ", got " + v.dump());
      return;
    }
  }
  if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
    errs.push_back(path + ": " + v.dump() + " not in enum");
  if (v.is_number()) {
    const double x = v.get<double>();
    if (s.contains("minimum") && x < s["minimum"].get<double>()) errs.push_back(path + ": below minimum");
    if (s.contains("exclusiveMinimum") && x <= s["exclusiveMinimum"].get<double>())
      errs.push_back(path + ": not above exclusiveMinimum");
    if (s.contains("maximum") && x > s["maximum"].get<double>()) errs.push_back(path + ": above maximum");
  }
  if (v.is_string()) {
    const std::string x = v;
    if (s.contains("minLength") && x.size() < s["minLength"].get<size_t>()) errs.push_back(path + ": too short");
    if (s.contains("pattern") && !std::regex_search(x, std::regex(s["pattern"].get<std::string>())))
      errs.push_back(path + ": does not match " + s["pattern"].get<std::string>());
  }
  if (v.is_array()) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) errs.push_back(path + ": too few items");
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) errs.push_back(path + ": too many items");
    if (s.contains("items"))
      for (size_t i = 0; i < v.size(); ++i)
        validate(root, s["items"], v[i], path + "[" + std::to_string(i) + "]", errs);
  }
  if (v.is_object()) {
    for (const auto& [k, x] : v.items()) {
      if (s.contains("properties") && s["properties"].contains(k))
        validate(root, s["properties"][k], x, path + "." + k, errs);
      else if (s.value("additionalProperties", true) == false)
        errs.push_back(path + ": unknown key " + k);
    }
    if (s.contains("required"))
      for (const auto& k : s["required"])
        if (!v.contains(k.get<std::string>())) errs.push_back(path + ": missing " + k.get<std::string>());
  }
}

std::vector<std::string> validate(const json& schema, const json& v) {
  std::vector<std::string> errs;
  validate(schema, schema, v, "$", errs);
  return errs;
}

/// YAML → JSON with the scalar typing a YAML 1.2 core-schema reader (an editor) applies.
json to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    json o = json::object();
    for (const auto& kv : n) o[kv.first.Scalar()] = to_json(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    json a = json::array();
    for (const auto& x : n) a.push_back(to_json(x));
    return a;
  }
  if (!n.IsScalar() || n.Tag() == "!") return n.IsScalar() ? json(n.Scalar()) : json();
  const std::string s = n.Scalar();
  if (s == "true" || s == "false") return s == "true";
  if (s == "null" || s == "~") return nullptr;
  if (std::regex_match(s, std::regex("[-+]?[0-9]+"))) return std::stoll(s);
  if (std::regex_match(s, std::regex("[-+]?([0-9]*\\.[0-9]+|[0-9]+\\.?[0-9]*)([eE][-+]?[0-9]+)?"))) return std::stod(s);
  return s;
}

json schema_of(config::ConfigKind k) { return json::parse(config::json_schema(k)); }

std::string analyze_effective(const std::string& yaml) {
  auto r = config::parse_analyze_config(yaml, "t.yml");
  if (auto* e = std::get_if<config::ConfigErrors>(&r)) return "errors: " + e->front().to_string();
  return config::effective_json(std::get<config::AnalyzeConfig>(r));
}

std::string serve_effective(const std::string& yaml) {
  auto r = config::parse_serve_config(yaml, "s.yml");
  if (auto* e = std::get_if<config::ConfigErrors>(&r)) return "errors: " + e->front().to_string();
  return config::effective_json(std::get<config::ServeConfig>(r));
}

/// For every key with a documented default under the object at `at` in `base`, writing that
/// default explicitly must give the same effective config as leaving it out. Recurses into maps.
int check_defaults(const json& schema, const json& def, json base, const json::json_pointer& at,
                   const std::function<std::string(const std::string&)>& effective) {
  int checked = 0;
  if (!base.contains(at)) base[at] = json::object();
  const std::string expected = effective(base.dump());
  EXPECT_EQ(expected.rfind("errors", 0), std::string::npos) << base.dump() << " → " << expected;
  for (const auto& [key, prop] : def["properties"].items()) {
    if (prop.contains("$ref")) {
      const std::string id = prop["$ref"].get<std::string>().substr(std::string("#/definitions/").size());
      checked += check_defaults(schema, schema["definitions"][id], base, at / key, effective);
    } else if (prop.contains("default")) {
      json with = base;
      with[at / key] = prop["default"];
      EXPECT_EQ(effective(with.dump()), expected)
          << "writing the documented default changes the config: " << with.dump();
      ++checked;
    }
  }
  return checked;
}

}  // namespace

TEST(ConfigSchema, reference_doc_is_the_generators_output) {
  EXPECT_EQ(read_file(kSource / "docs/config-reference.md"), config::reference_markdown())
      << "docs/config-reference.md is stale: build/src/app/vsp config reference > docs/config-reference.md";
}

TEST(ConfigSchema, committed_json_schemas_are_the_generators_output) {
  EXPECT_EQ(read_file(kSource / "docs/schema/analyze.schema.json"), config::json_schema(config::ConfigKind::analyze))
      << "stale: build/src/app/vsp config schema analyze > docs/schema/analyze.schema.json";
  EXPECT_EQ(read_file(kSource / "docs/schema/serve.schema.json"), config::json_schema(config::ConfigKind::serve))
      << "stale: build/src/app/vsp config schema serve > docs/schema/serve.schema.json";
}

TEST(ConfigSchema, json_schema_is_draft_07_json_within_the_validated_subset) {
  for (auto kind : {config::ConfigKind::analyze, config::ConfigKind::serve}) {
    const json s = schema_of(kind);  // throws on invalid JSON
    EXPECT_EQ(s["$schema"], "http://json-schema.org/draft-07/schema#");
    EXPECT_EQ(s["type"], "object");
    EXPECT_FALSE(s["additionalProperties"].get<bool>());
    std::set<std::string> used;
    collect_keywords(s, used);
    for (const auto& k : used) EXPECT_TRUE(kKeywords.count(k)) << "keyword the test validator ignores: " << k;
    EXPECT_TRUE(validate(s, json::object()).empty() == (kind == config::ConfigKind::analyze));  // serve needs cameras
  }
  const json a = schema_of(config::ConfigKind::analyze);
  EXPECT_TRUE(a["properties"].contains("rules"));
  EXPECT_FALSE(a["properties"].contains("cameras"));
  EXPECT_EQ(a["definitions"]["tracker"]["properties"]["high_score"]["default"], 0.4);
  const json s = schema_of(config::ConfigKind::serve);
  EXPECT_EQ(s["required"], json::array({"cameras"}));
  EXPECT_FALSE(s["properties"].contains("rules"));  // rules belong to a camera
}

TEST(ConfigSchema, model_names_come_from_the_detector_registry) {
  const json a = schema_of(config::ConfigKind::analyze);
  const auto& models = a["definitions"]["detector"]["properties"]["model"]["enum"];
  ASSERT_GE(models.size(), 3u);
  for (const auto& m : models) EXPECT_TRUE(detect::find_model(m.get<std::string>()).has_value()) << m;
  EXPECT_EQ(models.size(), detect::known_models().size());
}

TEST(ConfigSchema, every_example_config_parses_and_validates_against_its_schema) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "examples")) {
    if (entry.path().extension() != ".yml") continue;
    ++n;
    const std::string text = read_file(entry.path());
    const bool serve = config::looks_like_serve_config(text);
    if (serve) {
      auto r = config::parse_serve_config(text, entry.path().string());
      EXPECT_TRUE(std::holds_alternative<config::ServeConfig>(r)) << entry.path();
    } else {
      auto r = config::parse_analyze_config(text, entry.path().string());
      EXPECT_TRUE(std::holds_alternative<config::AnalyzeConfig>(r)) << entry.path();
    }
    const auto errs =
        validate(schema_of(serve ? config::ConfigKind::serve : config::ConfigKind::analyze), to_json(YAML::Load(text)));
    EXPECT_TRUE(errs.empty()) << entry.path() << ": " << (errs.empty() ? "" : errs.front());
  }
  EXPECT_GE(n, 3);
}

TEST(ConfigSchema, schema_rejects_what_the_parser_rejects) {
  const json a = schema_of(config::ConfigKind::analyze);
  const char* bad[] = {
      "detector: {colour: red}",                                     // unknown key
      "detector: {model: yolo9000}",                                 // enum
      "tracker: {min_hits: 0}",                                      // integer bounds
      "tracker: {lost_buffer_s: 0}",                                 // exclusive minimum
      "rules: {zones: [{name: z, polygon: [[0, 0], [1, 1]]}]}",      // minItems
      "rules: {lines: [{name: a, p1: [0, 0.5], p2: [1, 0.5, 2]}]}",  // maxItems
      "rules: {lines: [{p1: [0, 0.5], p2: [1, 0.5]}]}",              // required
      "detector: {classes: [unicorn]}",                              // class names
      "motion: {enabled: 3}",                                        // type
  };
  for (const char* y : bad) {
    EXPECT_FALSE(validate(a, to_json(YAML::Load(y))).empty()) << y;
    EXPECT_TRUE(std::holds_alternative<config::ConfigErrors>(config::parse_analyze_config(y, "t.yml"))) << y;
  }
  const json s = schema_of(config::ConfigKind::serve);
  const char* bad_serve[] = {
      "cameras: []",
      "cameras: [{name: 'a b', record_url: x}]",
      "cameras: [{name: a, record_url: x}]\nuplink: {nats: {servers: ['http://x']}}",
      "cameras: [{name: a, record_url: x}]\nuplink: {heartbeat_s: 5}",
      "cameras: [{name: a, record_url: x}]\nstorage: {retention: {min_free_percent: 60}}",
  };
  for (const char* y : bad_serve) {
    EXPECT_FALSE(validate(s, to_json(YAML::Load(y))).empty()) << y;
    EXPECT_TRUE(std::holds_alternative<config::ConfigErrors>(config::parse_serve_config(y, "s.yml"))) << y;
  }
}

TEST(ConfigSchema, default_constructed_configs_are_what_the_parser_produces_from_no_keys) {
  EXPECT_EQ(config::effective_json(config::AnalyzeConfig{}), analyze_effective("{}"));
  EXPECT_EQ(config::effective_json(config::default_analyze_config()), analyze_effective(""));
  config::ServeConfig s;
  config::CameraEntry cam;
  cam.name = "a";
  cam.record_url = cam.detect_url = "x";
  s.cameras.push_back(cam);
  EXPECT_EQ(config::effective_json(s), serve_effective("cameras: [{name: a, record_url: x}]"));
}

TEST(ConfigSchema, writing_every_documented_default_changes_nothing) {
  const json a = schema_of(config::ConfigKind::analyze);
  // A calibration needs its points (a section with a required key, like api.tls below).
  const json calibration = {{"points",
                             {{{"image", {0.3, 0.95}}, {"world", {0, 0}}},
                              {{"image", {0.7, 0.95}}, {"world", {7, 0}}},
                              {{"image", {0.56, 0.4}}, {"world", {7, 40}}},
                              {{"image", {0.44, 0.4}}, {"world", {0, 40}}}}}};
  const int na = check_defaults(a, a, {{"calibration", calibration}}, json::json_pointer(), analyze_effective);
  EXPECT_GE(na, 15);  // detector, tracker, motion and anpr leaves
  const json s = schema_of(config::ConfigKind::serve);
  const json base = {{"cameras", {{{"name", "a"}, {"record_url", "x"}, {"calibration", calibration}}}},
                     {"uplink", {{"nats", {{"servers", {"nats://127.0.0.1:4222"}}}}}},
                     {"api", {{"tls", {{"cert", "c.pem"}, {"key", "k.pem"}}}}}};
  int ns = check_defaults(s, s, base, json::json_pointer(), serve_effective);
  ns += check_defaults(s, s["definitions"]["camera"], base, json::json_pointer("/cameras/0"), serve_effective);
  EXPECT_GE(ns, 40);
}

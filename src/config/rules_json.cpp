#include "config/rules_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "config/schema.hpp"
#include "core/coco.hpp"

namespace vsp::config {

using nlohmann::json;

json rules_to_json(const analytics::RulesOptions& rules) {
  AnalyzeConfig c;
  c.camera.rules = rules;
  json out = json::parse(effective_json(c)).value("rules", json::object());
  for (const char* kind : {"lines", "zones"})
    for (auto& rule : out[kind]) {
      for (auto it = rule.begin(); it != rule.end();) it = it->is_null() ? rule.erase(it) : std::next(it);
      if (auto c = rule.find("classes"); c != rule.end())  // class ids in words, as a config file names them
        for (auto& id : *c)
          if (id.is_number_integer()) id = std::string(core::coco_name(id.get<int>()));
    }
  // Road keys that only mean something on a lane or a no-stopping zone are left out elsewhere (the
  // parser refuses them there, so the shown rules parse back).
  for (auto& z : out["zones"]) {
    for (const char* k : {"queue_signal", "crossing_signal"})  // "" = none, which the file says by leaving it out
      if (z.contains(k) && z[k] == "") z.erase(k);
    if (!z.value("no_stopping", false))
      for (const char* k : {"max_stop_s", "stop_speed_mps", "queue_signal"}) z.erase(k);
    if (!z.contains("speed_limit_kmh")) z.erase("speed_margin_kmh");
    if (!z.contains("direction") && !z.contains("speed_limit_kmh")) z.erase("min_distance_m");
  }
  return out;
}

namespace {
void drop_nulls(json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) it = it->is_null() ? j.erase(it) : std::next(it);
    for (auto& v : j) drop_nulls(v);
  } else if (j.is_array()) {
    for (auto& v : j) drop_nulls(v);
  }
}

json camera_config_json(const CameraConfig& camera) {
  AnalyzeConfig c;
  c.camera = camera;
  json eff = json::parse(effective_json(c));
  drop_nulls(eff);
  return eff;
}
}  // namespace

json camera_rules_to_json(const CameraRules& r) {
  CameraConfig c;
  set_camera_rules(c, r);
  const json eff = camera_config_json(c);
  json masks = eff.value("privacy_masks", json::array());
  for (auto& m : masks)  // an unnamed mask: the file says so by leaving `name` out
    if (m.value("name", "") == "") m.erase("name");
  return {{"rules", rules_to_json(r.rules)},
          {"privacy_masks", masks},
          {"calibration", eff.contains("calibration") ? eff["calibration"] : json(nullptr)}};
}

std::variant<CameraRules, ConfigErrors> camera_rules_from_json(const json& doc, const CameraConfig& camera) {
  if (!doc.is_object())
    return ConfigErrors{
        {"", 0, "", "expected a JSON object {\"rules\": ..., \"privacy_masks\": ..., \"calibration\": ...}"}};
  // JSON is YAML: the document goes through the same parser as a config file's camera, next to the
  // camera's signals (road rules are checked against them) and, for a key it leaves out, the
  // camera's current value.
  json text = camera_rules_to_json(camera_rules_of(camera));
  if (text["calibration"].is_null()) text.erase("calibration");
  if (const json eff = camera_config_json(camera); eff.contains("signals")) text["signals"] = eff["signals"];
  ConfigErrors errors;
  for (const auto& [key, value] : doc.items()) {
    if (std::find(std::begin(kCameraRulesKeys), std::end(kCameraRulesKeys), key) == std::end(kCameraRulesKeys)) {
      errors.push_back(
          {"", 0, key,
           fmt::format("unknown key '{}' (a camera's rules document has: rules, privacy_masks, calibration)", key)});
      continue;
    }
    if (value.is_null())
      text.erase(key);  // none
    else
      text[key] = value;
  }
  if (!errors.empty()) return errors;
  auto parsed = parse_analyze_config(text.dump(), "rules");
  if (auto* e = std::get_if<ConfigErrors>(&parsed)) return *e;
  return camera_rules_of(std::get<AnalyzeConfig>(parsed).camera);
}

std::variant<analytics::RulesOptions, ConfigErrors> rules_from_json(const json& rules, const CameraConfig* camera) {
  auto parsed = camera_rules_from_json(json{{"rules", rules}}, camera ? *camera : CameraConfig{});
  if (auto* errors = std::get_if<ConfigErrors>(&parsed)) return *errors;
  return std::get<CameraRules>(parsed).rules;
}

}  // namespace vsp::config

#include "config/rules_json.hpp"

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
}  // namespace

std::variant<analytics::RulesOptions, ConfigErrors> rules_from_json(const json& rules, const CameraConfig* camera) {
  // JSON is YAML: the section goes through the same parser as a config file's `rules:`, next to
  // the camera's calibration and signals (road rules are checked against them).
  json doc{{"rules", rules}};
  if (camera) {
    AnalyzeConfig c;
    c.camera = *camera;
    json eff = json::parse(effective_json(c));
    drop_nulls(eff);
    for (const char* k : {"calibration", "signals"})
      if (eff.contains(k)) doc[k] = eff[k];
  }
  auto parsed = parse_analyze_config(doc.dump(), "rules");
  if (auto* errors = std::get_if<ConfigErrors>(&parsed)) return *errors;
  return std::get<AnalyzeConfig>(parsed).camera.rules;
}

}  // namespace vsp::config

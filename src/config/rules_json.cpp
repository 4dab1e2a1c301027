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
  return out;
}

std::variant<analytics::RulesOptions, ConfigErrors> rules_from_json(const json& rules) {
  // JSON is YAML: the section goes through the same parser as a config file's `rules:`.
  auto parsed = parse_analyze_config(json{{"rules", rules}}.dump(), "rules");
  if (auto* errors = std::get_if<ConfigErrors>(&parsed)) return *errors;
  return std::get<AnalyzeConfig>(parsed).camera.rules;
}

}  // namespace vsp::config

#pragma once
/// A camera's rules (`rules:` — lines and zones) as JSON and back, for the rule editor's API and
/// the rules a node keeps across restarts. Parsing goes through the config file's own rows and
/// checks, so the API accepts exactly what a config file would.
#include <nlohmann/json.hpp>
#include <variant>

#include "analytics/options.hpp"
#include "config/analyze_config.hpp"

namespace vsp::config {

/// Every key with its value (defaults filled in) in the config's own words (class names,
/// anchors); unset optional keys are left out, so the result parses back to the same rules.
nlohmann::json rules_to_json(const analytics::RulesOptions& rules);

/// Parses a `rules:` section given as JSON; errors carry paths like `rules.lines[0].p2`.
std::variant<analytics::RulesOptions, ConfigErrors> rules_from_json(const nlohmann::json& rules);

}  // namespace vsp::config

#pragma once
/// A camera's rules as JSON and back, for the rule editor's API, the center's push and the rules a
/// node keeps across restarts: the `rules:` section (lines and zones) alone, or the camera's whole
/// run-time rules document (config::CameraRules: rules, privacy masks, calibration). Parsing goes
/// through the config file's own rows and checks, so the API accepts exactly what a config file
/// would, with the same error paths.
#include <nlohmann/json.hpp>
#include <variant>

#include "analytics/options.hpp"
#include "config/analyze_config.hpp"

namespace vsp::config {

/// Every key with its value (defaults filled in) in the config's own words (class names,
/// anchors); unset optional keys are left out, so the result parses back to the same rules.
nlohmann::json rules_to_json(const analytics::RulesOptions& rules);

/// Parses a `rules:` section given as JSON; errors carry paths like `rules.lines[0].p2`.
/// `camera` (optional): the camera whose calibration and signals the rules are checked against.
std::variant<analytics::RulesOptions, ConfigErrors> rules_from_json(const nlohmann::json& rules,
                                                                    const CameraConfig* camera = nullptr);

/// The keys of a camera's run-time rules document, in order.
inline constexpr const char* kCameraRulesKeys[] = {"rules", "privacy_masks", "calibration"};

/// `{"rules": {...}, "privacy_masks": [...], "calibration": {...} | null}` in the config's own words
/// (defaults filled in); parses back to the same document.
nlohmann::json camera_rules_to_json(const CameraRules& rules);

/// Parses a run-time rules document against `camera`, the camera's current config (its signals,
/// and the value of each document key left out: a body with only `rules` keeps the masks and the
/// calibration). `"calibration": null` removes the calibration, `"privacy_masks": []` the masks;
/// any other key is an error. Errors carry a config file's paths (`rules.lines[0].p2`,
/// `privacy_masks[1].polygon`, `calibration.points`), all at once.
std::variant<CameraRules, ConfigErrors> camera_rules_from_json(const nlohmann::json& doc, const CameraConfig& camera);

}  // namespace vsp::config

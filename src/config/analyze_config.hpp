#pragma once
/// YAML configuration → typed options. One schema for `vsp analyze` (camera fields at the top
/// level) and `vsp serve` (the same fields on each camera; see serve_config.hpp). Every key is
/// declared once as a typed row (config/schema.hpp): the rows drive the parser, the defaults shown
/// in `vsp config reference` / `vsp config schema`, and the checks.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "analytics/options.hpp"
#include "anpr/options.hpp"
#include "core/result.hpp"
#include "detect/detector.hpp"
#include "detect/motion_gate.hpp"
#include "road/options.hpp"
#include "track/tracker.hpp"

namespace vsp::config {

/// One problem in a config file, located like a compiler diagnostic.
struct ConfigError {
  std::string file;
  int line = 0;         ///< 1-based; 0 when unknown
  std::string path;     ///< e.g. "rules.lines[0].p2"
  std::string message;  ///< e.g. "expected 2 numbers in 0..1, got 3"
  std::string to_string() const;
};

/// Tracker keys as the config gives them; absent = track::TrackerOptions' default.
struct TrackerSection {
  std::optional<float> high_score, low_score, new_track_score;
  std::optional<double> lost_buffer_s;
  std::optional<int> min_hits;
  track::ScoreScale score_scale = track::TrackerOptions{}.score_scale;
  std::optional<double> report_predicted_s;
};

/// `privacy_masks[]`: an area blacked out in every frame before analysis, view and export.
struct PrivacyMask {
  std::string name;       ///< optional label (logs, docs)
  core::Polygon polygon;  ///< normalised 0..1
};

/// The fields of one camera. Defaults are the member initialisers (here and in the option structs
/// of detect, track, analytics and anpr); the schema reads them from a default-constructed value.
struct CameraConfig {
  detect::DetectorOptions detector;
  std::optional<double> detect_fps;  ///< absent = every frame
  TrackerSection tracker;
  analytics::RulesOptions rules;
  std::optional<anpr::AnprOptions> anpr;  ///< plate reading, when the camera has `anpr:`
  /// Motion gating (`motion:`). On for serve cameras; an analyze config turns it on only when it
  /// has a `motion:` section, so `vsp analyze` runs the detector on every sampled frame by default.
  detect::MotionOptions motion;
  double max_detect_interval_s = 1.0;                   ///< `motion.max_interval_s`: detector runs at least this often
  std::vector<PrivacyMask> privacy_masks;               ///< blacked out before analysis and in every view and export
  std::optional<road::CalibrationOptions> calibration;  ///< ground plane (road rules in metres)
  std::vector<road::SignalOptions> signals;             ///< traffic lights and crossings the rules read
};

/// The part of a camera's config that changes while the node runs: what the rule editor edits and
/// `PUT /api/cameras/<name>/rules` replaces (config/rules_json.hpp), in the camera's own keys —
/// `rules:`, `privacy_masks:` and `calibration:`. The analysis swaps it in between two frames
/// (pipeline::CameraAnalysis::replace_rules).
struct CameraRules {
  analytics::RulesOptions rules;
  std::vector<PrivacyMask> privacy_masks;
  std::optional<road::CalibrationOptions> calibration;
};

/// The camera's run-time rules as its config sets them.
inline CameraRules camera_rules_of(const CameraConfig& c) { return {c.rules, c.privacy_masks, c.calibration}; }
/// `c` with `r` in place of its rules, privacy masks and calibration.
inline void set_camera_rules(CameraConfig& c, CameraRules r) {
  c.rules = std::move(r.rules);
  c.privacy_masks = std::move(r.privacy_masks);
  c.calibration = std::move(r.calibration);
}

/// The camera of an analyze config before any key is read: like a serve camera, but motion gating
/// off until the config has `motion:`.
inline CameraConfig analyze_camera_defaults() {
  CameraConfig c;
  c.motion.enabled = false;
  return c;
}

struct AnalyzeConfig {
  CameraConfig camera = analyze_camera_defaults();
};

/// Every error found, all at once; empty when the config is valid.
using ConfigErrors = std::vector<ConfigError>;

/// The text of a config file, or why it cannot be one: missing or unreadable (with the system's
/// reason), a directory, or empty (no keys at all, comments aside).
std::variant<std::string, ConfigErrors> read_config_file(const std::string& path);

/// Parses an analyze config file (via read_config_file). On failure returns all errors.
std::variant<AnalyzeConfig, ConfigErrors> load_analyze_config(const std::string& path);
/// Parses analyze config text; empty text is the default config.
std::variant<AnalyzeConfig, ConfigErrors> parse_analyze_config(const std::string& yaml_text,
                                                               const std::string& file_name);

/// Tracker options for a camera analysed at `frame_rate` updates per second.
track::TrackerOptions make_tracker_options(const TrackerSection& section, double frame_rate);

/// The default config: yolox_nano on every frame, no rules, no motion gating.
AnalyzeConfig default_analyze_config();

/// Reference of every option, generated from the same declarations the parser uses (Markdown).
std::string reference_markdown();

}  // namespace vsp::config

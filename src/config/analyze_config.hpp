#pragma once
/// YAML configuration → typed options. One schema for `vsp analyze` (camera fields at the top
/// level) and, later, `vsp serve` (the same fields on each camera).
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "analytics/options.hpp"
#include "anpr/options.hpp"
#include "core/result.hpp"
#include "detect/detector.hpp"
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

struct TrackerSection {
  std::optional<float> high_score, low_score, new_track_score;
  std::optional<double> lost_buffer_s;
  std::optional<int> min_hits;
};

/// The fields of one camera.
struct CameraConfig {
  detect::DetectorOptions detector;
  std::optional<double> detect_fps;  ///< absent = every frame
  TrackerSection tracker;
  analytics::RulesOptions rules;
  std::optional<anpr::AnprOptions> anpr;  ///< plate reading, when the camera has `anpr:`
};

struct AnalyzeConfig {
  CameraConfig camera;
};

/// Every error found, all at once; empty when the config is valid.
using ConfigErrors = std::vector<ConfigError>;

/// Parses an analyze config file. On failure returns all errors.
std::variant<AnalyzeConfig, ConfigErrors> load_analyze_config(const std::string& path);
std::variant<AnalyzeConfig, ConfigErrors> parse_analyze_config(const std::string& yaml_text,
                                                               const std::string& file_name);

/// Tracker options for a camera analysed at `frame_rate` updates per second.
track::TrackerOptions make_tracker_options(const TrackerSection& section, double frame_rate);

/// The default config: yolox_nano on every frame, no rules.
AnalyzeConfig default_analyze_config();

/// Reference of every option, generated from the same declarations the parser uses (Markdown).
std::string reference_markdown();

}  // namespace vsp::config

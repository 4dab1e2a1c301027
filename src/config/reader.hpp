#pragma once
/// Internal to the config module: typed access to YAML nodes that records every error (with the
/// node's line) instead of stopping at the first.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/analyze_config.hpp"
#include "core/types.hpp"

namespace vsp::config {

/// Allowed range of a number; printed closed and readable ("in 0..1", "> 0 and ≤ 3600").
struct Bounds {
  std::optional<double> min, max;
  bool min_exclusive = false;
  bool empty() const { return !min && !max; }
  bool contains(double v) const;
  std::string text() const;  ///< "in 0..1", "> 0", "≥ 0", "> 0 and ≤ 3600"; empty when unbounded
};
/// Shortest text of a number: 10000000, not 1e+07; 0.002.
std::string format_number(double v);
/// "a, b or c".
std::string words_or(const std::vector<std::string>& words);

class Reader {
 public:
  Reader(std::string file, ConfigErrors& errors) : file_(std::move(file)), errors_(errors) {}

  void error(const YAML::Node& n, const std::string& path, const std::string& msg);
  /// Checks that `n` is a map whose keys are all in `keys`; unknown keys are errors.
  bool check_map(const YAML::Node& n, const std::string& path, const std::vector<std::string>& keys);

  std::optional<double> number(const YAML::Node& n, const std::string& path, const Bounds& b);
  std::optional<std::int64_t> integer(const YAML::Node& n, const std::string& path, const Bounds& b);
  std::optional<bool> boolean(const YAML::Node& n, const std::string& path);
  std::optional<std::string> string(const YAML::Node& n, const std::string& path);
  /// One of `words`; `noun` set: "unknown <noun> 'x' (expected one of: ...)".
  std::optional<std::string> word(const YAML::Node& n, const std::string& path, const std::vector<std::string>& words,
                                  const std::string& noun);
  std::optional<core::Point> point(const YAML::Node& n, const std::string& path);
  /// At least 3 points in 0..1, with area, edges not crossing.
  std::optional<core::Polygon> polygon(const YAML::Node& n, const std::string& path);
  /// COCO-80 names → class ids.
  std::optional<std::vector<int>> classes(const YAML::Node& n, const std::string& path);
  /// A non-empty list of non-empty strings.
  std::optional<std::vector<std::string>> strings(const YAML::Node& n, const std::string& path);

  static std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }
  /// The scalar's text, or what the node is ("a list", "a map", "nothing").
  static std::string scalar(const YAML::Node& n);

 private:
  std::string file_;
  ConfigErrors& errors_;
};

/// Loads YAML text; a syntax error becomes one ConfigError at its line.
std::optional<YAML::Node> load_yaml(const std::string& text, const std::string& file, ConfigErrors& errors);
/// Errors in line order (stable: same-line errors keep the order they were found in).
void sort_errors(ConfigErrors& errors);

}  // namespace vsp::config

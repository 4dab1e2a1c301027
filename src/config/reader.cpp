#include "config/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
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

std::string format_number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::abs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

std::string words_or(const std::vector<std::string>& words) {
  std::string s;
  for (size_t i = 0; i < words.size(); ++i) s += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
  return s;
}

bool Bounds::contains(double v) const {
  if (min && (v < *min || (min_exclusive && v == *min))) return false;
  return !max || v <= *max;
}

std::string Bounds::text() const {
  if (min && max && !min_exclusive) return fmt::format("in {}..{}", format_number(*min), format_number(*max));
  std::string lo = min ? fmt::format("{} {}", min_exclusive ? ">" : "≥", format_number(*min)) : "";
  std::string hi = max ? fmt::format("≤ {}", format_number(*max)) : "";
  return lo.empty() ? hi : hi.empty() ? lo : lo + " and " + hi;
}

void Reader::error(const YAML::Node& n, const std::string& path, const std::string& msg) {
  errors_.push_back({file_, n.IsDefined() ? n.Mark().line + 1 : 0, path, msg});
}

bool Reader::check_map(const YAML::Node& n, const std::string& path, const std::vector<std::string>& keys) {
  if (!n.IsMap()) {
    error(n, path, fmt::format("expected a map of keys, got {}", n.IsScalar() ? "'" + scalar(n) + "'" : scalar(n)));
    return false;
  }
  for (const auto& kv : n) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : scalar(kv.first);
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    std::string names;
    for (const auto& k : keys) names += (names.empty() ? "" : ", ") + k;
    error(kv.first, join(path, key), fmt::format("unknown key '{}' (expected one of: {})", key, names));
  }
  return true;
}

std::optional<double> Reader::number(const YAML::Node& n, const std::string& path, const Bounds& b) {
  double v = 0;
  try {
    v = n.as<double>();
  } catch (const YAML::Exception&) {
    error(n, path, fmt::format("expected a number, got '{}'", scalar(n)));
    return std::nullopt;
  }
  if (!std::isfinite(v) || !b.contains(v)) {
    error(n, path, fmt::format("expected a number {}, got {}", b.empty() ? "that is finite" : b.text(), scalar(n)));
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> Reader::integer(const YAML::Node& n, const std::string& path, const Bounds& b) {
  long long v = 0;
  try {
    v = n.as<long long>();
  } catch (const YAML::Exception&) {
    error(n, path, fmt::format("expected an integer, got '{}'", scalar(n)));
    return std::nullopt;
  }
  if (!b.contains(static_cast<double>(v))) {
    error(n, path, fmt::format("expected an integer {}, got {}", b.text(), v));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Reader::boolean(const YAML::Node& n, const std::string& path) {
  try {
    return n.as<bool>();
  } catch (const YAML::Exception&) {
    error(n, path, fmt::format("expected true or false, got '{}'", scalar(n)));
    return std::nullopt;
  }
}

std::optional<std::string> Reader::string(const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar() || n.Scalar().empty()) {
    error(n, path, "expected a non-empty string");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::string> Reader::word(const YAML::Node& n, const std::string& path,
                                        const std::vector<std::string>& words, const std::string& noun) {
  const std::string s = scalar(n);
  if (n.IsScalar() && std::find(words.begin(), words.end(), s) != words.end()) return s;
  std::string list;
  for (const auto& w : words) list += (list.empty() ? "" : ", ") + w;
  if (!noun.empty())
    error(n, path, fmt::format("unknown {} '{}' (expected one of: {})", noun, s, list));
  else
    error(n, path, fmt::format("expected {}, got '{}'", words_or(words), s));
  return std::nullopt;
}

std::optional<core::Point> Reader::point(const YAML::Node& n, const std::string& path) {
  if (!n.IsSequence() || n.size() != 2) {
    error(n, path,
          fmt::format("expected 2 numbers in 0..1, got {}",
                      n.IsSequence() ? std::to_string(n.size()) + " values" : "'" + scalar(n) + "'"));
    return std::nullopt;
  }
  const Bounds unit{0.0, 1.0};
  auto x = number(n[0], path + "[0]", unit), y = number(n[1], path + "[1]", unit);
  if (!x || !y) return std::nullopt;
  return core::Point{*x, *y};
}

std::optional<core::Polygon> Reader::polygon(const YAML::Node& n, const std::string& path) {
  if (!n.IsSequence() || n.size() < 3) {
    error(n, path, "expected a list of at least 3 points [x, y] in 0..1");
    return std::nullopt;
  }
  core::Polygon poly;
  bool all_ok = true;
  for (size_t k = 0; k < n.size(); ++k) {
    if (auto pt = point(n[k], fmt::format("{}[{}]", path, k)))
      poly.push_back(*pt);
    else
      all_ok = false;
  }
  if (!all_ok) return std::nullopt;
  if (std::abs(core::polygon_area(poly)) < 1e-6) {
    error(n, path, "polygon has no area");
    return std::nullopt;
  }
  if (core::polygon_self_intersects(poly)) {
    error(n, path, "polygon edges cross each other");
    return std::nullopt;
  }
  return poly;
}

std::optional<std::vector<int>> Reader::classes(const YAML::Node& n, const std::string& path) {
  if (!n.IsSequence()) {
    error(n, path, "expected a list of COCO class names, e.g. [person, car]");
    return std::nullopt;
  }
  std::vector<int> out;
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

std::optional<std::vector<std::string>> Reader::strings(const YAML::Node& n, const std::string& path) {
  if (!n.IsSequence() || n.size() == 0) {
    error(n, path, "expected a non-empty list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < n.size(); ++i) {
    auto s = string(n[i], fmt::format("{}[{}]", path, i));
    ok = ok && s.has_value();
    if (s) out.push_back(*s);
  }
  if (!ok) return std::nullopt;
  return out;
}

std::string Reader::scalar(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a map";
  return "nothing";
}

std::optional<YAML::Node> load_yaml(const std::string& text, const std::string& file, ConfigErrors& errors) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    errors.push_back({file, e.mark.is_null() ? 0 : e.mark.line + 1, "", "YAML syntax error: " + e.msg});
    return std::nullopt;
  }
}

void sort_errors(ConfigErrors& errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
}

std::variant<std::string, ConfigErrors> read_config_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    const std::string why = ec ? ec.message() : "No such file or directory";
    return ConfigErrors{{path, 0, "", "cannot read the config file: " + why}};
  }
  if (fs::is_directory(st)) return ConfigErrors{{path, 0, "", "cannot read the config file: it is a directory"}};
  std::ifstream in(path, std::ios::binary);
  if (!in) return ConfigErrors{{path, 0, "", fmt::format("cannot read the config file: {}", std::strerror(errno))}};
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return ConfigErrors{{path, 0, "", fmt::format("cannot read the config file: {}", std::strerror(errno))}};
  std::string text = ss.str();
  ConfigErrors errors;
  const auto root = load_yaml(text, path, errors);
  if (!root) return errors;
  if (root->IsNull())
    return ConfigErrors{{path, 0, "",
                         "the config file is empty (no keys, comments aside); see `vsp config reference` for "
                         "the keys"}};
  return text;
}

}  // namespace vsp::config

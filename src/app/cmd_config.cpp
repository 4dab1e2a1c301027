// `vsp config check|reference|schema`.
#include <fmt/format.h>

#include "app/commands.hpp"
#include "config/schema.hpp"

namespace vsp::app {

namespace {
int print_errors(const std::string& file, const config::ConfigErrors& errs) {
  for (const auto& e : errs) fmt::print(stderr, "{}\n", e.to_string());
  fmt::print(stderr, "{}: {} error(s)\n", file, errs.size());
  return 1;
}
}  // namespace

int cmd_config_check(const std::string& file) {
  const auto text = config::read_config_file(file);
  if (const auto* errs = std::get_if<config::ConfigErrors>(&text)) return print_errors(file, *errs);
  const std::string& yaml = std::get<std::string>(text);
  if (config::looks_like_serve_config(yaml)) {
    const auto parsed = config::parse_serve_config(yaml, file);
    if (const auto* errs = std::get_if<config::ConfigErrors>(&parsed)) return print_errors(file, *errs);
    const auto& cfg = std::get<config::ServeConfig>(parsed);
    fmt::print("{}: ok (serve config, {} camera(s), storage {}, api {}{})\n", file, cfg.cameras.size(),
               cfg.storage_path, cfg.listen, cfg.uplink ? ", uplink on" : "");
    return 0;
  }
  const auto parsed = config::parse_analyze_config(yaml, file);
  if (const auto* errs = std::get_if<config::ConfigErrors>(&parsed)) return print_errors(file, *errs);
  const auto& cam = std::get<config::AnalyzeConfig>(parsed).camera;
  fmt::print("{}: ok (model {}, {} line(s), {} zone(s), motion gating {})\n", file, cam.detector.model,
             cam.rules.lines.size(), cam.rules.zones.size(), cam.motion.enabled ? "on" : "off");
  return 0;
}

int cmd_config_reference() {
  fmt::print("{}", config::reference_markdown());
  return 0;
}

int cmd_config_schema(const std::string& kind) {
  fmt::print("{}", config::json_schema(kind == "analyze" ? config::ConfigKind::analyze : config::ConfigKind::serve));
  return 0;
}

}  // namespace vsp::app

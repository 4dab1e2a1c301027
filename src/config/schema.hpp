#pragma once
/// The one declaration of every config key, seen from outside: the generated reference (Markdown),
/// the JSON Schema for editors, and the effective values of a parsed config. The rows themselves
/// (key, member, type, default, bounds, unit, description, enum words) live in camera_config.cpp
/// and serve_config.cpp; the parser reads through the same rows.
#include <string>

#include "config/analyze_config.hpp"
#include "config/serve_config.hpp"

namespace vsp::config {

enum class ConfigKind { analyze, serve };

/// JSON Schema (draft-07) of one kind of config, pretty-printed; editors use it for completion
/// and checks (e.g. VS Code's YAML extension via `# yaml-language-server: $schema=...`).
std::string json_schema(ConfigKind kind);

/// Every key with the value the parser produced (defaults filled in), as pretty JSON. Two configs
/// that mean the same give the same text.
std::string effective_json(const AnalyzeConfig& config);
std::string effective_json(const ServeConfig& config);

}  // namespace vsp::config

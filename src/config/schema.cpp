// The reference (Markdown) and the JSON Schema, rendered from the rows the parser reads with.
#include "config/schema.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "config/rows.hpp"
#include "core/coco.hpp"

namespace vsp::config {

namespace {

using nlohmann::json;

std::string type_text(const RowInfo& r) {
  switch (r.kind) {
    case ValueKind::boolean:
      return "boolean";
    case ValueKind::integer:
      return "integer";
    case ValueKind::number:
      return "number";
    case ValueKind::string:
      return "string";
    case ValueKind::enumeration:
      return "enum";
    case ValueKind::point:
      return "[x, y]";
    case ValueKind::vector:
      return "[x, y]";
    case ValueKind::polygon:
      return "[[x, y], ...]";
    case ValueKind::class_list:
      return "list of COCO names";
    case ValueKind::string_list:
      return "list of strings";
    case ValueKind::section:
      return "map";
    case ValueKind::list:
      return "list of maps";
  }
  return "";
}

std::string value_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return format_number(v.get<double>());
  return v.dump();
}

std::string default_text(const RowInfo& r) {
  if (r.required) return "(required)";
  if (!r.default_text.empty()) return r.default_text;
  if (r.default_value.is_null()) return r.kind == ValueKind::section ? "" : "none";
  return value_text(r.default_value);
}

std::string bounds_text(const RowInfo& r) {
  std::string s;
  switch (r.kind) {
    case ValueKind::integer:
    case ValueKind::number:
      s = r.bounds.text();
      if (s.rfind("in ", 0) == 0) s = s.substr(3);  // "0..1" reads better in a column
      break;
    case ValueKind::enumeration:
      for (const auto& w : r.words) s += (s.empty() ? "" : ", ") + w;
      break;
    case ValueKind::point:
      s = "0..1";
      break;
    case ValueKind::polygon:
      s = "≥ 3 points in 0..1, edges not crossing";
      break;
    case ValueKind::class_list:
      s = "COCO-80 names";
      break;
    case ValueKind::list:
      if (r.bounds.min) s = fmt::format("≥ {} item(s)", format_number(*r.bounds.min));
      break;
    default:
      break;
  }
  if (!r.notes.empty()) s += (s.empty() ? "" : ", ") + r.notes;
  return s;
}

std::string cell(std::string s) {  // Markdown table cells cannot hold '|'
  for (size_t i = s.find('|'); i != std::string::npos; i = s.find('|', i + 2)) s.replace(i, 1, "\\|");
  return s;
}

// ---- JSON Schema --------------------------------------------------------------------------------

json number_schema(const RowInfo& r, const char* type) {
  json s = {{"type", type}};
  if (r.bounds.min) s[r.bounds.min_exclusive ? "exclusiveMinimum" : "minimum"] = *r.bounds.min;
  if (r.bounds.max) s["maximum"] = *r.bounds.max;
  return s;
}

json point_schema() {
  return {{"type", "array"},
          {"items", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
          {"minItems", 2},
          {"maxItems", 2}};
}

json row_schema(const RowInfo& r) {
  json s;
  switch (r.kind) {
    case ValueKind::boolean:
      s = {{"type", "boolean"}};
      break;
    case ValueKind::integer:
      s = number_schema(r, "integer");
      break;
    case ValueKind::number:
      s = number_schema(r, "number");
      break;
    case ValueKind::string:
      s = {{"type", "string"}, {"minLength", 1}};
      if (!r.pattern.empty()) s["pattern"] = r.pattern;
      break;
    case ValueKind::enumeration:
      s = {{"type", "string"}, {"enum", r.words}};
      break;
    case ValueKind::point:
      s = point_schema();
      break;
    case ValueKind::vector:
      s = {{"type", "array"}, {"items", {{"type", "number"}}}, {"minItems", 2}, {"maxItems", 2}};
      break;
    case ValueKind::polygon:
      s = {{"type", "array"}, {"items", point_schema()}, {"minItems", 3}};
      break;
    case ValueKind::class_list: {
      json names = json::array();
      for (int i = 0; i < core::kCocoClassCount; ++i) names.push_back(std::string(core::coco_name(i)));
      s = {{"type", "array"}, {"items", {{"type", "string"}, {"enum", names}}}};
      break;
    }
    case ValueKind::string_list: {
      json item = {{"type", "string"}, {"minLength", 1}};
      if (!r.pattern.empty()) item["pattern"] = r.pattern;
      s = {{"type", "array"}, {"items", item}, {"minItems", 1}};
      break;
    }
    case ValueKind::section:
      s = {{"$ref", "#/definitions/" + r.child}};
      break;
    case ValueKind::list:
      s = {{"type", "array"}, {"items", {{"$ref", "#/definitions/" + r.child}}}};
      if (r.bounds.min) s["minItems"] = static_cast<int>(*r.bounds.min);
      break;
  }
  std::string d = r.description;
  if (!r.unit.empty()) d += fmt::format(" ({})", r.unit);
  if (!r.notes.empty()) d += fmt::format("; {}", r.notes);
  if (r.default_value.is_null() && !r.default_text.empty()) d += fmt::format("; default: {}", r.default_text);
  s["description"] = d;
  if (!r.default_value.is_null()) s["default"] = r.default_value;
  return s;
}

json table_schema(const TableInfo& t) {
  json props = json::object(), required = json::array();
  for (const auto& r : t.rows) {
    if (r.hidden) continue;
    props[r.key] = row_schema(r);
    if (r.required) required.push_back(r.key);
  }
  json s = {{"type", "object"}, {"additionalProperties", false}, {"properties", props}};
  if (!t.intro.empty()) s["description"] = t.intro;
  if (!required.empty()) s["required"] = required;
  return s;
}

std::map<std::string, TableInfo> infos_by_id() {
  std::map<std::string, TableInfo> by_id;
  for (const auto& t : analyze_table_infos()) by_id[t.id] = t;
  for (const auto& t : serve_table_infos()) by_id[t.id] = t;
  return by_id;
}

}  // namespace

std::string json_schema(ConfigKind kind) {
  const auto by_id = infos_by_id();
  const std::string root_id = kind == ConfigKind::analyze ? "analyze" : "serve";
  // Every table reachable from the root, as definitions.
  json defs = json::object();
  std::vector<std::string> todo = {root_id};
  std::set<std::string> seen;
  while (!todo.empty()) {
    const std::string id = todo.back();
    todo.pop_back();
    if (!seen.insert(id).second) continue;
    const auto& t = by_id.at(id);
    if (id != root_id) defs[id] = table_schema(t);
    for (const auto& r : t.rows)
      if (!r.child.empty() && !r.hidden) todo.push_back(r.child);
  }
  json s = {{"$schema", "http://json-schema.org/draft-07/schema#"}, {"title", fmt::format("VSP {} config", root_id)}};
  s.update(table_schema(by_id.at(root_id)));
  s["definitions"] = defs;
  return s.dump(2) + "\n";
}

std::string reference_markdown() {
  std::string md =
      "# Configuration reference\n\n"
      "Generated by `vsp config reference` from the typed rows the parser reads with (`src/config/`); a unit "
      "test fails when this file differs, so regenerate it with\n"
      "`build/src/app/vsp config reference > docs/config-reference.md`. JSON Schemas for editors: `vsp config "
      "schema analyze|serve`, also in `docs/schema/`; in VS Code (YAML extension) a first line\n"
      "`# yaml-language-server: $schema=<path to>/docs/schema/serve.schema.json` gives completion and checks.\n\n"
      "Coordinates are normalised 0..1 of width/height, origin top-left, y down. Unknown keys are errors. "
      "An analyze config has one camera's fields at the top level; a serve config has them on each entry of "
      "`cameras:`, and top-level camera fields are every camera's defaults.\n\n"
      "Motion gating (`motion:`) is on for serve cameras by default. In an analyze config it is off unless the "
      "config has a `motion:` section (then `enabled` defaults to true), so `vsp analyze` results do not change "
      "unless asked.\n";
  auto tables = analyze_table_infos();
  for (const auto& t : serve_table_infos()) tables.push_back(t);
  for (const auto& t : tables) {
    const bool root = t.title.find(' ') != std::string::npos;
    md += root ? fmt::format("\n## {}\n\n", t.title) : fmt::format("\n## `{}`\n\n", t.title);
    if (!t.intro.empty()) md += t.intro + "\n\n";
    md += "| key | type | default | unit | bounds | description |\n|---|---|---|---|---|---|\n";
    for (const auto& r : t.rows) {
      if (r.hidden) continue;
      std::string key = fmt::format("`{}`", r.key);
      for (const auto& c : tables)
        if (c.id == r.child && c.title != r.key) key += fmt::format(" (see `{}`)", c.title);
      md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", key, cell(type_text(r)), cell(default_text(r)),
                        cell(r.unit), cell(bounds_text(r)), cell(r.description));
    }
  }
  return md;
}

std::string effective_json(const AnalyzeConfig& config) { return dump_table(analyze_table(), config.camera).dump(2); }

}  // namespace vsp::config

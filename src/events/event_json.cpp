#include "events/event_json.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

namespace vsp::events {

using nlohmann::json;

std::string to_json_line(const Event& e) {
  json j;
  j["schema_version"] = e.schema_version;
  j["id"] = e.id;
  j["site"] = e.site;
  j["node"] = e.node;
  j["camera"] = e.camera;
  j["type"] = e.type;
  j["ts_utc"] = format_rfc3339_ms(e.ts_utc_ms);
  j["pts_s"] = std::round(e.pts_s * 1000) / 1000;
  j["track_id"] = e.track_id;
  j["class"] = e.class_name;
  j["rule"] = e.rule;
  if (!e.direction.empty()) j["direction"] = e.direction;
  if (e.dwell_s) j["dwell_s"] = std::round(*e.dwell_s * 1000) / 1000;
  if (e.count) j["count"] = *e.count;
  if (e.type == "plate_read") {
    j["text"] = e.text;
    j["confidence"] = std::round(e.confidence.value_or(0) * 1000) / 1000;
    json cands = json::array();
    for (const auto& [t, c] : e.candidates) cands.push_back({{"text", t}, {"confidence", std::round(c * 1000) / 1000}});
    j["candidates"] = cands;
    j["region"] = e.region;
    if (e.plate_box) j["plate_box"] = *e.plate_box;
    j["vehicle_color"] = e.vehicle_color;
  }
  if (e.box) j["box"] = *e.box;
  if (!e.snapshot_ref.empty()) j["snapshot_ref"] = e.snapshot_ref;
  if (!e.evidence_ref.empty()) j["evidence_ref"] = e.evidence_ref;
  json attrs = json::object();
  for (const auto& kv : e.attributes)
    std::visit([&](const auto& x) { attrs[kv.first] = x; }, kv.second);  // clang 14: no captured bindings
  j["attributes"] = attrs;
  return j.dump();
}

namespace {
/// An int field, range-checked: nlohmann's get<int>() on 1e81 is undefined behaviour (found by
/// fuzz_event_json).
int int_field(const json& j, const char* key, std::optional<int> dflt = std::nullopt) {
  if (!j.contains(key)) {
    if (dflt) return *dflt;
    throw std::out_of_range(fmt::format("missing key '{}'", key));
  }
  const json& v = j.at(key);
  if (!v.is_number()) throw std::invalid_argument(fmt::format("'{}' is not a number", key));
  const double d = v.get<double>();
  if (!(d >= std::numeric_limits<int>::min() && d <= std::numeric_limits<int>::max()))
    throw std::out_of_range(fmt::format("'{}' is out of range", key));
  return v.is_number_float() ? static_cast<int>(d) : static_cast<int>(v.get<std::int64_t>());
}
}  // namespace

core::Result<Event> from_json_line(const std::string& line) {
  try {
    const json j = json::parse(line);
    Event e;
    e.schema_version = int_field(j, "schema_version");
    e.id = j.at("id").get<std::string>();
    e.site = j.value("site", "");
    e.node = j.value("node", "");
    e.camera = j.value("camera", "");
    e.type = j.at("type").get<std::string>();
    auto ts = parse_rfc3339_ms(j.at("ts_utc").get<std::string>());
    if (!ts) return core::make_error("bad_event", "ts_utc is not RFC 3339", "ts_utc");
    e.ts_utc_ms = *ts;
    e.pts_s = j.value("pts_s", 0.0);
    e.track_id = int_field(j, "track_id", 0);
    e.class_name = j.value("class", "");
    e.rule = j.value("rule", "");
    e.direction = j.value("direction", "");
    if (j.contains("dwell_s")) e.dwell_s = j["dwell_s"].get<double>();
    if (j.contains("count")) e.count = int_field(j, "count");
    e.text = j.value("text", "");
    if (j.contains("confidence")) e.confidence = j["confidence"].get<double>();
    if (j.contains("candidates"))
      for (const auto& c : j["candidates"]) e.candidates.emplace_back(c.value("text", ""), c.value("confidence", 0.0));
    e.region = j.value("region", "");
    if (j.contains("plate_box")) e.plate_box = j["plate_box"].get<std::array<double, 4>>();
    e.vehicle_color = j.value("vehicle_color", "");
    if (j.contains("box")) e.box = j["box"].get<std::array<double, 4>>();
    e.snapshot_ref = j.value("snapshot_ref", "");
    e.evidence_ref = j.value("evidence_ref", "");
    if (j.contains("attributes"))
      for (const auto& [k, v] : j["attributes"].items()) {
        if (v.is_string())
          e.attributes[k] = v.get<std::string>();
        else if (v.is_boolean())
          e.attributes[k] = v.get<bool>();
        else if (v.is_number_integer())
          e.attributes[k] = v.get<std::int64_t>();
        else if (v.is_number())
          e.attributes[k] = v.get<double>();
      }
    return e;
  } catch (const std::exception& ex) {
    return core::make_error("bad_event", fmt::format("malformed event: {}", ex.what()));
  }
}

core::Result<std::unique_ptr<JsonLinesWriter>> JsonLinesWriter::open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return core::make_error("write_failed", fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  return std::unique_ptr<JsonLinesWriter>(new JsonLinesWriter(f));
}

JsonLinesWriter::~JsonLinesWriter() { std::fclose(f_); }

void JsonLinesWriter::write(const Event& event) {
  const std::string line = to_json_line(event);
  std::fwrite(line.data(), 1, line.size(), f_);
  std::fputc('\n', f_);
  std::fflush(f_);
}

void JsonLinesWriter::flush() { std::fflush(f_); }

}  // namespace vsp::events

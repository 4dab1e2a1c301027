#pragma once
/// The event: the only contract between node and center (fields in shared CONTRACTS.md).
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace vsp::events {

constexpr int kSchemaVersion = 1;

using AttributeValue = std::variant<std::string, double, std::int64_t, bool>;

/// Who sets what: rules set `type`, `pts_s`, `track_id`, `class_name`, `rule` and the
/// type-specific fields; the pipeline sets `id`, `site`, `node`, `camera` and `ts_utc_ms`.
struct Event {
  int schema_version = kSchemaVersion;
  std::string id;  ///< UUIDv7, time-ordered and globally unique
  std::string site = "local";
  std::string node = "local";
  std::string camera;
  std::string type;            ///< line_crossing, zone_enter, zone_exit, zone_dwell, zone_overcrowded, object_*
  std::int64_t ts_utc_ms = 0;  ///< wall-clock time of what happened, ms since the Unix epoch
  double pts_s = 0;            ///< stream time of what happened
  int track_id = 0;            ///< 0 when the event is not about one track
  std::string class_name;      ///< COCO class ("class" on the wire)
  std::string rule;
  std::string direction;          ///< line_crossing: "in" | "out"
  std::optional<double> dwell_s;  ///< zone_exit, zone_dwell
  std::optional<int> count;       ///< zone_overcrowded: occupancy that fired it
  // plate_read
  std::string text;  ///< the plate, grammar-corrected
  std::optional<double> confidence;
  std::vector<std::pair<std::string, double>> candidates;  ///< other reads, best first
  std::string region;
  std::optional<std::array<double, 4>> plate_box;  ///< [x, y, w, h] px in the frame
  std::string vehicle_color;
  std::string snapshot_ref;  ///< path of the snapshot crop, relative to the output/storage root
  /// Violations (wrong_way, speeding, red_light, forbidden_stop, rail_crossing_entry): the pack's
  /// folder `evidence/<id>/`, relative to the output/storage root.
  std::string evidence_ref;
  std::optional<std::array<double, 4>> box;  ///< object_*: the object's [x, y, w, h] px in the frame
  std::map<std::string, AttributeValue> attributes;
};

/// Where events go (`store` for a node, a JSON-lines file for `vsp analyze`).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void write(const Event& event) = 0;
  virtual void flush() {}
};

/// RFC 3339 UTC with milliseconds: 2017-09-26T16:57:49.123Z.
std::string format_rfc3339_ms(std::int64_t unix_ms);
/// Inverse of format_rfc3339_ms (also accepts no fraction and "+00:00"); nullopt when malformed.
std::optional<std::int64_t> parse_rfc3339_ms(const std::string& text);

/// A new UUIDv7 string whose time part is `unix_ms`.
std::string make_uuid_v7(std::int64_t unix_ms);

}  // namespace vsp::events

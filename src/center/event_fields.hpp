#pragma once
/// The center's reading of an event: only the fields it indexes or matches alerts on (`id`,
/// `site`, `node`, `camera`, `type`, `rule`, `ts_utc`, `track_id`, `class`, `direction`, `text`,
/// `schema_version`), taken from the wire JSON in one pass without building a document, while the
/// whole text is checked to be well-formed JSON (it is stored as `payload jsonb`). The rules for
/// these fields are events::from_json_line's: `schema_version` (a number), `id`, `type` and
/// `ts_utc` (RFC 3339) are required, the other strings default to "" and `track_id` to 0, a field
/// of the wrong JSON type is an error, a repeated key keeps its last value. Fields the center does
/// not read are stored as sent. About ten times faster than the full parse (the center's ingest
/// spent most of its own time there).
#include <string_view>

#include "core/result.hpp"
#include "events/event.hpp"

namespace vsp::center {

core::Result<events::Event> parse_indexed_fields(std::string_view json);

/// RFC 3339 UTC with milliseconds (`2017-09-26T16:57:49.123Z`, as events::format_rfc3339_ms)
/// written into `out` (24 characters) without the C library's time functions.
void format_ts_ms(std::int64_t unix_ms, char out[24]);

}  // namespace vsp::center

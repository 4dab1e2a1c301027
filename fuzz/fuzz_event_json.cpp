// libFuzzer: event JSON lines (node store, bus, center) must parse or fail cleanly; a parsed event
// must survive a round trip through the writer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "events/event_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  auto e = vsp::events::from_json_line(line);
  if (!e) return 0;
  auto again = vsp::events::from_json_line(vsp::events::to_json_line(*e));
  if (!again) std::abort();  // what we write we must read
  return 0;
}

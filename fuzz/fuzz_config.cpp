// libFuzzer: the YAML config parsers (analyze, serve and center) must turn any input into a config or a
// list of errors, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "center/center_config.hpp"
#include "config/analyze_config.hpp"
#include "config/serve_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)vsp::config::parse_analyze_config(text, "fuzz.yml");
  (void)vsp::config::parse_serve_config(text, "fuzz.yml");
  (void)vsp::config::looks_like_serve_config(text);
  (void)vsp::center::parse_center_config(text, "fuzz.yml");
  return 0;
}

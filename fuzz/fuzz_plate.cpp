// libFuzzer: the regional plate grammars (what OCR reads, and the center's plate searches, go
// through them) must accept or refuse any text cleanly, and never call a plate valid that holds
// a character plates do not have.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "anpr/plate_grammar.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using vsp::anpr::Region;
  for (Region r : {Region::us, Region::eu, Region::br, Region::ru, Region::any}) {
    const auto m = vsp::anpr::apply_grammar(text, r);
    if (m.known_layout && !m.valid) std::abort();
    if (m.corrections < 0 || m.text.size() != text.size()) std::abort();
    if (m.valid && m.text.find_first_not_of(vsp::anpr::plate_alphabet()) != std::string::npos) std::abort();
    if (!vsp::anpr::parse_region(vsp::anpr::to_string(r)) && r != Region::any) std::abort();
  }
  return 0;
}

#include "core/redact.hpp"

namespace vsp::core {

std::string redact_urls(std::string_view text) {
  std::string s(text);
  for (size_t at = s.find("://"); at != std::string::npos; at = s.find("://", at + 3)) {
    const size_t start = at + 3;
    const size_t end = s.find_first_of("/ \t\n\"'", start);
    const size_t stop = end == std::string::npos ? s.size() : end;
    const size_t sep = s.rfind('@', stop == 0 ? 0 : stop - 1);
    if (sep != std::string::npos && sep >= start && sep < stop) s.replace(start, sep - start, "***");
  }
  return s;
}

}  // namespace vsp::core

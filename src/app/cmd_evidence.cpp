// `vsp evidence verify PACK...`: checks each pack's signed manifest and files.
#include <fmt/format.h>

#include "app/commands.hpp"
#include "evidence/pack.hpp"

namespace vsp::app {

int cmd_evidence_verify(const std::vector<std::string>& dirs, const std::optional<std::string>& public_key) {
  int rc = 0;
  for (const auto& dir : dirs) {
    const auto r = evidence::verify(dir, public_key);
    if (r.ok) {
      fmt::print("{}: intact ({} files, signed by {})\n", dir, r.files, r.public_key);
      continue;
    }
    fmt::print(stderr, "{}: FAILED: {}: {}\n", dir, r.file, r.message);
    rc = 1;
  }
  return rc;
}

}  // namespace vsp::app

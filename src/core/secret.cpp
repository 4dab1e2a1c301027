#include "core/secret.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>

namespace vsp::core {

Result<std::string> read_secret(const SecretRef& ref, const std::string& key) {
  if (!ref.file.empty()) {
    std::ifstream in(ref.file);
    std::string line;
    if (!in || !std::getline(in, line))
      return make_error("secret_unreadable", fmt::format("{}_file: cannot read a secret from {}", key, ref.file),
                        key + "_file");
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
  }
  if (!ref.env.empty()) {
    const char* v = std::getenv(ref.env.c_str());
    if (!v || !*v)
      return make_error("secret_unset", fmt::format("{}_env: the environment variable {} is not set", key, ref.env),
                        key + "_env");
    return std::string(v);
  }
  return std::string();
}

}  // namespace vsp::core

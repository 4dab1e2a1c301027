#pragma once
// Where tests find the shared evaluation data: $VSP_DATA_DIR, else <repo>/../shared/data.
#include <cstdlib>
#include <string>

inline std::string data_dir() {
  if (const char* e = std::getenv("VSP_DATA_DIR"); e && *e) return e;
  return std::string(VSP_SOURCE_DIR) + "/../shared/data";
}
inline std::string fixtures_dir() { return std::string(VSP_SOURCE_DIR) + "/tests/fixtures"; }

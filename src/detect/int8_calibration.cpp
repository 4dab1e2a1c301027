#include "detect/int8_calibration.hpp"

namespace vsp::detect {

namespace {

const std::vector<Int8Calibration>& table() {
  static const std::vector<Int8Calibration> t = {
#include "detect/int8_calibration.inc"
  };
  return t;
}

}  // namespace

const Int8Calibration* find_int8_calibration(const std::string& model) {
  for (const auto& c : table())
    if (c.model == model) return &c;
  return nullptr;
}

std::string int8_model_names() {
  std::string out;
  for (const auto& c : table()) out += (out.empty() ? "" : ", ") + c.model;
  return out;
}

}  // namespace vsp::detect

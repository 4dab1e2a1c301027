#pragma once
/// COCO-80 class names (index 0 = person), the class vocabulary of every detector we ship.
#include <optional>
#include <string>
#include <string_view>

namespace vsp::core {

constexpr int kCocoClassCount = 80;
std::string_view coco_name(int class_id);  ///< "unknown" when out of range
std::optional<int> coco_id(std::string_view name);

}  // namespace vsp::core

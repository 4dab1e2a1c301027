#pragma once
/// COCO-80 class names (index 0 = person), the class vocabulary of every detector we ship.
#include <optional>
#include <string>
#include <string_view>

namespace vsp::core {

constexpr int kCocoClassCount = 80;
std::string_view coco_name(int class_id);  ///< "unknown" when out of range
std::optional<int> coco_id(std::string_view name);
/// The road-vehicle classes: car, motorcycle, bus, truck.
inline constexpr int kVehicleClasses[] = {2, 3, 5, 7};
inline bool is_vehicle_class(int class_id) {
  for (int c : kVehicleClasses)
    if (c == class_id) return true;
  return false;
}

}  // namespace vsp::core

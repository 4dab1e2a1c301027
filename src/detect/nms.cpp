#include "detect/nms.hpp"

#include <algorithm>

#include "core/geometry.hpp"

namespace vsp::detect {

namespace {
core::Detections greedy(core::Detections dets, float iou_threshold, bool same_class_only) {
  std::stable_sort(dets.begin(), dets.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  core::Detections kept;
  for (const auto& d : dets) {
    bool suppressed = false;
    for (const auto& k : kept) {
      const bool compare = same_class_only ? k.class_id == d.class_id : k.class_id != d.class_id;
      if (compare && core::iou(k.box_px, d.box_px) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(d);
  }
  return kept;
}
}  // namespace

core::Detections nms_per_class(core::Detections dets, float iou_threshold) {
  return greedy(std::move(dets), iou_threshold, true);
}

core::Detections suppress_cross_class(core::Detections dets, float iou_threshold) {
  return greedy(std::move(dets), iou_threshold, false);
}

}  // namespace vsp::detect

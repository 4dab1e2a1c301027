#pragma once
/// Non-maximum suppression on detections (no pixels involved).
#include "core/types.hpp"

namespace vsp::detect {

/// Greedy NMS within each class: of two boxes of one class overlapping more than `iou_threshold`,
/// the lower-scored goes. Output sorted by score, highest first.
core::Detections nms_per_class(core::Detections dets, float iou_threshold);

/// Removes a box that overlaps a higher-scored box of another class by more than
/// `iou_threshold`: one object, one box, whatever labels the detector hesitated between.
core::Detections suppress_cross_class(core::Detections dets_sorted, float iou_threshold);

}  // namespace vsp::detect

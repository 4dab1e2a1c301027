#include "core/coco.hpp"

#include <array>

namespace vsp::core {
namespace {
constexpr std::array<std::string_view, kCocoClassCount> kNames = {
    "person",         "bicycle",    "car",           "motorcycle",    "airplane",     "bus",           "train",
    "truck",          "boat",       "traffic light", "fire hydrant",  "stop sign",    "parking meter", "bench",
    "bird",           "cat",        "dog",           "horse",         "sheep",        "cow",           "elephant",
    "bear",           "zebra",      "giraffe",       "backpack",      "umbrella",     "handbag",       "tie",
    "suitcase",       "frisbee",    "skis",          "snowboard",     "sports ball",  "kite",          "baseball bat",
    "baseball glove", "skateboard", "surfboard",     "tennis racket", "bottle",       "wine glass",    "cup",
    "fork",           "knife",      "spoon",         "bowl",          "banana",       "apple",         "sandwich",
    "orange",         "broccoli",   "carrot",        "hot dog",       "pizza",        "donut",         "cake",
    "chair",          "couch",      "potted plant",  "bed",           "dining table", "toilet",        "tv",
    "laptop",         "mouse",      "remote",        "keyboard",      "cell phone",   "microwave",     "oven",
    "toaster",        "sink",       "refrigerator",  "book",          "clock",        "vase",          "scissors",
    "teddy bear",     "hair drier", "toothbrush"};
}  // namespace

std::string_view coco_name(int class_id) {
  if (class_id < 0 || class_id >= kCocoClassCount) return "unknown";
  return kNames[static_cast<size_t>(class_id)];
}

std::optional<int> coco_id(std::string_view name) {
  for (int i = 0; i < kCocoClassCount; ++i)
    if (kNames[static_cast<size_t>(i)] == name) return i;
  return std::nullopt;
}

}  // namespace vsp::core

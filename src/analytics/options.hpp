#pragma once
/// Rule options as config declares them (coordinates normalised 0..1, origin top-left, y down).
#include <optional>
#include <string>
#include <vector>

#include "core/types.hpp"
#include "road/options.hpp"

namespace vsp::analytics {

/// Which point of a box stands for the object.
enum class Anchor { bottom_center, center };

struct LineOptions {
  std::string name;
  core::Point p1, p2;        ///< normalised; `in` = from left of p1->p2 to right (on screen)
  std::vector<int> classes;  ///< COCO ids; empty = every class
  Anchor anchor = Anchor::bottom_center;
  int min_frames = 2;          ///< analysed frames on the new side before a crossing counts
  double min_distance = 0.01;  ///< dead band either side of the line, fraction of the frame diagonal
};

/// How a zone's occupancy is counted: tracked boxes; a dense count of the zone's pixels (person
/// boxes on upscaled tiles fused with head boxes, run every `count_interval_s`); or auto (dense
/// once the tracked occupancy reaches a few people).
enum class ZoneCountMode { boxes, dense, automatic };

struct ZoneOptions {
  std::string name;
  core::Polygon polygon;  ///< normalised
  std::vector<int> classes;
  Anchor anchor = Anchor::bottom_center;
  int enter_frames = 3;                     ///< analysed frames inside before an entry counts
  int exit_frames = 3;                      ///< analysed frames outside (or unseen) before an exit counts
  std::optional<double> dwell_threshold_s;  ///< emit zone_dwell once per stay beyond this
  std::optional<int> max_occupancy;         ///< emit zone_overcrowded above this
  double overcrowded_cooldown_s = 60;
  /// Left and removed objects (a zone with either key is watched; see object_watch.hpp).
  std::optional<double> abandoned_after_s;          ///< emit object_abandoned when left alone this long
  std::optional<double> removed_after_s;            ///< emit object_removed when a static object is gone this long
  ZoneCountMode count_mode = ZoneCountMode::boxes;  ///< dense/auto: zone_overcrowded follows the dense count
  double count_interval_s = 1;                      ///< occupancy sampled (and dense count run) this often
  road::RoadZoneOptions road;  ///< wrong way, speeding, no stopping, rail crossing (road/road_rules.hpp)
};

struct RulesOptions {
  std::vector<LineOptions> lines;
  std::vector<ZoneOptions> zones;
  std::vector<road::StopLineOptions> stop_lines;  ///< red light (road/road_rules.hpp)
};

}  // namespace vsp::analytics

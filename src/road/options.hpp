#pragma once
/// Road-rule options as config declares them: the camera's ground-plane calibration, its signals
/// (traffic lights, rail-crossing barriers) and the per-zone / per-stop-line keys of the road rules.
/// Image coordinates are normalised (0..1, origin top-left, y down); world coordinates are metres
/// on the road plane.
#include <optional>
#include <string>
#include <vector>

#include "core/types.hpp"

namespace vsp::road {

/// One correspondence: a point on the road as the camera sees it and where it is on the ground.
struct CalibrationPoint {
  core::Point image;    ///< normalised 0..1 in the camera's frame
  core::Point world_m;  ///< metres, any origin and orientation on the road plane
};

/// `calibration:` — a ground-plane homography from >= 4 points (no 3 of the 4 spanning ones collinear).
struct CalibrationOptions {
  std::vector<CalibrationPoint> points;
  double max_residual_m = 0.5;  ///< refuse a calibration whose RMS residual exceeds this
  double pixel_noise_px = 1.5;  ///< assumed noise of a box's ground point (for the speed uncertainty)
  double scale_error = 0.03;    ///< relative error of measured distances (hand-measured ~0.05-0.1, surveyed ~0.01)
};

enum class SignalSource { external, image };

/// `signals[]` — a traffic light or rail-crossing barrier whose state the rules read by name.
/// `external`: set through `PUT /api/signals/<name>` (serve) or a `--signals` timeline (analyze);
/// `image`: read from the lamp colours inside `region` of every analysed frame.
struct SignalOptions {
  std::string name;
  SignalSource source = SignalSource::external;
  core::Polygon region;            ///< image: the signal head (normalised)
  double min_state_s = 0.4;        ///< image: a new colour must hold this long (flicker, glare)
  double hold_s = 3.0;             ///< image: an unreadable head (occlusion) keeps its state this long
  double min_lit_fraction = 0.02;  ///< image: share of the region that must glow for a lamp to count
};

/// The road keys of a zone (on `rules.zones[]`); every rule here is off unless its key is set.
struct RoadZoneOptions {
  std::optional<core::Point> direction;   ///< allowed travel, normalised image vector: wrong_way
  std::optional<double> speed_limit_kmh;  ///< speeding
  double speed_margin_kmh = 5;            ///< tolerance above the limit
  double min_distance_m = 5;              ///< wrong_way and speeding: distance before it counts
  bool no_stopping = false;               ///< forbidden_stop
  double max_stop_s = 60;                 ///< forbidden_stop: stationary this long
  double stop_speed_mps = 0.7;            ///< below this a vehicle is stationary
  std::string queue_signal;               ///< stops while this signal is red or amber are a queue, not a stop
  std::string crossing_signal;            ///< rail crossing: closed while this signal is red (closed)
  bool any() const { return direction || speed_limit_kmh || no_stopping || !crossing_signal.empty(); }
};

/// `rules.stop_lines[]` — a stop line governed by a signal: crossing it during red is `red_light`.
struct StopLineOptions {
  std::string name;
  core::Point p1, p2;          ///< normalised; traffic crosses from the left of p1->p2 to its right
  std::string signal;          ///< a name from `signals`
  std::vector<int> classes;    ///< COCO ids; empty = road vehicles
  double amber_grace_s = 0.5;  ///< a crossing this soon after red began is still amber's
  int min_frames = 2;          ///< analysed frames past the line to confirm a crossing
};

}  // namespace vsp::road

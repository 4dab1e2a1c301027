#pragma once
/// Value types shared by every module: geometry in pixels, detections, tracks, timestamps.
#include <cstdint>
#include <string>
#include <vector>

namespace vsp::core {

/// A point in pixels (or normalised units where a name says so); y grows downwards.
struct Point {
  double x = 0;
  double y = 0;
};

/// Axis-aligned box, corners in pixels: (x1, y1) top-left, (x2, y2) bottom-right.
struct BoxXyxy {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
  float area() const { return width() > 0 && height() > 0 ? width() * height() : 0.f; }
  Point center() const { return {(x1 + x2) / 2.0, (y1 + y2) / 2.0}; }
  Point bottom_center() const { return {(x1 + x2) / 2.0, y2}; }
};

using Polygon = std::vector<Point>;

/// When a frame was shown: its index in decode order and its presentation time in seconds
/// from the start of the stream. Decision logic takes this, never a wall clock.
struct Timestamp {
  std::int64_t frame = 0;
  double pts_s = 0;
};

/// One detector output in frame pixels. `class_id` indexes the COCO-80 names.
struct Detection {
  BoxXyxy box_px;
  float score = 0;
  int class_id = 0;
};
using Detections = std::vector<Detection>;

enum class TrackState { tentative, confirmed, lost, removed };

/// A tracked object as the tracker reports it after an update.
struct Track {
  int id = 0;        ///< unique within one tracker, never reused
  BoxXyxy box_px;    ///< filtered box in this frame
  float score = 0;   ///< score of the last matched detection
  int class_id = 0;  ///< class voted over the track's whole life
  TrackState state = TrackState::tentative;
  int hits = 0;                     ///< matched detections so far
  int frames_since_update = 0;      ///< tracker calls since it was last matched; 0 = matched now
  double seconds_since_update = 0;  ///< stream time since it was last matched
  double vx_px_s = 0, vy_px_s = 0;  ///< centre velocity estimate
  bool confirmed() const { return state == TrackState::confirmed; }
};
using Tracks = std::vector<Track>;

/// A decoded frame in packed BGR24 (OpenCV's layout), owned by value.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> bgr;  ///< width * height * 3 bytes, no row padding
  Timestamp ts;
};

}  // namespace vsp::core

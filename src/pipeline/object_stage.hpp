#pragma once
/// Left and removed objects for one camera: the pixel model (detect::StaticForeground) fed with
/// each analysed frame and the people in it, the decision logic (analytics::ObjectWatch) fed with
/// its static regions and the tracks, and the evidence: a snapshot of the frame with the object's
/// box drawn for every event, and for `object_removed` a "before" snapshot too (the last frame the
/// object was seen in, or the empty-scene model for background taken away). Without pixels
/// (replay) only still bag tracks make objects. Shared by `vsp analyze` and `vsp serve`.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analytics/object_watch.hpp"
#include "core/types.hpp"
#include "detect/static_foreground.hpp"
#include "events/event.hpp"

namespace vsp::pipeline {

class ObjectStage {
 public:
  /// `snapshot_dir` empty = no snapshots; `snapshot_prefix` is what `snapshot_ref` holds.
  ObjectStage(const std::vector<analytics::ZoneOptions>& zones, int frame_width, int frame_height,
              std::string snapshot_dir, std::string snapshot_prefix);
  /// True when some zone is watched (else the camera needs no stage).
  static bool wanted(const std::vector<analytics::ZoneOptions>& zones);
  /// One analysed frame (`frame` null in replay) with its detections and tracks.
  std::vector<events::Event> update(const core::Image* frame, const core::Detections& detections,
                                    const core::Tracks& tracks, core::Timestamp ts);
  /// A new stream (size may change): the empty scene is learnt again.
  void restart(int frame_width, int frame_height);

 private:
  struct Before {
    double pts_s = -1e18;
    std::string jpeg;  ///< the whole frame, box drawn
  };
  std::string write_snapshot(const std::string& name, const std::string& jpeg) const;

  analytics::ObjectWatch watch_;
  detect::StaticForeground pixels_;
  std::string snapshot_dir_, snapshot_prefix_;
  std::map<int, Before> before_;  ///< object id → last frame it was seen in
};

}  // namespace vsp::pipeline

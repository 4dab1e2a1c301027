#pragma once
/// Left and removed objects for one camera: the pixel model (detect::StaticForeground) fed with
/// each analysed frame and the people in it, the decision logic (analytics::ObjectWatch) fed with
/// its static regions and the tracks, and the evidence: a snapshot of the frame with the object's
/// box drawn for every event, and for `object_removed` a "before" snapshot too (the last frame the
/// object was seen in, or the empty-scene model for background taken away). Without pixels
/// (replay) only still bag tracks make objects. Shared by `vsp analyze` and `vsp serve`.
///
/// The rule needs every person, also a small far one whose detections never reach a strict
/// tracker's start score (an owner walking away): when the camera's tracker starts tracks only on
/// confident detections, the stage tracks the same detections again with recall-friendly thresholds
/// (`kRecallHighScore` / `kRecallNewTrackScore`) and the rule sees those tracks (docs/rules.md).
///
/// A cut in the picture (detect::StaticForeground::cut: a PTZ preset move, a day/night switch, a
/// splice) is a restart of the empty scene and of the objects, as a new stream is, logged.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analytics/object_watch.hpp"
#include "core/types.hpp"
#include "detect/static_foreground.hpp"
#include "events/event.hpp"
#include "track/tracker.hpp"

namespace vsp::pipeline {

class ObjectStage {
 public:
  /// `snapshot_dir` empty = no snapshots; `snapshot_prefix` is what `snapshot_ref` holds.
  /// `tracker`: the camera's tracker options (a stricter one gets a recall-friendly twin here).
  ObjectStage(const std::vector<analytics::ZoneOptions>& zones, int frame_width, int frame_height,
              std::string snapshot_dir, std::string snapshot_prefix, const track::TrackerOptions& tracker = {});
  /// Thresholds of the rule's own tracking of people (the tracker's defaults before issue 9).
  static constexpr float kRecallHighScore = 0.3f, kRecallNewTrackScore = 0.35f;
  /// True when some zone is watched (else the camera needs no stage).
  static bool wanted(const std::vector<analytics::ZoneOptions>& zones);
  /// One analysed frame (`frame` null in replay) with its detections and tracks.
  std::vector<events::Event> update(const core::Image* frame, const core::Detections& detections,
                                    const core::Tracks& tracks, core::Timestamp ts);
  /// A new stream (size may change): the empty scene is learnt again.
  void restart(int frame_width, int frame_height);
  /// Cuts in the picture so far (each one a restart of the empty scene and of the objects, with
  /// the people kept; see docs/rules.md).
  int cuts() const { return cuts_; }

 private:
  struct Before {
    double pts_s = -1e18;
    std::string jpeg;  ///< the whole frame, box drawn
  };
  std::string write_snapshot(const std::string& name, const std::string& jpeg) const;

  analytics::ObjectWatch watch_;
  std::optional<track::Tracker> recall_;  ///< set when the camera's tracker is stricter than kRecall*
  detect::StaticForeground pixels_;
  std::string snapshot_dir_, snapshot_prefix_;
  std::map<int, Before> before_;  ///< object id → last frame it was seen in
  int cuts_ = 0;
};

}  // namespace vsp::pipeline

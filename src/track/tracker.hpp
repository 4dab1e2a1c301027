#pragma once
/// Multi-object tracker of the ByteTrack family, with OC-SORT's observation-centric ideas:
///
///   detections ─┬─ high score ─► 1st association (confirmed + lost tracks, IoU; lost tracks use
///               │                 boxes expanded with the time they have been unseen)
///               │                 └─► re-found lost track: re-update along a virtual path (ORU)
///               ├─ low score  ─► 2nd association (still-tracked tracks only)
///               └─ leftovers  ─► 3rd association against each track's last *observed* box (OCR),
///                                 then tentative tracks, then new tentative tracks
///
/// Tracks are tentative until `min_hits` matches in a row, lost when unmatched, removed after
/// `lost_buffer_s`. Ids are given at confirmation, so ids reported are dense and never reused.
///
/// Time is the timestamps', not the calls': prediction, the growth of unseen boxes, velocity decay
/// and expiry advance by the time between calls (in nominal frame periods of `frame_rate`), so a
/// tracker called at 25, 5 or an irregular 2-7 calls per second gives the same answers in seconds.
/// A timestamp earlier than the previous call's starts the tracker over (a looped file, a new
/// connection); callers that know why should call `reset()` themselves and log the reason.
#include <array>
#include <cstdint>
#include <vector>

#include "core/types.hpp"
#include "track/kalman_box_filter.hpp"

namespace vsp::track {

/// How detection scores are read before the thresholds below apply (they are meant for 0..1).
enum class ScoreScale {
  /// `unit` while every score seen lies in [0, 1]; from the first score outside it on, `rank`.
  automatic,
  unit,  ///< scores are probability-like in [0, 1]: used as they are
  /// A score becomes its rank among the detector's scores seen so far (the first
  /// `score_calibration_size` detections of the stream): the fraction below it, ties counted
  /// half. Any monotone score scale (DPM -0.5..4.8, ACF -0.8..139) then means the same.
  rank,
};

struct TrackerOptions {
  /// Nominal update calls per second: the unit of the per-frame noise, growth and decay below.
  /// At exactly this rate the tracker behaves as a classic per-frame tracker.
  double frame_rate = 30;
  /// Detections at or above take part in the 1st association. 0.4 / 0.6 (with new_track_score)
  /// win on every real detection set (docs/tracking.md); scenes of weak but steady objects (top-down
  /// cars read as "cell phone") set 0.3 / 0.35 in their config, and the left-object rule tracks
  /// people again with those (pipeline::ObjectStage) so a small far owner is not lost.
  float high_score = 0.4f;
  float low_score = 0.1f;           ///< detections below are ignored
  float new_track_score = 0.6f;     ///< a leftover detection at or above starts a track
  float match_max_cost = 0.8f;      ///< 1st association: max (1 - IoU x score)
  float low_match_max_cost = 0.5f;  ///< 2nd association: max (1 - IoU)
  float recovery_max_cost = 0.5f;   ///< 3rd association (last observation): max (1 - IoU)
  float tentative_max_cost = 0.7f;  ///< tentative tracks: max (1 - IoU x score)
  int min_hits = 2;                 ///< consecutive matches to confirm
  /// A tentative track none of whose detections reached `quick_confirm_score` must also have been
  /// matched in a row for `slow_confirm_s` seconds: a weak but steady object (a top-down car read
  /// as "cell phone") is kept, a real detector's weak false alarm, which flickers, is not.
  float quick_confirm_score = 0.6f;
  double slow_confirm_s = 0.0;
  double lost_buffer_s = 3.0;  ///< how long an unseen established track may come back
  /// A track matched fewer than `established_hits` times may come back only for
  /// `young_lost_buffer_s` (at most lost_buffer_s): a real detector's repeated false alarm should
  /// not hold on to its place as long as a person tracked for a while. 5 = the young tracks whose
  /// predicted boxes are not shown either (report_predicted_min_hits); 30 gains more on ACF but
  /// costs line counting (docs/tracking.md).
  int established_hits = 5;
  double young_lost_buffer_s = 2.0;
  double lost_expand_per_frame = 0.01;  ///< box growth of unseen tracks for matching, per nominal frame
  double lost_expand_max = 0.6;
  /// Tentative tracks have no velocity yet: for matching, their box and the detection's grow by
  /// this fraction per second since they were seen (capped by lost_expand_max), so a walker is
  /// confirmed also when the detector runs only a few times a second.
  double tentative_expand_per_s = 2.0;
  bool fuse_score = true;  ///< weigh IoU by detection score in the 1st association
  /// Similarity of the 1st and tentative associations: IoU x (height IoU)^height_iou_power
  /// (Hybrid-SORT's height-modulated IoU: people of other depths differ in height) minus
  /// centre_distance_weight x (centre distance / enclosing-box diagonal)^2 (DIoU). 0 = plain IoU.
  double height_iou_power = 0;
  double centre_distance_weight = 0;
  bool observation_reupdate = true;  ///< ORU on re-found tracks
  double velocity_damping = 1.0;     ///< velocity decay per unseen nominal frame (stops runaway predictions)
  /// Consumers that output boxes (e.g. `vsp track`) also show a lost track at its predicted box
  /// for this long: a missed detection is far likelier than an object vanishing. 0 = never.
  /// Only where the evidence says the object is still there (see `reported()`): a track matched
  /// at least `report_predicted_min_hits` times, whose predicted box has not left the frame.
  double report_predicted_s = 0.4;
  int report_predicted_min_hits = 5;
  /// A predicted box is not shown once more than this fraction of its area has moved out of the
  /// frame since the track was last matched (the object is walking out of view: a real
  /// detector stops seeing it at the edge). 1 = no check.
  double report_predicted_max_exit = 0.05;
  ScoreScale score_scale = ScoreScale::automatic;
  int score_calibration_size = 2000;  ///< detections whose scores define `rank`
};

/// Whether a consumer that writes boxes (`vsp track`, `vsp analyze --tracks-out`) shows `t` now: a
/// confirmed track matched in this call, or a lost one for `report_predicted_s` with the evidence
/// checks above. `width` x `height` is the frame (0 = unknown: no exit check). Causal: it reads
/// only the track as it is now (its predicted box, velocity and time unseen).
bool reported(const core::Track& t, const TrackerOptions& o, int width, int height);

class Tracker {
 public:
  explicit Tracker(TrackerOptions options = {});

  /// Advances to `ts`. Returns every live track: matched ones (`frames_since_update == 0`),
  /// tentative or confirmed, and lost ones with their predicted box.
  core::Tracks update(const core::Detections& detections, core::Timestamp ts);
  /// Forgets every track (ids keep counting up, so an id is never reused).
  void reset();
  /// Camera-motion compensation hook (BoT-SORT's GMC): the caller that sees pixels estimates the
  /// 2x3 affine image motion [a b tx; c d ty] from the previous frame to the next one (e.g. sparse
  /// optical flow on a small grey image) and calls this before update(); every track's state and
  /// last observation move with the image. Nothing calls it yet: MOTChallenge public detections
  /// come without images, so the gain cannot be measured here (docs/tracking.md).
  void apply_camera_motion(const std::array<double, 6>& affine);
  const TrackerOptions& options() const { return options_; }

 private:
  struct Item {
    int id = 0;  ///< public id, 0 until confirmed
    KalmanBoxFilter::State kf;
    KalmanBoxFilter::State kf_at_last_obs;
    core::BoxXyxy last_obs;
    core::TrackState state = core::TrackState::tentative;
    int hits = 0;
    int streak = 0;
    std::int64_t last_obs_call = 0;  ///< index of the update call that last matched it
    double last_obs_pts_s = 0;       ///< and that call's time
    double first_obs_pts_s = 0;      ///< time of the first observation of its current streak
    float best_score = 0;            ///< highest detection score while tentative
    float score = 0;
    std::vector<std::pair<int, float>> class_votes;
  };

  void apply_match(Item& t, const core::Detection& d, std::int64_t call, double pts_s);
  /// IoU, modulated as `height_iou_power` and `centre_distance_weight` say.
  double similarity(const core::BoxXyxy& a, const core::BoxXyxy& b) const;
  /// Fills `scaled_` with `detections`, scores read by `options_.score_scale`.
  void scale_scores(const core::Detections& detections);
  core::Track report(const Item& t, std::int64_t call, double pts_s) const;

  TrackerOptions options_;
  KalmanBoxFilter kf_;
  std::vector<Item> items_;
  int next_id_ = 1;
  std::int64_t call_ = -1;  ///< update calls so far - 1
  double last_pts_s_ = 0;   ///< time of the previous call
  bool first_update_ = true;
  std::vector<float> calibration_;  ///< sorted scores of the first detections (kept over reset())
  bool out_of_unit_ = false;        ///< a score outside [0, 1] was seen
  core::Detections scaled_;
};

}  // namespace vsp::track

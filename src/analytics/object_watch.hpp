#pragma once
/// Left and removed objects in watched zones (zones with `abandoned_after_s` or `removed_after_s`).
/// Pure decision logic: it takes static regions (from the pixel model, detect::StaticForeground),
/// the tracks, and a timestamp; it never sees pixels.
///
///   static regions ─┬─► objects (kept by overlap: a bag moved a little stays the same object)
///   still bag tracks ┘      │ owner = the person track that was next to it when it appeared
///                           │ attended while the owner stays within reach (or, owner unknown,
///                           │ while a person stands still next to it); hidden while a person covers it
///                           ▼
///   alone for abandoned_after_s ─► object_abandoned ── gone ─► object_cleared
///   a static object gone for removed_after_s ─► object_removed
///   a "ghost" (background taken away) for removed_after_s ─► object_removed
///
/// "Abandoned after N s" counts from the last moment the owner was within reach (moved away or
/// left the view), not from put-down (CONTRACTS.md).
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "analytics/options.hpp"
#include "core/types.hpp"
#include "events/event.hpp"

namespace vsp::analytics {

/// A static region as the pixel model saw it, in frame pixels.
struct StaticRegion {
  core::BoxXyxy box_px;
  bool ghost = false;  ///< background taken away rather than an object added
  double vacant = 0;   ///< share of its pixels that show the empty scene now (see detect::StaticBlob)
};

/// Tuning that config does not expose (documented in docs/rules.md).
struct ObjectWatchOptions {
  double confirm_s = 1.0;         ///< a region seen this long is an object
  double owner_reach = 0.12;      ///< owner within this share of the frame diagonal (+ the object's size) attends
  double still_speed = 0.04;      ///< frame diagonals per second: slower people are standing still
  double history_s = 12;          ///< how far back the owner is searched when an object appears
  double clear_after_s = 2.0;     ///< an abandoned object unseen (and not hidden) this long is cleared
  double min_present_s = 5.0;     ///< an object must have stood this long for its removal to count
  double forget_outside_s = 5.0;  ///< static regions outside watched zones are absorbed after this
  double forget_ghost_s = 20.0;   ///< ghosts that are no removal are absorbed after this
  double owner_grace_s = 3.0;     ///< an owner last seen within reach, then missed, attends this long
  double handover_after_s = 1.0;  ///< the owner unseen this long may be handed over to a new track
  double adopt_window_s = 5.0;    ///< no owner: a still person next to it this soon after it appeared owns it
  double min_ghost_area = 0.002;  ///< share of the frame: smaller ghosts are not removals
  double min_scene_age_s = 30;    ///< ghosts seen sooner after the stream began are not removals
  double vacant_share = 0.7;      ///< a region this much back to the empty scene shows the spot empty
};

/// What one update decided.
struct ObjectWatchUpdate {
  std::vector<events::Event> events;  ///< object_abandoned, object_cleared, object_removed
  std::vector<core::BoxXyxy> absorb;  ///< regions the pixel model should take as background now
  /// Objects seen (not hidden) now: id → box, for the "before" snapshot of a later removal.
  std::vector<std::pair<int, core::BoxXyxy>> visible;
};

class ObjectWatch {
 public:
  /// `zones`: every zone of the camera; only watched ones are used.
  ObjectWatch(const std::vector<ZoneOptions>& zones, int frame_width, int frame_height,
              ObjectWatchOptions options = {});
  static bool watched(const ZoneOptions& z) { return z.abandoned_after_s.has_value() || z.removed_after_s.has_value(); }
  bool empty() const { return zones_.empty(); }

  ObjectWatchUpdate update(const std::vector<StaticRegion>& regions, const core::Tracks& tracks, core::Timestamp ts);
  /// A new stream: forgets every object and person (frame size may change).
  void restart(int frame_width, int frame_height);
  /// A cut in the picture at `pts_s` (the pixel model learnt the scene again): forgets every
  /// object, silently (an alarm already given stands; no object_cleared follows), and counts the
  /// scene's age from now (ghosts in the next min_scene_age_s are no removals). People are kept.
  void scene_cut(double pts_s);

  /// COCO ids the detector reports for carried objects: backpack, handbag, suitcase.
  static bool is_bag_class(int class_id) { return class_id == 24 || class_id == 26 || class_id == 28; }

 private:
  struct Zone {
    ZoneOptions options;
    core::Polygon poly_px;
  };
  struct Object {
    int id = 0;
    core::BoxXyxy box;         ///< as last seen
    core::BoxXyxy stable_box;  ///< as last seen whole, before the alarm: what events report
    bool ghost = false;        ///< most looks were ghosts (ghost_votes of observations)
    int ghost_votes = 0;
    int zone = -1;
    int bag_class = -1;  ///< a still bag track matched it
    double first_seen_s = 0, last_seen_s = 0;
    std::optional<double> gone_since_s;
    std::optional<double> cover_since_s;  ///< hidden since (reset by a clear sighting)
    std::optional<int> owner;             ///< track id (the first name the owner had)
    std::set<int> owners;                 ///< every track id the owner went by (handovers)
    double owner_seen_s = -1e18;          ///< last time an owner track was matched
    bool owner_seen_near = false;         ///< ... and whether it was within reach then
    core::Point owner_last{};             ///< where the owner was last seen (box bottom-centre)
    double owner_height_px = 0;
    double last_attended_s = 0;
    int observations = 0;
    bool established = false;  ///< seen on its own (not inside a person or vehicle) long enough
    double other_score = 0;    ///< moving average: 1 = it lies inside a person's or vehicle's box
    bool abandoned = false;
  };
  struct Seen {
    double pts_s;
    core::BoxXyxy box;
    double speed_px_s;
  };
  events::Event make(const char* type, const Object& o, double pts_s) const;
  int zone_of(const core::BoxXyxy& b) const;
  double reach_px(const Object& o) const;
  void find_owner(Object& o, double now_s) const;

  ObjectWatchOptions options_;
  std::vector<ZoneOptions> zone_options_;
  std::vector<Zone> zones_;
  double diag_px_ = 1;
  int frame_w_ = 0, frame_h_ = 0;
  std::vector<Object> objects_;
  std::map<int, std::deque<Seen>> people_;  ///< recent boxes of each person track
  int next_id_ = 1;
  std::optional<double> started_s_;  ///< the first update's time
};

}  // namespace vsp::analytics

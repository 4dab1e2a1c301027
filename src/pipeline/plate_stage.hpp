#pragma once
/// Plate reading for a camera's vehicle tracks: reads a track's plate a few times while it is
/// large enough, votes the reads per track (anpr::PlateVoter), votes the vehicle's colour, and
/// emits one `plate_read` event per track whose consensus is confident and fits the grammar —
/// as soon as the consensus settles (a parked car is reported too), else when the track ends.
/// Shared by `vsp analyze` and `vsp serve`.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "anpr/options.hpp"
#include "anpr/plate_reader.hpp"
#include "anpr/plate_voter.hpp"
#include "core/types.hpp"
#include "events/event.hpp"

namespace vsp::pipeline {

class PlateStage {
 public:
  /// `snapshot_dir`: where plate crops go (JPEG); `snapshot_prefix` is what `snapshot_ref` holds.
  static core::Result<std::unique_ptr<PlateStage>> create(const anpr::AnprOptions& options, std::string snapshot_dir,
                                                          std::string snapshot_prefix);
  /// Reads plates of eligible tracks in this frame; returns `plate_read` events of tracks that ended.
  std::vector<events::Event> update(const core::Image& frame, const core::Tracks& tracks, core::Timestamp ts);
  /// End of stream: events for every track still open.
  std::vector<events::Event> finish();
  /// Vehicles (tracks that got at least one attribute read) by class and colour.
  const std::map<std::string, std::map<std::string, long>>& vehicles_by_class_color() const { return by_class_color_; }
  long plates_reported() const { return reported_; }

 private:
  struct TrackPlates {
    anpr::PlateVoter voter;
    double last_read_pts = -1e18;
    int reads = 0;
    std::map<std::string, float> color_votes;
    std::string class_name;
    core::BoxXyxy best_plate_box;
    float best_conf = -1;
    std::string best_crop_jpeg;
    double first_pts = 0;
    bool emitted = false;
  };
  std::optional<events::Event> finish_track(int id, TrackPlates& t);
  std::optional<events::Event> make_event(int id, TrackPlates& t);
  static std::string voted_color(const TrackPlates& t);

  anpr::AnprOptions options_;
  std::unique_ptr<anpr::PlateReader> reader_;
  std::unique_ptr<anpr::VehicleClassifier> attributes_;
  std::string snapshot_dir_, snapshot_prefix_;
  std::map<int, TrackPlates> tracks_;
  std::map<std::string, std::map<std::string, long>> by_class_color_;
  long reported_ = 0;
};

}  // namespace vsp::pipeline

#pragma once
/// Reads a traffic light (or a rail-crossing lamp) from the pixels of its signal head: which lamp
/// glows — saturated, bright red, amber or green pixels inside the region — held over time so that
/// LED flicker (dark frames), glare (bright but colourless pixels) and short occlusions (a bus
/// passing) do not change the state.
///
///   frame ─► lit pixels by hue ─► observed colour (or none) ─► held min_state_s ─► state (back-dated
///                                                               to its first sighting)
#include <cstdint>
#include <optional>

#include "core/types.hpp"
#include "road/options.hpp"
#include "road/signal_board.hpp"

namespace vsp::road {

/// What one frame shows inside the region.
struct LampObservation {
  SignalState colour = SignalState::unknown;  ///< unknown = no lamp glows (dark, occluded, glare)
  double red = 0, amber = 0, green = 0;       ///< share of region pixels lit in each colour
};

/// Classifies the region of one frame (pure).
LampObservation observe_lamp(const core::Image& frame, const core::Polygon& region_normalised, double min_lit_fraction);

class SignalHeadReader {
 public:
  explicit SignalHeadReader(SignalOptions options) : options_(std::move(options)) {}
  /// A new state when this frame confirms one: {state, since_ms}; nullopt otherwise.
  std::optional<SignalReading> update(const core::Image& frame, std::int64_t ts_ms);
  /// The same from an observation (tests, and the image-free part of update).
  std::optional<SignalReading> update(const LampObservation& obs, std::int64_t ts_ms);
  SignalState state() const { return state_; }
  const std::string& name() const { return options_.name; }

 private:
  SignalOptions options_;
  SignalState state_ = SignalState::unknown;
  SignalState candidate_ = SignalState::unknown;
  std::int64_t candidate_since_ms_ = 0;
  std::int64_t last_lit_ms_ = -1;  ///< last frame where any lamp glowed
};

}  // namespace vsp::road

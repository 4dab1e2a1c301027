#pragma once
/// Static-foreground detection: pixels that differ from the empty scene and have stopped changing,
/// for abandoned- and removed-object rules. A dual background model on a small image:
///
///   long-term background B_L (the empty scene; follows lighting only where nothing stands)
///   short-term background B_S (a running mean over ~1 s: whatever is in the scene now)
///
///   F_L = |I − B_L| > thr   (differs from the empty scene)     F_S = |I − B_S| > thr   (moving now)
///   evidence E per pixel (seconds):  F_L ∧ ¬F_S ∧ no person  → E += dt   (still, new)
///                                    F_S or a person box     → E held    (something passes in front)
///                                    ¬F_L                    → E −= 4 dt (back to the empty scene)
///   static mask = E ≥ static_s → connected components → blobs
///
/// A blob is either an object that was added, or a "ghost": background that was taken away (the
/// empty scene's edges on the blob's outline are stronger than the frame's). Lighting: each frame's
/// gain against B_L (per brightness band of B_L) is divided out before comparing. Nothing is ever
/// absorbed into B_L under a blob unless the caller asks (`absorb`): the rule decides when an object
/// stops mattering. A cut in the picture (most of the frame changes at once beyond the
/// frame-to-frame gain, or the gain itself jumps) makes the frame after it the empty scene, as a new
/// stream does. Time constants are in seconds of stream time, so any frame rate works.
#include <memory>
#include <vector>

#include "core/types.hpp"

namespace vsp::detect {

struct StaticForegroundOptions {
  int work_width = 320;             ///< the model runs on the frame scaled to this width (never up)
  double static_s = 3.0;            ///< still this long before a pixel is static foreground
  double short_tau_s = 0.8;         ///< time constant of the short-term background
  double long_tau_s = 20.0;         ///< time constant of B_L's drift on background pixels
  double diff_threshold = 18;       ///< max-channel difference (0..255) that counts as different
  double min_area_fraction = 4e-4;  ///< blobs smaller than this share of the work image are dropped
  double people_hold_s = 1.5;       ///< a person box holds the evidence under it this long after it was seen
  double max_area_fraction = 0.15;  ///< larger blobs are scene changes (lighting, camera moved): absorbed
  /// The gain against the empty scene is measured per brightness band of B_L (this many bands
  /// over 16..245, interpolated) rather than once for the frame: 1 = one global gain.
  int brightness_bins = 8;
  /// A cut in the picture between two analysed frames (a PTZ preset move, a day/night switch, a
  /// re-exposure jump, a splice in a recording) restarts the model: this share of the pixels that
  /// no person covers changes beyond the frame-to-frame gain, ...
  double cut_changed_fraction = 0.45;
  double cut_gain_step = 1.5;  ///< ... or the frame-to-frame gain steps beyond this factor (either way)
};

/// A static region in frame pixels.
struct StaticBlob {
  core::BoxXyxy box_px;
  double area_px = 0;  ///< pixels of the mask, in frame pixels
  bool ghost = false;  ///< background taken away (rather than an object added)
  /// Share of the blob's pixels that clearly show the empty scene again in this frame (differing
  /// by under half the threshold; saturated pixels cannot tell and are left out). The evidence
  /// is held while a person covers the spot, so a blob outlives an object picked up and carried
  /// off; where the spot shows the empty scene the object is gone, whoever stands around it.
  double vacant = 0;
};

class StaticForeground {
 public:
  explicit StaticForeground(StaticForegroundOptions options = {});
  ~StaticForeground();
  StaticForeground(const StaticForeground&) = delete;
  StaticForeground& operator=(const StaticForeground&) = delete;

  /// Feeds a frame at its time; `people_px` are boxes of people now (evidence is held under them).
  /// Returns the static blobs. The first frame (or a new size) becomes the empty scene.
  std::vector<StaticBlob> update(const core::Image& frame, const std::vector<core::BoxXyxy>& people_px);
  /// The scene under `box_px` becomes background now (B_L := frame, evidence cleared).
  void absorb(const core::BoxXyxy& box_px);
  /// Forgets everything: the next frame becomes the empty scene.
  void reset();
  /// The last update found a cut in the picture (see StaticForegroundOptions::cut_changed_fraction)
  /// and restarted the model: that frame is the empty scene now, and no blob came from it.
  bool cut() const;
  /// The long-term background (the empty scene) at work size, BGR; empty before the first frame.
  core::Image background() const;

 private:
  StaticForegroundOptions options_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vsp::detect

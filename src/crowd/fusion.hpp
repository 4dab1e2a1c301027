#pragma once
/// Crowd count fusion: pure functions from detections to a number of people (no pixels, no
/// models), so every threshold can be swept and chosen by leave-one-out on recorded detections.
///
///   person boxes (whole image, and tiles upscaled) ─┐
///                                                   ├─► count = heads + persons showing no head
///   head boxes (one or more input scales) ──────────┘
///
/// A person box "shows" a head when a head's centre lies in the box's upper part; a person whose
/// head the head detector missed (turned away, too small) still counts once, and a head whose
/// body is hidden in the crowd counts once.
#include <array>
#include <string>
#include <vector>

#include "core/types.hpp"

namespace vsp::crowd {

/// Network input sizes the head detector is run at (index = bit in `CountParams::head_scales`).
/// The last two (1.5x and 2x a 1024x768 photo) were measured and are not in the default grid
/// (docs/rules.md: more false heads than small heads found); `count_loo --upscaled` records them.
inline constexpr std::array<std::array<int, 2>, 6> kHeadScales = {
    {{640, 480}, {800, 608}, {1024, 768}, {320, 240}, {1536, 1152}, {2048, 1536}}};
/// The scales `count_loo` records by default (bits of kHeadScales).
inline constexpr unsigned kBaseHeadScales = 0b1111;

/// Everything the detectors found on one image at low thresholds (thresholds are applied later).
struct RawDetections {
  int width = 0, height = 0;
  core::Detections persons_full;                           ///< person detector on the whole image
  core::Detections persons_tiles;                          ///< on overlapping tiles, in image pixels (not yet merged)
  std::array<core::Detections, kHeadScales.size()> heads;  ///< per scale, each suppressed on its own
};

enum class Fusion { persons, heads, head_or_person, max };
const char* to_string(Fusion f);

/// The knobs of the dense count. Defaults: the grid entry with the least error on all 22
/// development images (`bench/count_loo`); its error on unseen images is estimated by
/// leave-one-out (docs/rules.md).
struct CountParams {
  unsigned head_scales = 0b1010;  ///< bit i = kHeadScales[i]; 0 = no head detector
  float head_threshold = 0.6f;
  bool person_tiles = true;  ///< add the tiled person pass to the whole-image one
  float person_threshold = 0.65f;
  Fusion fusion = Fusion::head_or_person;
  /// The top fraction of a person box where its head is looked for.
  float head_zone = 0.4f;
  bool operator==(const CountParams&) const = default;
};
std::string describe(const CountParams& p);

/// Low thresholds the recorded detections must be taken at for any swept value to be applied.
inline constexpr float kMinHeadThreshold = 0.3f;
inline constexpr float kMinPersonThreshold = 0.15f;

/// Merged person boxes at `threshold`: tile boxes join the whole-image ones; duplicates (IoU > 0.5,
/// or a box mostly inside a higher-scored one, as a person cut by a tile edge) go.
core::Detections merge_persons(const RawDetections& raw, bool tiles, float threshold);
/// Merged head boxes of the selected scales at `threshold` (IoU 0.4 across scales).
core::Detections merge_heads(const RawDetections& raw, unsigned scales, float threshold);
/// Persons with no head in their upper `head_zone` (each head explains at most one person).
int persons_without_head(const core::Detections& persons, const core::Detections& heads, float head_zone);

/// One counted person: where they stand (feet, image pixels) and what saw them.
struct Person {
  core::Point ground;  ///< person box: bottom centre; head alone: head centre + 6 head heights down
  bool head = false;   ///< a head box took part
};
/// The people of one image (dense mode): heads, plus person boxes showing no head.
std::vector<Person> fuse_people(const RawDetections& raw, const CountParams& p);
/// The dense count of one image: `fuse_people(raw, p).size()`, or max(heads, persons).
int fuse_count(const RawDetections& raw, const CountParams& p);

// ---- Leave-one-out selection ------------------------------------------------------------------
struct LabelledImage {
  RawDetections raw;
  int truth = 0;
};
struct LooResult {
  double loo_mae = 0;                 ///< each image counted with the params chosen on the others
  double loo_rel = 0;                 ///< mean |error| / truth, same protocol
  std::vector<int> loo_counts;        ///< per image
  std::vector<CountParams> per_fold;  ///< the choice made without image i
  CountParams chosen_all;             ///< the choice on every image (what ships as the default)
  double in_sample_mae = 0;           ///< of `chosen_all` on every image (optimistic, for contrast)
};
/// The params of `grid` with the least mean absolute error on the images except `skip` (-1 = none);
/// ties go to the earlier entry of the grid.
CountParams select_params(const std::vector<LabelledImage>& images, const std::vector<CountParams>& grid, int skip);
LooResult leave_one_out(const std::vector<LabelledImage>& images, const std::vector<CountParams>& grid);
/// The grid swept by the evaluation (docs/rules.md lists it).
std::vector<CountParams> default_grid();

}  // namespace vsp::crowd

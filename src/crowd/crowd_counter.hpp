#pragma once
/// Counting people in a still image or a frame region, three ways:
/// - `boxes`: the plain person detector on the whole image (cheap; under-counts crowds);
/// - `dense`: person boxes on the image and on upscaled overlapping tiles, fused with head boxes
///   (`fusion.hpp`); several detector calls, so several times the cost;
/// - `auto`: the boxes pass first; at `auto_dense_from` people or more, the dense pass decides.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/types.hpp"
#include "crowd/fusion.hpp"

namespace vsp::detect {
class Detector;
}

namespace vsp::crowd {

class HeadDetector;

enum class CountMode { automatic, boxes, dense };
const char* to_string(CountMode m);
std::optional<CountMode> parse_count_mode(const std::string& word);  ///< auto, boxes, dense

struct CounterOptions {
  std::string person_model = "picodet_s_416";
  float boxes_threshold = 0.30f;  ///< person score for `boxes` (MANIFEST.md's counting threshold)
  CountParams dense;              ///< the dense fusion (defaults chosen by leave-one-out)
  int auto_dense_from = 4;        ///< `auto`: boxes count from which the dense pass runs
  int tile_grid = 2;              ///< tiles per side for the tiled person pass
  float tile_overlap = 0.25f;     ///< fraction of a tile shared with its neighbour
  int threads = 0;                ///< OpenCV threads; 0 = its default
};

struct CountResult {
  int count = 0;
  CountMode used = CountMode::boxes;  ///< what decided (auto resolves to boxes or dense)
  int boxes_count = 0;                ///< the plain detector's count (every mode runs it)
  std::vector<Person> people;         ///< where each counted person stands (image pixels)
  double ms = 0;                      ///< wall time of the models
};

class CrowdCounter {
 public:
  /// Loads the person detector, and the head detector when the dense params use it.
  static core::Result<std::unique_ptr<CrowdCounter>> create(const CounterOptions& options);
  ~CrowdCounter();
  CrowdCounter(const CrowdCounter&) = delete;
  CrowdCounter& operator=(const CrowdCounter&) = delete;

  const CounterOptions& options() const { return options_; }
  /// Counts people in `image`.
  CountResult count(const core::Image& image, CountMode mode);
  /// Runs the detectors `need` asks for, at the lowest swept thresholds (for evaluation);
  /// `full`: the whole-image person pass when it was already run.
  struct Need {
    bool tiles = true;
    unsigned head_scales = 0b1111;
  };
  RawDetections observe(const core::Image& image, Need need, const core::Detections* full = nullptr);

 private:
  explicit CrowdCounter(CounterOptions o);
  CounterOptions options_;
  std::unique_ptr<detect::Detector> persons_;
  std::unique_ptr<HeadDetector> heads_;
};

/// Reads an image file for counting: clear errors for a missing, unreadable or huge file
/// (more than `max_pixels`; `bad_image`, `image_too_large`).
core::Result<core::Image> load_image(const std::string& path, long max_pixels = 50'000'000);

/// A count ground truth file (`counts.csv`: header, then `image,annotation,count` rows; the
/// data sets' format): (image path as written, count) in file order; `bad_counts_file` if it cannot
/// be read or a count is not a number.
core::Result<std::vector<std::pair<std::string, int>>> read_counts_csv(const std::string& path);

/// The part of `image` inside `rect` (clamped), as its own image.
core::Image crop(const core::Image& image, int x, int y, int w, int h);

}  // namespace vsp::crowd

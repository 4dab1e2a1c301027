#pragma once
/// Licence-plate reading on CPU with PP-OCRv4: the text detector localises plate-like text in a
/// vehicle crop (any country), the recogniser reads it with decoding restricted to the plate
/// alphabet, and several crops of each plate are voted character by character; the region's
/// grammar validates and ranks the reads.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "anpr/plate_grammar.hpp"
#include "anpr/plate_localiser.hpp"
#include "core/result.hpp"
#include "core/types.hpp"

namespace vsp::anpr {

/// One plate read from one image.
struct PlateRead {
  std::string text;
  float confidence = 0;       ///< mean per-character probability after voting, 0..1
  core::BoxXyxy box_px;       ///< plate box in the image
  bool valid = false;         ///< fits the region's grammar
  bool known_layout = false;  ///< fits one of the region's national layouts
  float char_height_px = 0;   ///< height of the text line (plate characters are the tallest text)
  std::vector<std::pair<std::string, float>> candidates;  ///< other readings, best first
  std::vector<float> char_confidence;
};

struct PlateReaderOptions {
  Region region = Region::any;
  int min_plate_px = 40;        ///< plates narrower than this are not read
  float min_text_score = 0.5f;  ///< DB box score
  bool localiser = true;        ///< LPD-YuNet finds the plates (else only the text detector chain)
  PlateLocaliserOptions lpd;    ///< for `read` on a ROI (a vehicle box)
  int max_plates = 3;           ///< plates read per ROI, best localiser score first
  bool use_corners = false;     ///< rectify the regressed corners where plausible (else the plate's box)
  bool text_fallback = true;    ///< the text detector chain where the localiser yields no valid read
  /// Correct one character of the wrong kind for a frequent layout (`frequent_layout_fix`).
  bool frequent_layouts = true;
  /// A localised plate's second crop is read only when the first crop's read does not fit a
  /// national layout or its confidence is below this (`second_crop_needed`); above 1: always both
  /// crops. Chosen on half A of the photos, checked on half B (docs/anpr.md).
  float single_crop_confidence = 0.97f;
  /// Engine for LPD-YuNet and the PP-OCRv4 models, as `detector.backend` (`auto`: the fast backend
  /// where it runs the model, else OpenCV DNN, logged either way).
  detect::Backend backend = detect::Backend::automatic;
  int threads = 0;  ///< inference threads (fast backend); 0 = the process's cores
};

/// The reader's forwards so far, per model (benchmarks and tests).
struct PlateReaderUsage {
  ModelUsage localiser;        ///< LPD-YuNet
  ModelUsage recogniser;       ///< PP-OCRv4 recogniser, both input widths
  ModelUsage recogniser_wide;  ///< of which at 48x320 (crops wider than 160 px at 48 px height)
  ModelUsage text_detector;    ///< PP-OCRv4 detector (the fallback chain)
};

class PlateReader {
 public:
  /// Loads (and verifies) LPD-YuNet and the PP-OCRv4 detector and recognisers.
  static core::Result<std::unique_ptr<PlateReader>> create(const PlateReaderOptions& options);
  ~PlateReader();
  /// Reads plates inside `roi` of `image` (a vehicle box, or the whole image), best first:
  /// `read_located` with the options' localiser settings, then, where that gives no read that
  /// fits the grammar and `text_fallback` is set, `read_text` too.
  std::vector<PlateRead> read(const core::Image& image, const core::BoxXyxy& roi);
  /// LPD-YuNet on `roi`, then each plate (at most `max_plates`) rectified and read.
  std::vector<PlateRead> read_located(const core::Image& image, const core::BoxXyxy& roi,
                                      const PlateLocaliserOptions& lpd);
  /// One localised plate: its box (or plausible quadrilateral) is warped upright and read on the
  /// character band, then on a slightly wider crop where `second_crop_needed`; the read that fits
  /// the grammar best, then is most confident, wins.
  std::optional<PlateRead> read_quad(const core::Image& image, const PlateQuad& quad);
  /// The PP-OCRv4 text detector chain (plate-shaped text lines in `roi`, each read on four crops).
  std::vector<PlateRead> read_text(const core::Image& image, const core::BoxXyxy& roi);
  const PlateReaderOptions& options() const { return options_; }
  PlateReaderUsage usage() const;

 private:
  PlateReader() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  PlateReaderOptions options_;
};

/// Whether `read_quad` reads a plate's second crop after the first gave `first` (nothing read:
/// true): not when `first` fits a national layout with at least `min_confidence`, where the second
/// crop has not been seen to change a read (docs/anpr.md).
bool second_crop_needed(const std::optional<PlateRead>& first, float min_confidence);

/// Orders reads best first: national layout, then generic validity, then confidence weighted
/// by text height.
void rank_reads(std::vector<PlateRead>& reads);

/// Vehicle colour and type (Intel vehicle-attributes-recognition-barrier-0039).
struct VehicleAttributes {
  std::string color;  ///< white, gray, yellow, red, green, blue, black
  float color_confidence = 0;
  std::string type;  ///< car, van, truck, bus
  float type_confidence = 0;
};

class VehicleClassifier {
 public:
  static core::Result<std::unique_ptr<VehicleClassifier>> create(detect::Backend backend = detect::Backend::automatic,
                                                                 int threads = 0);
  ~VehicleClassifier();
  VehicleAttributes classify(const core::Image& image, const core::BoxXyxy& vehicle_box);

 private:
  VehicleClassifier() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vsp::anpr

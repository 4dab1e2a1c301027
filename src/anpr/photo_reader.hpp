#pragma once
/// Plates in still photos (`vsp plates`): LPD-YuNet on the whole photo (a ladder of input sizes,
/// the next tried only when the previous gave no read that fits the grammar), each plate
/// rectified and read; where none fits, the text-detector chain (vehicles from the COCO detector,
/// plate-shaped text in each, then the whole photo and tiles). Vehicles and their colour/type are
/// reported too (optional).
#include <memory>
#include <string>
#include <vector>

#include "anpr/plate_reader.hpp"
#include "core/result.hpp"
#include "detect/detector.hpp"

namespace vsp::anpr {

struct PhotoVehicle {
  core::BoxXyxy box_px;
  std::string class_name;
  float score = 0;
  VehicleAttributes attributes;
};

struct PhotoResult {
  std::string image;  ///< file name
  int width = 0, height = 0;
  std::vector<PlateRead> plates;  ///< best first
  std::vector<PhotoVehicle> vehicles;
  std::string error;  ///< set when the image could not be read
  double ms = 0;
};

struct PhotoReaderOptions {
  std::string detector_model = "yolox_nano";     ///< vehicles (reported, and the fallback's ROIs)
  bool vehicles = true;                          ///< detect and describe vehicles even when not needed for plates
  std::vector<int> lpd_long_sides = {640, 320};  ///< localiser input sizes on the whole photo, in order
  bool text_fallback = true;                     ///< the text-detector chain where the localiser reads nothing valid
  /// Where the ladder reads nothing that fits, LPD-YuNet again on each vehicle box (at the box's
  /// own size up to 640 px: a plate too small on the whole photo is larger there), before the
  /// text-detector chain.
  bool vehicle_lpd = true;
  /// Photos whose long side is at most this many px run the ladder from its smallest size up (a
  /// close-up's plate is large: the small pass usually reads it at a quarter of the cost); 0 = off.
  int small_photo_px = 640;
  /// The ladder for those small photos, in order (empty: `lpd_long_sides` from the smallest up).
  /// 256 px first: on most EU photos it finds the plate at 0.64 of the 320-px pass's work (and on
  /// some where 320 px does not); chosen on half A of the photos, checked on B (docs/anpr.md).
  std::vector<int> small_photo_sides = {256, 320, 640};
};

class PhotoReader {
 public:
  static core::Result<std::unique_ptr<PhotoReader>> create(const PlateReaderOptions& options,
                                                           const PhotoReaderOptions& photo = {});
  PhotoResult read_file(const std::string& path);
  PhotoResult read(const core::Image& image, const std::string& name);
  /// The plate models' forwards so far (benchmarks and tests).
  PlateReaderUsage plate_usage() const { return plates_->usage(); }

 private:
  void add_vehicles(const core::Image& image, PhotoResult& res);
  std::vector<PlateRead> read_text_chain(const core::Image& image, const PhotoResult& res);

  PhotoReaderOptions photo_;
  std::unique_ptr<detect::Detector> detector_;
  std::unique_ptr<PlateReader> plates_;
  std::unique_ptr<VehicleClassifier> attributes_;
};

/// Decodes an image file into BGR; errors name the file.
core::Result<core::Image> load_image(const std::string& path);

}  // namespace vsp::anpr

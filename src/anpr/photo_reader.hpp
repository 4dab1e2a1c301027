#pragma once
/// Plates in still photos (`vsp plates`): vehicles first (COCO detector), plates inside each
/// vehicle, the whole photo as a fallback when no vehicle yields a plate.
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

class PhotoReader {
 public:
  static core::Result<std::unique_ptr<PhotoReader>> create(const PlateReaderOptions& options,
                                                           const std::string& detector_model = "yolox_nano");
  PhotoResult read_file(const std::string& path);
  PhotoResult read(const core::Image& image, const std::string& name);

 private:
  std::unique_ptr<detect::Detector> detector_;
  std::unique_ptr<PlateReader> plates_;
  std::unique_ptr<VehicleClassifier> attributes_;
};

/// Decodes an image file into BGR; errors name the file.
core::Result<core::Image> load_image(const std::string& path);

}  // namespace vsp::anpr

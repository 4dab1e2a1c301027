#include "anpr/photo_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/coco.hpp"
#include "core/geometry.hpp"

namespace vsp::anpr {

core::Result<core::Image> load_image(const std::string& path) {
  cv::Mat m;
  try {
    m = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return core::make_error("bad_image", fmt::format("{}: cannot decode: {}", path, e.what()));
  }
  if (m.empty()) return core::make_error("bad_image", fmt::format("{}: not an image OpenCV can read", path));
  // Huge photos are scaled down once: plates stay far above the recogniser's 48 px height.
  constexpr int kMaxSide = 4096;
  if (std::max(m.cols, m.rows) > kMaxSide) {
    const double s = static_cast<double>(kMaxSide) / std::max(m.cols, m.rows);
    cv::resize(m, m, cv::Size(), s, s, cv::INTER_AREA);
  }
  core::Image img;
  img.width = m.cols;
  img.height = m.rows;
  img.bgr.assign(m.data, m.data + static_cast<size_t>(m.cols) * m.rows * 3);
  if (!m.isContinuous()) {
    cv::Mat c = m.clone();
    img.bgr.assign(c.data, c.data + static_cast<size_t>(c.cols) * c.rows * 3);
  }
  return img;
}

core::Result<std::unique_ptr<PhotoReader>> PhotoReader::create(const PlateReaderOptions& options,
                                                               const PhotoReaderOptions& photo) {
  std::unique_ptr<PhotoReader> r(new PhotoReader());
  r->photo_ = photo;
  detect::DetectorOptions d;
  d.model = photo.detector_model;
  d.classes.assign(std::begin(core::kVehicleClasses), std::end(core::kVehicleClasses));
  d.score_threshold = 0.3f;
  auto det = detect::Detector::create(d);
  if (!det) return det.error();
  r->detector_ = std::move(det.value());
  PlateReaderOptions po = options;
  po.text_fallback = false;  // the photo reader runs the fallback itself, on vehicles and tiles
  auto plates = PlateReader::create(po);
  if (!plates) return plates.error();
  r->plates_ = std::move(plates.value());
  auto attrs = VehicleClassifier::create(options.backend, options.threads);
  if (!attrs) return attrs.error();
  r->attributes_ = std::move(attrs.value());
  return r;
}

PhotoResult PhotoReader::read_file(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  auto img = load_image(path);
  if (!img) {
    PhotoResult r;
    r.image = name;
    r.error = img.error().message;
    return r;
  }
  return read(*img, name);
}

PhotoResult PhotoReader::read(const core::Image& image, const std::string& name) {
  const auto t0 = std::chrono::steady_clock::now();
  PhotoResult res;
  res.image = name;
  res.width = image.width;
  res.height = image.height;
  if (image.width < 32 || image.height < 32) {
    res.error = fmt::format("{}: image too small ({}x{}) to hold a readable plate", name, image.width, image.height);
    return res;
  }
  const bool layouts_known = !layouts(plates_->options().region).empty();
  auto fits = [&](const std::vector<PlateRead>& reads) {
    return std::any_of(reads.begin(), reads.end(),
                       [&](const PlateRead& p) { return p.known_layout || (!layouts_known && p.valid); });
  };
  bool vehicles_done = false;
  if (photo_.vehicles) {
    add_vehicles(image, res);
    vehicles_done = true;
  }
  const core::BoxXyxy whole{0, 0, static_cast<float>(image.width), static_cast<float>(image.height)};
  std::vector<PlateRead> all;
  PlateLocaliserOptions lpd = plates_->options().lpd;
  std::vector<int> sides = photo_.lpd_long_sides;
  if (photo_.small_photo_px > 0 && std::max(image.width, image.height) <= photo_.small_photo_px) {
    if (photo_.small_photo_sides.empty())
      std::sort(sides.begin(), sides.end());
    else
      sides = photo_.small_photo_sides;
  }
  for (int side : sides) {
    lpd.long_side = side;
    auto reads = plates_->read_located(image, whole, lpd);
    all.insert(all.end(), reads.begin(), reads.end());
    if (fits(all)) break;
  }
  if (!fits(all) && photo_.vehicle_lpd) {
    if (!vehicles_done) add_vehicles(image, res);
    vehicles_done = true;
    lpd.long_side = 640;
    for (const auto& v : res.vehicles) {
      const auto& b = v.box_px;
      const float gx = b.width() * 0.05f, gy = b.height() * 0.08f;
      auto reads = plates_->read_located(image, {b.x1 - gx, b.y1 - gy, b.x2 + gx, b.y2 + gy}, lpd);
      all.insert(all.end(), reads.begin(), reads.end());
    }
  }
  if (!fits(all) && photo_.text_fallback) {
    if (!vehicles_done) add_vehicles(image, res);
    auto more = read_text_chain(image, res);
    all.insert(all.end(), more.begin(), more.end());
  }
  // One read per plate: overlapping boxes keep the better read.
  rank_reads(all);
  for (const auto& p : all) {
    const bool dup = std::any_of(res.plates.begin(), res.plates.end(), [&](const PlateRead& q) {
      return core::iou(p.box_px, q.box_px) > 0.3f || p.text == q.text;
    });
    if (!dup) res.plates.push_back(p);
  }
  res.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

void PhotoReader::add_vehicles(const core::Image& image, PhotoResult& res) {
  for (const auto& d : detector_->detect(image)) {
    PhotoVehicle v{d.box_px, std::string(core::coco_name(d.class_id)), d.score, {}};
    v.attributes = attributes_->classify(image, d.box_px);
    res.vehicles.push_back(v);
  }
}

std::vector<PlateRead> PhotoReader::read_text_chain(const core::Image& image, const PhotoResult& res) {
  const bool layouts_known = !layouts(plates_->options().region).empty();
  std::vector<PlateRead> all;
  for (const auto& v : res.vehicles) {
    const auto& b = v.box_px;
    // The plate may stick out of a tight vehicle box: read a slightly larger region.
    const float gx = b.width() * 0.05f, gy = b.height() * 0.08f;
    auto reads = plates_->read_text(image, {b.x1 - gx, b.y1 - gy, b.x2 + gx, b.y2 + gy});
    all.insert(all.end(), reads.begin(), reads.end());
    // Plates sit in the lower part of a vehicle: a second look at the lower 60 % doubles the
    // text detector's resolution there (it sees every crop at 320 px).
    if (b.width() > 400) {
      const float y0 = b.y1 + b.height() * 0.4f;
      auto low = plates_->read_text(image, {b.x1 - gx, y0, b.x2 + gx, b.y2 + gy});
      all.insert(all.end(), low.begin(), low.end());
    }
  }
  const bool found_valid = std::any_of(
      all.begin(), all.end(), [&](const PlateRead& p) { return p.known_layout || (!layouts_known && p.valid); });
  if (!found_valid) {
    // The whole photo (close-ups, vehicles the detector missed), and its overlapping tiles for
    // large photos where a plate would be too small at the text detector's 320 px.
    const float W = static_cast<float>(image.width), H = static_cast<float>(image.height);
    std::vector<core::BoxXyxy> rois = {{0, 0, W, H}};
    if (std::max(W, H) > 900)
      for (float y0 : {0.f, H / 3})
        for (float x0 : {0.f, W / 3}) rois.push_back({x0, y0, x0 + W * 2 / 3, y0 + H * 2 / 3});
    for (const auto& roi : rois) {
      auto reads = plates_->read_text(image, roi);
      all.insert(all.end(), reads.begin(), reads.end());
    }
  }
  return all;
}

}  // namespace vsp::anpr

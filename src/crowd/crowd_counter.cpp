#include "crowd/crowd_counter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "crowd/head_detector.hpp"
#include "detect/detector.hpp"

namespace vsp::crowd {

const char* to_string(CountMode m) {
  switch (m) {
    case CountMode::automatic:
      return "auto";
    case CountMode::boxes:
      return "boxes";
    case CountMode::dense:
      return "dense";
  }
  return "unknown";
}

std::optional<CountMode> parse_count_mode(const std::string& word) {
  if (word == "auto") return CountMode::automatic;
  if (word == "boxes") return CountMode::boxes;
  if (word == "dense") return CountMode::dense;
  return std::nullopt;
}

core::Result<std::unique_ptr<CrowdCounter>> CrowdCounter::create(const CounterOptions& options) {
  std::unique_ptr<CrowdCounter> c(new CrowdCounter(options));
  detect::DetectorOptions d;
  d.model = options.person_model;
  d.score_threshold = std::min(kMinPersonThreshold, options.boxes_threshold);
  d.classes = {0};
  d.threads = options.threads;
  auto det = detect::Detector::create(d);
  if (!det) return det.error();
  c->persons_ = std::move(det.value());
  if (options.dense.head_scales != 0 && options.dense.fusion != Fusion::persons) {
    auto h = HeadDetector::create();
    if (!h) return h.error();
    c->heads_ = std::move(h.value());
  }
  return c;
}

CrowdCounter::CrowdCounter(CounterOptions o) : options_(std::move(o)) {}
CrowdCounter::~CrowdCounter() = default;

core::Image crop(const core::Image& image, int x, int y, int w, int h) {
  x = std::clamp(x, 0, image.width);
  y = std::clamp(y, 0, image.height);
  w = std::clamp(w, 0, image.width - x);
  h = std::clamp(h, 0, image.height - y);
  core::Image out;
  out.width = w;
  out.height = h;
  out.ts = image.ts;
  out.bgr.resize(static_cast<size_t>(w) * h * 3);
  for (int r = 0; r < h; ++r)
    std::memcpy(out.bgr.data() + static_cast<size_t>(r) * w * 3,
                image.bgr.data() + (static_cast<size_t>(y + r) * image.width + x) * 3, static_cast<size_t>(w) * 3);
  return out;
}

RawDetections CrowdCounter::observe(const core::Image& image, Need need, const core::Detections* full) {
  RawDetections raw;
  raw.width = image.width;
  raw.height = image.height;
  raw.persons_full = full ? *full : persons_->detect(image);
  // ---- Tiles: n x n overlapping windows, each stretched to the detector's input (an upscale)
  const int n = std::max(1, options_.tile_grid);
  if (need.tiles && n > 1) {
    const double ov = std::clamp(static_cast<double>(options_.tile_overlap), 0.0, 0.75);
    const int tw = static_cast<int>(std::ceil(image.width / (n - (n - 1) * ov)));
    const int th = static_cast<int>(std::ceil(image.height / (n - (n - 1) * ov)));
    for (int ty = 0; ty < n; ++ty)
      for (int tx = 0; tx < n; ++tx) {
        const int x0 = std::min(image.width - tw, static_cast<int>(std::lround(tx * tw * (1 - ov))));
        const int y0 = std::min(image.height - th, static_cast<int>(std::lround(ty * th * (1 - ov))));
        for (auto d : persons_->detect(crop(image, std::max(0, x0), std::max(0, y0), tw, th))) {
          d.box_px.x1 += static_cast<float>(std::max(0, x0));
          d.box_px.x2 += static_cast<float>(std::max(0, x0));
          d.box_px.y1 += static_cast<float>(std::max(0, y0));
          d.box_px.y2 += static_cast<float>(std::max(0, y0));
          raw.persons_tiles.push_back(d);
        }
      }
  }
  // ---- Heads at the input sizes asked for. A scale is relative: "640x480" means 0.625x the
  // image's sides, as it was for the 1024x768 development photos, so heads keep their size in
  // pixels whatever the frame size.
  if (heads_)
    for (size_t i = 0; i < kHeadScales.size(); ++i) {
      if (!(need.head_scales & (1u << i))) continue;
      // Input size keeps the image's aspect ratio, with the scale's area relative to a 1024x768 photo.
      const double area_ratio = static_cast<double>(kHeadScales[i][0]) * kHeadScales[i][1] / (1024.0 * 768.0);
      const double s = std::min(2.0, std::sqrt(area_ratio));
      const int iw = std::max(64, static_cast<int>(std::lround(image.width * s / 32.0)) * 32);
      const int ih = std::max(64, static_cast<int>(std::lround(image.height * s / 32.0)) * 32);
      raw.heads[i] = heads_->detect(image, iw, ih, kMinHeadThreshold);
    }
  return raw;
}

CountResult CrowdCounter::count(const core::Image& image, CountMode mode) {
  const auto t0 = std::chrono::steady_clock::now();
  CountResult r;
  auto ms = [&] { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(); };
  // ---- Boxes: every mode starts here (auto decides on it)
  const auto full = persons_->detect(image);
  RawDetections plain;
  plain.width = image.width;
  plain.height = image.height;
  plain.persons_full = full;
  const auto boxes = merge_persons(plain, false, options_.boxes_threshold);
  r.boxes_count = static_cast<int>(boxes.size());
  const bool dense =
      mode == CountMode::dense || (mode == CountMode::automatic && r.boxes_count >= options_.auto_dense_from);
  if (!dense) {
    r.used = CountMode::boxes;
    r.count = r.boxes_count;
    for (const auto& b : boxes) r.people.push_back({b.box_px.bottom_center(), false});
    r.ms = ms();
    return r;
  }
  // ---- Dense: tiles and heads as the params ask, the whole-image pass reused
  const auto& p = options_.dense;
  const bool use_persons = p.fusion != Fusion::heads;
  Need need{use_persons && p.person_tiles, p.fusion == Fusion::persons ? 0u : p.head_scales};
  const RawDetections more = observe(image, need, &full);
  r.used = CountMode::dense;
  r.people = fuse_people(more, p);
  r.count = static_cast<int>(r.people.size());
  r.ms = ms();
  return r;
}

core::Result<std::vector<std::pair<std::string, int>>> read_counts_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return core::make_error("bad_counts_file", fmt::format("{}: cannot read", path), "");
  std::vector<std::pair<std::string, int>> rows;
  std::string line;
  std::getline(in, line);  // header
  for (int no = 2; std::getline(in, line); ++no) {
    std::stringstream ss(line);
    std::string img, annotation, n;
    std::getline(ss, img, ',');
    std::getline(ss, annotation, ',');
    std::getline(ss, n, ',');
    if (img.empty()) continue;
    int count = 0;
    const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), count);
    if (ec != std::errc() || end == n.data())
      return core::make_error("bad_counts_file", fmt::format("{}:{}: expected a count, got '{}'", path, no, n), "");
    rows.emplace_back(img, count);
  }
  return rows;
}

core::Result<core::Image> load_image(const std::string& path, long max_pixels) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) return core::make_error("file_not_found", fmt::format("{}: no such file", path), path);
  if (fs::is_directory(path, ec)) return core::make_error("bad_image", fmt::format("{}: is a folder", path), path);
  const auto bytes = fs::file_size(path, ec);
  if (ec) return core::make_error("bad_image", fmt::format("{}: cannot read: {}", path, ec.message()), path);
  if (bytes > 256ull << 20)
    return core::make_error("image_too_large",
                            fmt::format("{}: {} MiB; images are limited to 256 MiB", path, bytes >> 20), path);
  cv::Mat m;
  try {
    m = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return core::make_error("bad_image", fmt::format("{}: cannot decode: {}", path, e.what()), path);
  }
  if (m.empty())
    return core::make_error("bad_image", fmt::format("{}: not an image OpenCV can decode (or too large)", path), path);
  if (static_cast<long>(m.cols) * m.rows > max_pixels)
    return core::make_error("image_too_large",
                            fmt::format("{}: {}x{} pixels; at most {} megapixels are counted", path, m.cols, m.rows,
                                        max_pixels / 1'000'000),
                            path);
  if (!m.isContinuous()) m = m.clone();
  core::Image img;
  img.width = m.cols;
  img.height = m.rows;
  img.bgr.assign(m.data, m.data + static_cast<size_t>(m.cols) * m.rows * 3);
  return img;
}

}  // namespace vsp::crowd

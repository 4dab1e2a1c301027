// `vsp calibrate check CONFIG`: how well each camera's ground-plane calibration fits, and a picture
// of its metric grid on the camera's frame so a person can see that it is right.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "app/cli_util.hpp"
#include "app/commands.hpp"
#include "config/serve_config.hpp"
#include "decode/decoder.hpp"
#include "ingest/source.hpp"
#include "road/calibration.hpp"

namespace vsp::app {

namespace fs = std::filesystem;

namespace {

/// The first decodable frame of a file or stream (BGR), or an empty Mat.
cv::Mat first_frame(const std::string& url) {
  auto src = ingest::Source::open({url});
  if (!src) return {};
  auto dec = decode::Decoder::create(**src, {});
  if (!dec) return {};
  for (int i = 0; i < 500; ++i) {
    auto pkt = (*src)->read();
    if (!pkt || !*pkt) break;
    (void)(*dec)->send(**pkt);
    if (auto img = (*dec)->receive()) return cv::Mat(img->height, img->width, CV_8UC3, img->bgr.data()).clone();
  }
  return {};
}

/// Draws lines of constant x and y every `step_m` over the road around the calibration points.
void draw_grid(cv::Mat& img, const road::Calibration& cal, const road::CalibrationOptions& opt, double step_m) {
  double x0 = 1e18, x1 = -1e18, y0 = 1e18, y1 = -1e18;
  for (const auto& p : opt.points) {
    x0 = std::min(x0, p.world_m.x), x1 = std::max(x1, p.world_m.x);
    y0 = std::min(y0, p.world_m.y), y1 = std::max(y1, p.world_m.y);
  }
  const double mx = std::max(x1 - x0, 2 * step_m), my = std::max(y1 - y0, 2 * step_m);
  x0 -= mx, x1 += mx, y0 -= my, y1 += my;
  step_m = std::max(step_m, std::max(x1 - x0, y1 - y0) / 200);  // at most ~200 lines
  auto to_px = [&](double x, double y) -> std::optional<cv::Point> {
    const auto p = cal.world_to_image.apply({x, y});
    if (!p || p->x < -1 || p->x > 2 || p->y < -1 || p->y > 2) return std::nullopt;
    return cv::Point(static_cast<int>(p->x * img.cols), static_cast<int>(p->y * img.rows));
  };
  auto polyline = [&](double ax, double ay, double bx, double by, const cv::Scalar& colour, int thick) {
    std::optional<cv::Point> last;
    for (int i = 0; i <= 100; ++i) {
      const double t = i / 100.0;
      const auto p = to_px(ax + (bx - ax) * t, ay + (by - ay) * t);
      if (p && last) cv::line(img, *last, *p, colour, thick, cv::LINE_AA);
      last = p;
    }
  };
  const auto first_x = std::floor(x0 / step_m) * step_m, first_y = std::floor(y0 / step_m) * step_m;
  for (double x = first_x; x <= x1; x += step_m) {
    const bool major = std::abs(std::fmod(std::abs(x) + 1e-9, 5 * step_m)) < 1e-6;
    polyline(x, y0, x, y1, major ? cv::Scalar(0, 255, 255) : cv::Scalar(0, 200, 0), major ? 2 : 1);
  }
  for (double y = first_y; y <= y1; y += step_m) {
    const bool major = std::abs(std::fmod(std::abs(y) + 1e-9, 5 * step_m)) < 1e-6;
    polyline(x0, y, x1, y, major ? cv::Scalar(0, 255, 255) : cv::Scalar(0, 200, 0), major ? 2 : 1);
  }
  // The points: where they were marked (circle) and where the fit puts their world position (cross).
  for (size_t i = 0; i < opt.points.size(); ++i) {
    const auto& p = opt.points[i];
    const cv::Point marked(static_cast<int>(p.image.x * img.cols), static_cast<int>(p.image.y * img.rows));
    cv::circle(img, marked, 6, cv::Scalar(255, 0, 255), 2, cv::LINE_AA);
    if (const auto q = to_px(p.world_m.x, p.world_m.y))
      cv::drawMarker(img, *q, cv::Scalar(0, 0, 255), cv::MARKER_CROSS, 12, 2);
    cv::putText(img, fmt::format("{} ({:g}, {:g}) m", i, p.world_m.x, p.world_m.y), marked + cv::Point(8, -8),
                cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  }
  cv::putText(img,
              fmt::format("grid {:g} m (yellow every {:g} m); RMS residual {:.3f} m, worst {:.3f} m", step_m,
                          5 * step_m, cal.rms_residual_m, cal.max_residual_m),
              cv::Point(10, 24), cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(255, 255, 255), 2, cv::LINE_AA);
}

struct CameraCal {
  std::string name;
  road::CalibrationOptions options;
  std::string url;  ///< serve: the camera's stream
};

}  // namespace

int cmd_calibrate_check(const CalibrateArgs& a) {
  auto text = config::read_config_file(a.config);
  if (auto* e = std::get_if<config::ConfigErrors>(&text)) {
    print_config_errors(*e, "vsp calibrate check", "nothing checked");
    return 1;
  }
  std::vector<CameraCal> cams;
  if (config::looks_like_serve_config(std::get<std::string>(text))) {
    auto parsed = config::parse_serve_config(std::get<std::string>(text), a.config);
    if (auto* e = std::get_if<config::ConfigErrors>(&parsed)) {
      print_config_errors(*e, "vsp calibrate check", "nothing checked");
      return 1;
    }
    for (const auto& c : std::get<config::ServeConfig>(parsed).cameras)
      if (c.camera.calibration && (!a.camera || *a.camera == c.name))
        cams.push_back({c.name, *c.camera.calibration, c.detect_url});
  } else {
    auto parsed = config::parse_analyze_config(std::get<std::string>(text), a.config);
    if (auto* e = std::get_if<config::ConfigErrors>(&parsed)) {
      print_config_errors(*e, "vsp calibrate check", "nothing checked");
      return 1;
    }
    const auto& c = std::get<config::AnalyzeConfig>(parsed).camera;
    if (c.calibration) cams.push_back({fs::path(a.config).stem().string(), *c.calibration, a.video.value_or("")});
  }
  if (cams.empty()) {
    fmt::print(stderr, "vsp calibrate check: {}: no camera has a `calibration:`{}\n", a.config,
               a.camera ? fmt::format(" (camera {})", *a.camera) : "");
    return 1;
  }
  int rc = 0;
  for (const auto& c : cams) {
    auto cal = road::fit_calibration(c.options);
    if (!cal) {  // the config check passed, so only a residual above the limit lands here
      fmt::print(stderr, "{}: {}\n", c.name, cal.error().message);
      rc = 1;
      continue;
    }
    fmt::print("{}: {} points, RMS residual {:.3f} m (worst {:.3f} m), {:.4f} of the frame back in the image\n", c.name,
               cal->points, cal->rms_residual_m, cal->max_residual_m, cal->rms_residual_px);
    for (size_t i = 0; i < c.options.points.size(); ++i) {
      const auto& p = c.options.points[i];
      const auto w = cal->image_to_world.apply(p.image);
      if (w)
        fmt::print("  point {}: image [{:.4f}, {:.4f}] -> [{:.3f}, {:.3f}] m, given [{:g}, {:g}] m, off by {:.3f} m\n",
                   i, p.image.x, p.image.y, w->x, w->y, p.world_m.x, p.world_m.y,
                   std::hypot(w->x - p.world_m.x, w->y - p.world_m.y));
    }
    // ---- The picture ---------------------------------------------------------------------------
    cv::Mat img;
    if (a.image) {
      img = cv::imread(*a.image, cv::IMREAD_COLOR);
      if (img.empty()) {
        fmt::print(stderr, "vsp calibrate check: {}: not an image\n", *a.image);
        return 1;
      }
    } else if (!c.url.empty()) {
      img = first_frame(c.url);
      if (img.empty()) fmt::print(stderr, "{}: no frame from {}; drawing on a blank frame\n", c.name, c.url);
    }
    if (img.empty()) img = cv::Mat(720, 1280, CV_8UC3, cv::Scalar(60, 60, 60));
    draw_grid(img, *cal, c.options, a.grid_m);
    std::string png = a.png;
    if (cams.size() > 1) {
      const fs::path p(a.png);
      png = (p.parent_path() / (p.stem().string() + "_" + c.name + p.extension().string())).string();
    }
    if (!cv::imwrite(png, img)) {
      fmt::print(stderr, "vsp calibrate check: {}: cannot write\n", png);
      return 1;
    }
    fmt::print("  wrote {}\n", png);
  }
  return rc;
}

}  // namespace vsp::app

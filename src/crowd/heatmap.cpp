#include "crowd/heatmap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace vsp::crowd {

namespace fs = std::filesystem;

float HeatGrid::total() const {
  float s = 0;
  for (float v : seconds) s += v;
  return s;
}
float HeatGrid::max() const { return seconds.empty() ? 0.f : *std::max_element(seconds.begin(), seconds.end()); }
void HeatGrid::add(const HeatGrid& o) {
  if (o.seconds.size() != seconds.size()) return;
  for (size_t i = 0; i < seconds.size(); ++i) seconds[i] += o.seconds[i];
}

void splat_segment(HeatGrid& g, double x0, double y0, double x1, double y1, float seconds) {
  // Samples about every half cell along the path, each taking an equal share of the time.
  const double dc = std::abs(x1 - x0) * g.cols, dr = std::abs(y1 - y0) * g.rows;
  const int n = std::max(1, static_cast<int>(std::ceil(2 * std::max(dc, dr))));
  const float share = seconds / static_cast<float>(n);
  for (int i = 0; i < n; ++i) {
    const double t = n == 1 ? 1.0 : (i + 0.5) / n;
    const double x = x0 + (x1 - x0) * t, y = y0 + (y1 - y0) * t;
    const int c = std::clamp(static_cast<int>(x * g.cols), 0, g.cols - 1);
    const int r = std::clamp(static_cast<int>(y * g.rows), 0, g.rows - 1);
    g.seconds[static_cast<size_t>(r) * g.cols + c] += share;
  }
}

std::vector<HeatBucket> HeatmapAccumulator::update(const core::Tracks& tracks, double pts_s, std::int64_t utc_ms,
                                                   int frame_w, int frame_h) {
  std::vector<HeatBucket> closed;
  const std::int64_t bucket = utc_ms >= 0 ? utc_ms / kHeatBucketMs * kHeatBucketMs
                                          : (utc_ms - kHeatBucketMs + 1) / kHeatBucketMs * kHeatBucketMs;
  // ---- Close the buckets that ended before this one
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->first.first < bucket) {
      closed.push_back({it->first.first, it->first.second, std::move(it->second)});
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  if (frame_w <= 0 || frame_h <= 0) return closed;
  std::map<int, Last> seen;
  for (const auto& t : tracks) {
    if (!t.confirmed() || t.frames_since_update > 0) continue;
    const auto g = t.box_px.bottom_center();
    const double x = std::clamp(g.x / frame_w, 0.0, 1.0), y = std::clamp(g.y / frame_h, 0.0, 1.0);
    seen[t.id] = {x, y, pts_s};
    const auto prev = last_.find(t.id);
    if (prev == last_.end()) continue;  // first sighting: no time has passed here yet
    const double dt = pts_s - prev->second.pts_s;
    if (dt <= 0 || dt > max_step_s_) continue;
    auto& grid = open_[{bucket, t.class_id}];
    splat_segment(grid, prev->second.x, prev->second.y, x, y, static_cast<float>(dt));
    auto& tot = totals_[t.class_id];
    splat_segment(tot, prev->second.x, prev->second.y, x, y, static_cast<float>(dt));
  }
  // Tracks not updated now keep their last point for a while (a short occlusion joins up).
  for (auto& [id, l] : last_)
    if (!seen.count(id) && pts_s - l.pts_s <= max_step_s_) seen.emplace(id, l);
  last_ = std::move(seen);
  return closed;
}

void HeatmapAccumulator::restart() { last_.clear(); }

std::vector<HeatBucket> HeatmapAccumulator::flush() {
  std::vector<HeatBucket> out;
  for (auto& [k, g] : open_) out.push_back({k.first, k.second, std::move(g)});
  open_.clear();
  last_.clear();
  return out;
}

// ---- Files -------------------------------------------------------------------------------------
namespace {
constexpr std::uint32_t kMagic = 0x54414548;  // "HEAT"
struct RecordHeader {
  std::uint32_t magic = kMagic;
  std::int32_t class_id = 0;
  std::int64_t start_ms = 0;
  std::uint16_t cols = 0, rows = 0;
  std::uint32_t cells = 0;  ///< non-zero cells that follow, each u32 index + f32 seconds
};
}  // namespace

fs::path HeatmapFiles::hour_file(const std::string& camera, std::int64_t ms) const {
  const std::time_t t = static_cast<std::time_t>(ms / 1000 - (ms < 0 && ms % 1000 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&t, &tm);
  return root_ / camera / fmt::format("{:04d}-{:02d}-{:02d}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) /
         fmt::format("{:02d}.heat", tm.tm_hour);
}

core::Status HeatmapFiles::append(const std::string& camera, const std::vector<HeatBucket>& buckets) {
  std::lock_guard lock(m_);
  for (const auto& b : buckets) {
    const auto path = hour_file(camera, b.start_ms);
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    std::string rec;
    RecordHeader h;
    h.class_id = b.class_id;
    h.start_ms = b.start_ms;
    h.cols = static_cast<std::uint16_t>(b.grid.cols);
    h.rows = static_cast<std::uint16_t>(b.grid.rows);
    std::string cells;
    for (std::uint32_t i = 0; i < b.grid.seconds.size(); ++i) {
      if (b.grid.seconds[i] <= 0) continue;
      cells.append(reinterpret_cast<const char*>(&i), 4);
      cells.append(reinterpret_cast<const char*>(&b.grid.seconds[i]), 4);
      ++h.cells;
    }
    if (h.cells == 0) continue;
    rec.append(reinterpret_cast<const char*>(&h), sizeof h);
    rec += cells;
    std::ofstream out(path, std::ios::binary | std::ios::app);
    if (!out || !out.write(rec.data(), static_cast<std::streamsize>(rec.size())))
      return core::make_error("heatmap_write_failed", fmt::format("{}: cannot append a heatmap record", path.string()));
  }
  return core::Ok{};
}

core::Result<HeatGrid> HeatmapFiles::read(const std::string& camera, int class_id, std::int64_t since_ms,
                                          std::int64_t until_ms) const {
  std::lock_guard lock(m_);
  HeatGrid sum;
  if (until_ms <= since_ms) return sum;
  constexpr std::int64_t kHour = 3'600'000;
  // At most ~31 days of hour files are scanned per query.
  if (until_ms - since_ms > 31 * 24 * kHour)
    return core::make_error("bad_range", "a heatmap covers at most 31 days", "since");
  for (std::int64_t h = since_ms / kHour * kHour; h < until_ms; h += kHour) {
    std::ifstream in(hour_file(camera, h), std::ios::binary);
    if (!in) continue;
    RecordHeader rh;
    while (in.read(reinterpret_cast<char*>(&rh), sizeof rh)) {
      if (rh.magic != kMagic || rh.cells > 1u << 20) break;  // damaged: stop at what is readable
      std::vector<char> cells(static_cast<size_t>(rh.cells) * 8);
      if (!in.read(cells.data(), static_cast<std::streamsize>(cells.size()))) break;  // torn tail
      if (rh.class_id != class_id || rh.start_ms < since_ms || rh.start_ms >= until_ms) continue;
      if (rh.cols != sum.cols || rh.rows != sum.rows) continue;
      for (size_t k = 0; k < rh.cells; ++k) {
        std::uint32_t idx;
        float v;
        std::memcpy(&idx, cells.data() + k * 8, 4);
        std::memcpy(&v, cells.data() + k * 8 + 4, 4);
        if (idx < sum.seconds.size()) sum.seconds[idx] += v;
      }
    }
  }
  return sum;
}

// ---- Rendering -----------------------------------------------------------------------------------
std::string render_heatmap_png(const HeatGrid& grid, const std::vector<std::uint8_t>& background_bgr, int w, int h) {
  cv::Mat bg;
  if (!background_bgr.empty() && w > 0 && h > 0 && background_bgr.size() >= static_cast<size_t>(w) * h * 3) {
    bg = cv::Mat(h, w, CV_8UC3, const_cast<std::uint8_t*>(background_bgr.data())).clone();
  } else {
    w = 640;
    h = 640 * grid.rows / grid.cols;
    bg = cv::Mat(h, w, CV_8UC3, cv::Scalar(48, 48, 48));
  }
  // Grey background so the colours read; heat where people were.
  cv::Mat grey;
  cv::cvtColor(bg, grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(grey, bg, cv::COLOR_GRAY2BGR);
  cv::Mat g(grid.rows, grid.cols, CV_32F, const_cast<float*>(grid.seconds.data()));
  cv::Mat heat;
  cv::resize(g, heat, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
  const double sigma = std::max(1.0, 0.6 * w / grid.cols);
  cv::GaussianBlur(heat, heat, cv::Size(), sigma);
  double mx = 0;
  cv::minMaxLoc(heat, nullptr, &mx);
  if (mx > 0) {
    cv::Mat norm, u8, colour;
    heat.convertTo(norm, CV_32F, 1.0 / mx);
    cv::sqrt(cv::max(norm, 0.0), norm);  // square root: a path walked once still shows next to a long stay
    norm.convertTo(u8, CV_8U, 255.0);
    cv::applyColorMap(u8, colour, cv::COLORMAP_JET);
    for (int y = 0; y < h; ++y) {
      const float* n = norm.ptr<float>(y);
      const auto* c = colour.ptr<cv::Vec3b>(y);
      auto* o = bg.ptr<cv::Vec3b>(y);
      for (int x = 0; x < w; ++x) {
        const float a = n[x] < 0.02f ? 0.f : 0.35f + 0.5f * n[x];  // cold cells stay clear
        for (int k = 0; k < 3; ++k) o[x][k] = cv::saturate_cast<std::uint8_t>((1 - a) * o[x][k] + a * c[x][k]);
      }
    }
  }
  std::vector<std::uint8_t> png;
  cv::imencode(".png", bg, png);
  return std::string(png.begin(), png.end());
}

std::string render_heatmap_png_on_jpeg(const HeatGrid& grid, const std::string& jpeg) {
  cv::Mat m;
  if (!jpeg.empty()) {
    const std::vector<std::uint8_t> bytes(jpeg.begin(), jpeg.end());
    m = cv::imdecode(bytes, cv::IMREAD_COLOR);
  }
  if (m.empty() || !m.isContinuous()) return render_heatmap_png(grid, {}, 0, 0);
  return render_heatmap_png(grid, std::vector<std::uint8_t>(m.data, m.data + m.total() * 3), m.cols, m.rows);
}

}  // namespace vsp::crowd

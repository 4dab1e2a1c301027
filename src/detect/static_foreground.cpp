#include "detect/static_foreground.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace vsp::detect {

struct StaticForeground::Impl {
  cv::Size size;                 ///< work size
  double scale = 1;              ///< frame px per work px
  cv::Mat long_bg;               ///< B_L, CV_32FC3, in the reference lighting
  cv::Mat short_bg;              ///< B_S, CV_32FC3
  cv::Mat evidence;              ///< E, CV_32F, seconds
  cv::Mat last_norm;             ///< the last frame, gain divided out, CV_32FC3
  cv::Mat people_hold;           ///< CV_32F: seconds a person box still holds the evidence here
  cv::Mat learnt;                ///< CV_8U: B_L has seen the empty scene here (not under a person at the start)
  cv::Mat last_grey;             ///< the last frame's grey, as it came (for cuts), CV_32F
  double gain = 1;               ///< the last frame's global gain against B_L
  std::vector<double> bin_gain;  ///< ... per brightness band of B_L (options.brightness_bins)
  double last_pts_s = 0;
  bool started = false;
  bool cut = false;  ///< the last update found a cut in the picture
};

StaticForeground::StaticForeground(StaticForegroundOptions options)
    : options_(options), impl_(std::make_unique<Impl>()) {}
StaticForeground::~StaticForeground() = default;

void StaticForeground::reset() { impl_ = std::make_unique<Impl>(); }
bool StaticForeground::cut() const { return impl_->cut; }

namespace {

cv::Mat max_channel_absdiff(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  std::vector<cv::Mat> ch;
  cv::split(d, ch);
  cv::Mat m = cv::max(ch[0], ch[1]);
  return cv::max(m, ch[2]);
}

cv::Mat grey(const cv::Mat& bgr32) {
  cv::Mat g;
  cv::cvtColor(bgr32, g, cv::COLOR_BGR2GRAY);
  return g;
}

cv::Rect to_work(const core::BoxXyxy& b, double scale, cv::Size size, double grow) {
  const double w = b.width(), h = b.height();
  const int x1 = static_cast<int>(std::floor((b.x1 - grow * w) / scale));
  const int y1 = static_cast<int>(std::floor((b.y1 - grow * h) / scale));
  const int x2 = static_cast<int>(std::ceil((b.x2 + grow * w) / scale));
  const int y2 = static_cast<int>(std::ceil((b.y2 + grow * h) / scale));
  return cv::Rect(cv::Point(x1, y1), cv::Point(x2, y2)) & cv::Rect(cv::Point(0, 0), size);
}

/// Mean gradient magnitude of `g` (CV_32F grey) over `ring` (CV_8U).
double edge_energy(const cv::Mat& g, const cv::Mat& ring) {
  cv::Mat gx, gy, mag;
  cv::Sobel(g, gx, CV_32F, 1, 0, 3);
  cv::Sobel(g, gy, CV_32F, 0, 1, 3);
  cv::magnitude(gx, gy, mag);
  return cv::mean(mag, ring)[0];
}

/// A cut between two frames (grey, CV_32F, same size): the frame-to-frame gain (median ratio over
/// pixels that are neither dark nor saturated and no person covers) steps beyond `gain_step`, or
/// more than `changed_fraction` of the pixels no person covers differ beyond that gain. People and
/// cars passing change a part of the picture and move the exposure a little at a time; a cut
/// changes all of it at once. With too little of the picture free of people, no cut is called.
bool scene_cut(const cv::Mat& now, const cv::Mat& before, const cv::Mat& people, double threshold,
               double changed_fraction, double gain_step) {
  const cv::Mat free_px = ~people;
  const int free_n = cv::countNonZero(free_px);
  if (4 * static_cast<size_t>(free_n) < now.total()) return false;
  const cv::Mat usable = free_px & (before > 16) & (before < 245) & (now < 245);
  double gain = 1;
  if (cv::countNonZero(usable) > static_cast<int>(now.total() / 50)) {
    std::vector<float> ratios;
    ratios.reserve(now.total());
    for (int y = 0; y < now.rows; ++y) {
      const auto* m = usable.ptr<std::uint8_t>(y);
      const auto* a = now.ptr<float>(y);
      const auto* b = before.ptr<float>(y);
      for (int x = 0; x < now.cols; ++x)
        if (m[x]) ratios.push_back(a[x] / b[x]);
    }
    const auto mid = ratios.begin() + static_cast<std::ptrdiff_t>(ratios.size() / 2);
    std::nth_element(ratios.begin(), mid, ratios.end());
    gain = std::max(1e-3, static_cast<double>(*mid));
  }
  if (gain > gain_step || gain < 1 / gain_step) return true;
  cv::Mat residual;
  cv::absdiff(now, before * gain, residual);
  return cv::countNonZero((residual > threshold) & free_px) > changed_fraction * free_n;
}

}  // namespace

std::vector<StaticBlob> StaticForeground::update(const core::Image& frame,
                                                 const std::vector<core::BoxXyxy>& people_px) {
  Impl& s = *impl_;
  if (frame.width <= 0 || frame.height <= 0 || frame.bgr.size() < static_cast<size_t>(frame.width) * frame.height * 3)
    return {};
  // ---- 1. The frame at work size, lightly blurred, float ------------------------------------------
  const int work_w = std::min(frame.width, std::max(16, options_.work_width));
  const int work_h = std::max(1, static_cast<int>(std::lround(double(frame.height) * work_w / frame.width)));
  const cv::Mat src(frame.height, frame.width, CV_8UC3, const_cast<std::uint8_t*>(frame.bgr.data()));
  cv::Mat small, img;
  if (work_w == frame.width)
    small = src;
  else
    cv::resize(src, small, cv::Size(work_w, work_h), 0, 0, cv::INTER_AREA);
  cv::GaussianBlur(small, small, cv::Size(5, 5), 0);
  small.convertTo(img, CV_32FC3);

  const double scale = double(frame.width) / work_w;
  cv::Mat people = cv::Mat::zeros(img.size(), CV_8U);  // people now (then: people lately)
  for (const auto& b : people_px) people(to_work(b, scale, img.size(), 0.1)).setTo(255);
  const cv::Mat g_img = grey(img);
  // A cut in the picture: the frame after it is the empty scene, as for a new stream (below).
  const bool cut = s.started && s.size == img.size() &&
                   scene_cut(g_img, s.last_grey, people, options_.diff_threshold, options_.cut_changed_fraction,
                             options_.cut_gain_step);
  if (!s.started || s.size != img.size() || frame.ts.pts_s < s.last_pts_s || cut) {
    s = Impl{};
    s.cut = cut;
    s.last_grey = g_img;
    s.size = img.size();
    s.scale = scale;
    s.learnt = ~people;  // people in the first frame are not the empty scene: learnt when they go
    s.long_bg = img.clone();
    s.short_bg = img.clone();
    s.evidence = cv::Mat::zeros(s.size, CV_32F);
    s.people_hold = cv::Mat::zeros(s.size, CV_32F);
    s.last_norm = img.clone();
    s.last_pts_s = frame.ts.pts_s;
    s.started = true;
    return {};
  }
  const double dt = std::clamp(frame.ts.pts_s - s.last_pts_s, 0.0, 2.0);
  s.last_pts_s = frame.ts.pts_s;
  s.last_grey = g_img;
  s.cut = false;
  // A person the detector misses for a moment (standing still) still holds the pixels they cover.
  cv::subtract(s.people_hold, cv::Scalar(dt), s.people_hold);
  s.people_hold.setTo(options_.people_hold_s, people);
  people = s.people_hold > 0;

  // ---- 2. Gain against the empty scene (the frame's, and per brightness band) ---------------
  // The median of the per-pixel ratio frame / B_L where nobody stands: objects and anything else
  // that differs are a minority, so it needs no mask of "the empty scene now" (such a mask shrinks
  // as soon as the gain is off, which then measures the gain on ever fewer pixels). Saturated
  // pixels (a white wall as the light rises) and dark ones cannot follow a gain: left out. With
  // too few pixels to tell (a crowd), the last gain holds; falling back to 1 would make the whole
  // frame differ and the large-region rule below would learn the current lighting into B_L.
  // Saturated pixels neither measure the gain nor count as different.
  const cv::Mat g_long = grey(s.long_bg);
  const cv::Mat unsaturated = (g_img < 245) & (g_long < 245);
  const cv::Mat gain_px = unsaturated & ~people & (g_long > 16);
  double gain = s.gain;
  const int bins = std::max(1, options_.brightness_bins);
  if (s.bin_gain.size() != static_cast<size_t>(bins)) s.bin_gain.assign(static_cast<size_t>(bins), s.gain);
  const auto bin_of = [bins](float v) {
    return std::clamp(static_cast<int>((v - 16.0f) * bins / 229.0f), 0, bins - 1);
  };
  if (cv::countNonZero(gain_px) > s.size.area() / 50) {
    std::vector<float> ratios;
    std::vector<std::vector<float>> by_bin(static_cast<size_t>(bins));
    ratios.reserve(static_cast<size_t>(s.size.area()));
    for (int y = 0; y < s.size.height; ++y) {
      const auto* m = gain_px.ptr<std::uint8_t>(y);
      const auto* a = g_img.ptr<float>(y);
      const auto* b = g_long.ptr<float>(y);
      for (int x = 0; x < s.size.width; ++x)
        if (m[x]) {
          ratios.push_back(a[x] / b[x]);
          if (bins > 1) by_bin[static_cast<size_t>(bin_of(b[x]))].push_back(a[x] / b[x]);
        }
    }
    const auto median = [](std::vector<float>& v) {
      const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
      std::nth_element(v.begin(), mid, v.end());
      return std::clamp(static_cast<double>(*mid), 0.4, 2.5);
    };
    gain = median(ratios);
    // Per brightness of the empty scene: a tone curve (highlights compressed, a camera's
    // exposure control) moves bright and dark parts by different factors. A band with too few
    // pixels to tell follows the frame's gain.
    for (int i = 0; i < bins; ++i) {
      auto& v = by_bin[static_cast<size_t>(i)];
      s.bin_gain[static_cast<size_t>(i)] =
          bins > 1 && static_cast<int>(v.size()) > s.size.area() / 50 ? median(v) : gain;
    }
  }
  s.gain = gain;
  cv::Mat norm;
  if (bins == 1) {
    norm = img / gain;
  } else {
    // The gain of each pixel, interpolated between the bands' centres by B_L's brightness.
    cv::Mat lut(1, 256, CV_32F);
    const float width = 229.0f / bins;
    for (int v = 0; v < 256; ++v) {
      const float pos = std::clamp((v - 16.0f) / width - 0.5f, 0.0f, static_cast<float>(bins - 1));
      const int i = std::min(static_cast<int>(pos), bins - 2 < 0 ? 0 : bins - 2);
      const float f = pos - static_cast<float>(i);
      lut.at<float>(v) = static_cast<float>((1 - f) * s.bin_gain[static_cast<size_t>(i)] +
                                            f * s.bin_gain[static_cast<size_t>(std::min(i + 1, bins - 1))]);
    }
    cv::Mat g_u8, gain_map;
    g_long.convertTo(g_u8, CV_8U);
    cv::LUT(g_u8, lut, gain_map);
    cv::Mat gain3;
    cv::merge(std::vector<cv::Mat>{gain_map, gain_map, gain_map}, gain3);
    cv::divide(img, gain3, norm);
  }
  // Where a person stood at the start, the empty scene is what shows once nobody stands there.
  const cv::Mat learn_now = ~s.learnt & ~people;
  if (cv::countNonZero(learn_now) > 0) {
    norm.copyTo(s.long_bg, learn_now);
    s.learnt.setTo(255, learn_now);
  }

  // ---- 3. Differences: from the empty scene (F_L) and from the recent past (F_S) ---------------
  const cv::Mat dl = max_channel_absdiff(norm, s.long_bg);
  const cv::Mat fl = (dl > options_.diff_threshold) & unsaturated;
  const cv::Mat fs = max_channel_absdiff(img, s.short_bg) > options_.diff_threshold;

  // ---- 4. Evidence: grows where new and still, held under movement and people, falls elsewhere --
  // Capped a little above the threshold, so a region that empties drops out within about a second.
  const float cap = static_cast<float>(options_.static_s + 4.0);
  const cv::Mat grow = fl & ~fs & ~people & s.learnt;
  cv::add(s.evidence, cv::Scalar(dt), s.evidence, grow);
  cv::subtract(s.evidence, cv::Scalar(4 * dt), s.evidence, ~fl);
  s.evidence = cv::max(s.evidence, 0.0);
  s.evidence = cv::min(s.evidence, cap);

  // ---- 5. Backgrounds: B_S follows everything, B_L only the empty scene ------------------------
  const double a_short = 1 - std::exp(-dt / std::max(1e-3, options_.short_tau_s));
  const double a_long = 1 - std::exp(-dt / std::max(1e-3, options_.long_tau_s));
  cv::accumulateWeighted(img, s.short_bg, a_short);
  // B_L learns only where the frame is clearly the empty scene (half the threshold: hysteresis).
  const cv::Mat empty_scene = (dl < 0.5 * options_.diff_threshold) & ~people;
  cv::accumulateWeighted(norm, s.long_bg, a_long, empty_scene);
  s.last_norm = norm;

  // ---- 6. Static mask → blobs ------------------------------------------------------------------
  cv::Mat mask = s.evidence >= options_.static_s;
  cv::morphologyEx(mask, mask, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3}));
  cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  std::vector<StaticBlob> out;
  const double area_total = s.size.area();
  const double min_area = std::max(6.0, options_.min_area_fraction * area_total);
  cv::Mat g_now, g_bg;
  for (int i = 1; i < n; ++i) {
    const int area = stats.at<int>(i, cv::CC_STAT_AREA);
    if (area < min_area) continue;
    const cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                     stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    if (area > options_.max_area_fraction * area_total) {
      // A scene change, not an object: the empty scene becomes what is there now.
      const cv::Mat comp = labels == i;
      norm.copyTo(s.long_bg, comp);
      s.evidence.setTo(0, comp);
      continue;
    }
    // Added or taken away: whose outline has the edges, the frame's or the empty scene's?
    const cv::Rect pad = (r + cv::Size(8, 8) - cv::Point(4, 4)) & cv::Rect(cv::Point(0, 0), s.size);
    const cv::Mat comp = labels(pad) == i;
    cv::Mat outer, inner;
    cv::dilate(comp, outer, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
    cv::erode(comp, inner, cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3}));
    const cv::Mat ring = outer & ~inner;
    if (g_now.empty()) {
      g_now = grey(norm);
      g_bg = grey(s.long_bg);
    }
    const double e_now = edge_energy(g_now(pad), ring), e_bg = edge_energy(g_bg(pad), ring);
    StaticBlob b;
    b.box_px = {static_cast<float>(r.x * s.scale), static_cast<float>(r.y * s.scale),
                static_cast<float>((r.x + r.width) * s.scale), static_cast<float>((r.y + r.height) * s.scale)};
    b.area_px = area * s.scale * s.scale;
    b.ghost = e_bg > 1.3 * e_now + 2.0;
    // Vacant: the share of its pixels that clearly show the empty scene again (half the threshold,
    // as B_L learns), among those that can tell (not saturated); none can tell: not vacant.
    const int can_tell = cv::countNonZero(comp & unsaturated(pad));
    b.vacant =
        2 * can_tell < cv::countNonZero(comp)
            ? 0.0
            : double(cv::countNonZero(comp & unsaturated(pad) & (dl(pad) < 0.5 * options_.diff_threshold))) / can_tell;
    out.push_back(b);
  }
  return out;
}

void StaticForeground::absorb(const core::BoxXyxy& box_px) {
  Impl& s = *impl_;
  if (!s.started) return;
  const cv::Rect r = to_work(box_px, s.scale, s.size, 0.05);
  if (r.area() <= 0) return;
  s.last_norm(r).copyTo(s.long_bg(r));
  s.evidence(r).setTo(0);
}

core::Image StaticForeground::background() const {
  core::Image out;
  const Impl& s = *impl_;
  if (!s.started) return out;
  cv::Mat u8;
  s.long_bg.convertTo(u8, CV_8UC3);
  out.width = u8.cols;
  out.height = u8.rows;
  out.bgr.assign(u8.datastart, u8.dataend);
  return out;
}

}  // namespace vsp::detect

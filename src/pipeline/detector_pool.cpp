#include "pipeline/detector_pool.hpp"

#include <fmt/format.h>

#include <chrono>

namespace vsp::pipeline {

core::Result<std::string> DetectorPool::add(const detect::DetectorOptions& o) {
  std::lock_guard lock(m_);
  for (const auto& [key, e] : entries_)
    if (e->options == o) return key;
  auto d = detect::Detector::create(o);
  if (!d) return d.error();
  const std::string key = fmt::format("{}#{}", o.model, entries_.size());
  auto e = std::make_unique<Entry>();
  e->options = o;
  e->detector = std::move(d.value());
  entries_[key] = std::move(e);
  return key;
}

core::Detections DetectorPool::detect(const std::string& key, const core::Image& image) {
  Entry* e = nullptr;
  {
    std::lock_guard lock(m_);
    e = entries_.at(key).get();
  }
  auto input = e->detector->prepare(image);  // outside the lock: overlaps another camera's forward()
  std::lock_guard lock(e->m);
  const auto t0 = std::chrono::steady_clock::now();
  auto dets = e->detector->infer(input);
  const auto dt = std::chrono::steady_clock::now() - t0;
  inference_us_ += std::chrono::duration_cast<std::chrono::microseconds>(dt).count();
  if (histograms_) histograms_->detector_latency(e->options.model, std::chrono::duration<double>(dt).count());
  ++inferences_;
  return dets;
}

}  // namespace vsp::pipeline

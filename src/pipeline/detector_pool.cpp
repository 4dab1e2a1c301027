#include "pipeline/detector_pool.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "core/log.hpp"

namespace vsp::pipeline {

core::Result<std::string> DetectorPool::add(const detect::DetectorOptions& o) {
  std::lock_guard lock(m_);
  for (auto& [key, e] : entries_)
    if (e->options == o) {
      ++e->users;
      return key;
    }
  auto d = detect::Detector::create(o);
  if (!d) return d.error();
  const std::string key = fmt::format("{}#{}", o.model, entries_.size());
  auto e = std::make_unique<Entry>();
  e->options = o;
  e->users = 1;
  e->instances.push_back(std::move(d.value()));
  e->idle = {0};
  entries_[key] = std::move(e);
  return key;
}

core::Status DetectorPool::fit(int cores) {
  const core::Logger log("detect");
  std::lock_guard lock(m_);
  for (auto& [key, e] : entries_) {
    const int n = std::min(std::max(cores, 1), e->users);
    if (e->options.threads != 0 || e->instances.front()->backend() != detect::Backend::fast || n < 2) {
      log.info("detector {}: 1 instance for {} camera(s)", key, e->users);
      continue;
    }
    auto o = e->options;
    o.threads = std::max(1, cores / n);
    std::vector<std::unique_ptr<detect::Detector>> made;
    for (int i = 0; i < n; ++i) {
      auto d = detect::Detector::create(o);
      if (!d) return d.error();
      made.push_back(std::move(d.value()));
    }
    e->instances = std::move(made);
    e->idle.clear();
    for (std::size_t i = 0; i < e->instances.size(); ++i) e->idle.push_back(i);
    log.info("detector {}: {} instances of {} thread(s) for {} cameras on {} cores (forwards run side by side)", key, n,
             o.threads, e->users, cores);
  }
  return core::Ok{};
}

int DetectorPool::instances(const std::string& key) {
  std::lock_guard lock(m_);
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : static_cast<int>(it->second->instances.size());
}

core::Detections DetectorPool::detect(const std::string& key, const core::Image& image) {
  Entry* e = nullptr;
  {
    std::lock_guard lock(m_);
    e = entries_.at(key).get();
  }
  auto input = e->instances.front()->prepare(image);  // outside any lock: overlaps other cameras' forwards
  std::size_t i = 0;
  {
    std::unique_lock lock(e->m);
    const auto ticket = e->next_ticket++;
    e->freed.wait(lock, [&] { return ticket == e->serving && !e->idle.empty(); });
    ++e->serving;
    i = e->idle.back();
    e->idle.pop_back();
  }
  e->freed.notify_all();  // the next ticket may take another idle instance now
  // The instance goes back to the idle list even if infer throws.
  struct Release {
    Entry* e;
    std::size_t i;
    ~Release() {
      {
        std::lock_guard lock(e->m);
        e->idle.push_back(i);
      }
      e->freed.notify_all();  // every waiter checks whether its ticket is next
    }
  } release{e, i};
  const auto t0 = std::chrono::steady_clock::now();
  auto dets = e->instances[i]->infer(input);
  const auto dt = std::chrono::steady_clock::now() - t0;
  inference_us_ += std::chrono::duration_cast<std::chrono::microseconds>(dt).count();
  if (histograms_) histograms_->detector_latency(e->options.model, std::chrono::duration<double>(dt).count());
  ++inferences_;
  return dets;
}

}  // namespace vsp::pipeline

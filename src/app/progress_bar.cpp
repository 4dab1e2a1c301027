#include "app/progress_bar.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

namespace vsp::app {

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) != 0) {}

void ProgressBar::update(long done, long total, double fps, double elapsed_s) {
  if (!enabled_) return;
  constexpr int kWidth = 30;
  std::string bar, tail;
  if (total > 0) {
    const double frac = std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0);
    const int filled = static_cast<int>(frac * kWidth);
    bar = std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(kWidth - filled), '-');
    const double eta = fps > 0 ? static_cast<double>(std::max(0L, total - done)) / fps : 0;
    tail = fmt::format("{:3.0f}% {}/{} frames  {:.1f} fps  ETA {:02d}:{:02d}", frac * 100, done, total, fps,
                       static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
  } else {
    bar = std::string(kWidth, '?');
    tail = fmt::format("{} frames  {:.1f} fps  {:.0f} s", done, fps, elapsed_s);
  }
  fmt::print(stderr, "\r{} [{}] {}\x1b[K", label_, bar, tail);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (drawn_) fmt::print(stderr, "\n");
  drawn_ = false;
}

}  // namespace vsp::app

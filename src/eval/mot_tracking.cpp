#include "eval/mot_tracking.hpp"

#include <fmt/format.h>

#include <cmath>

namespace vsp::eval {

std::vector<MotBox> run_tracker_on_detections(const std::vector<MotBox>& detections, const SeqInfo& info,
                                              track::TrackerOptions options) {
  options.frame_rate = info.frame_rate;
  track::Tracker tracker(options);
  std::vector<core::Detections> per_frame(static_cast<size_t>(info.length));
  for (const auto& d : detections)
    if (d.frame >= 1 && d.frame <= info.length)
      per_frame[static_cast<size_t>(d.frame - 1)].push_back({d.box, d.conf, 0});
  std::vector<MotBox> out;
  for (int f = 0; f < info.length; ++f) {
    const core::Timestamp ts{f, f / info.frame_rate};
    for (const auto& t : tracker.update(per_frame[static_cast<size_t>(f)], ts)) {
      if (!track::reported(t, options, info.width, info.height)) continue;
      out.push_back({f + 1, t.id, t.box_px, t.score, 1, 1});
    }
  }
  return out;
}

std::string format_mot_results(const std::vector<MotBox>& rows) {
  std::string s;
  for (const auto& r : rows)
    s += fmt::format("{},{},{:.2f},{:.2f},{:.2f},{:.2f},{:.4f},-1,-1,-1\n", r.frame, r.id, r.box.x1, r.box.y1,
                     r.box.width(), r.box.height(), r.conf);
  return s;
}

}  // namespace vsp::eval

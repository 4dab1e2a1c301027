#pragma once
/// Runs the tracker over MOTChallenge detections (`frame,-1,x,y,w,h,score,...`), so trackers
/// can be compared on identical detections.
#include <string>
#include <vector>

#include "eval/mot_metrics.hpp"
#include "track/tracker.hpp"

namespace vsp::eval {

/// Confirmed tracks matched in each frame, as MotBox rows (frames from 1).
std::vector<MotBox> run_tracker_on_detections(const std::vector<MotBox>& detections, const SeqInfo& info,
                                              track::TrackerOptions options);

/// MOTChallenge result text: `frame,id,x,y,w,h,score,-1,-1,-1` per line.
std::string format_mot_results(const std::vector<MotBox>& rows);

}  // namespace vsp::eval

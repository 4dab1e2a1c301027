#pragma once
/// Ground-truth line crossings from annotated trajectories (MOTChallenge gt.txt), to score the
/// counting rules at scale. Written independently of `analytics::LineCounter` (no shared code), on
/// the same documented convention (docs/rules.md): anchor = bottom-centre of the box; a crossing
/// is a change of side beyond a dead band of `min_distance` x the frame diagonal whose path, from
/// the last point on the old side to the first point on the new side, cuts the segment;
/// "in" = from the left of p1->p2 to its right (on screen, y down).
#include <string>
#include <vector>

#include "analytics/options.hpp"
#include "eval/mot_metrics.hpp"

namespace vsp::eval {

struct LineCrossingCount {
  std::string line;
  long in = 0, out = 0;
};

/// `gt`: rows of one sequence; with `mot17`, only considered pedestrians (class 1, flag 1) count.
std::vector<LineCrossingCount> count_gt_crossings(const std::vector<MotBox>& gt, const SeqInfo& info,
                                                  const std::vector<analytics::LineOptions>& lines, bool mot17);

}  // namespace vsp::eval

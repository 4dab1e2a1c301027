#include "eval/line_crossings.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace vsp::eval {

namespace {

struct P {
  double x, y;
};

/// z of (b - a) x (c - a): > 0 when c is right of a->b on screen (y down).
double side_value(P a, P b, P c) { return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x); }

bool cuts(P a, P b, P c, P d) {  // do segments ab and cd intersect (touching counts)?
  const double d1 = side_value(c, d, a), d2 = side_value(c, d, b), d3 = side_value(a, b, c), d4 = side_value(a, b, d);
  return ((d1 <= 0 && d2 >= 0) || (d1 >= 0 && d2 <= 0)) && ((d3 <= 0 && d4 >= 0) || (d3 >= 0 && d4 <= 0));
}

}  // namespace

std::vector<LineCrossingCount> count_gt_crossings(const std::vector<MotBox>& gt, const SeqInfo& info,
                                                  const std::vector<analytics::LineOptions>& lines, bool mot17) {
  // Trajectories: bottom-centre anchors in frame order, per gt id.
  std::map<int, std::vector<std::pair<int, P>>> tracks;
  for (const auto& r : gt) {
    if (mot17 && (r.cls != 1 || r.conf < 0.5f)) continue;
    tracks[r.id].push_back({r.frame, {(r.box.x1 + r.box.x2) / 2.0, static_cast<double>(r.box.y2)}});
  }
  const double diag = std::hypot(info.width, info.height);
  std::vector<LineCrossingCount> out;
  for (const auto& l : lines) {
    LineCrossingCount c{l.name, 0, 0};
    const P a{l.p1.x * info.width, l.p1.y * info.height}, b{l.p2.x * info.width, l.p2.y * info.height};
    const double len = std::hypot(b.x - a.x, b.y - a.y), band = l.min_distance * diag;
    for (auto& [id, pts] : tracks) {
      std::sort(pts.begin(), pts.end(), [](const auto& u, const auto& v) { return u.first < v.first; });
      int side = 0;
      P last{};
      for (const auto& [frame, q] : pts) {
        const double d = side_value(a, b, q) / len;
        const int s = d > band ? 1 : d < -band ? -1 : 0;
        if (s == 0) continue;
        if (side != 0 && s != side && cuts(last, q, a, b)) ++(side < 0 ? c.in : c.out);
        side = s;
        last = q;
      }
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace vsp::eval

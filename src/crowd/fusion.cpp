#include "crowd/fusion.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/geometry.hpp"
#include "detect/nms.hpp"

namespace vsp::crowd {

const char* to_string(Fusion f) {
  switch (f) {
    case Fusion::persons:
      return "persons";
    case Fusion::heads:
      return "heads";
    case Fusion::head_or_person:
      return "head_or_person";
    case Fusion::max:
      return "max";
  }
  return "unknown";
}

std::string describe(const CountParams& p) {
  std::string scales;
  for (size_t i = 0; i < kHeadScales.size(); ++i)
    if (p.head_scales & (1u << i))
      scales += fmt::format("{}{}x{}", scales.empty() ? "" : "+", kHeadScales[i][0], kHeadScales[i][1]);
  return fmt::format("fusion={} heads=[{}]@{:.2f} persons={}@{:.2f} head_zone={:.2f}", to_string(p.fusion),
                     scales.empty() ? "none" : scales, p.head_threshold, p.person_tiles ? "full+tiles" : "full",
                     p.person_threshold, p.head_zone);
}

namespace {

core::Detections above(const core::Detections& in, float threshold) {
  core::Detections out;
  for (const auto& d : in)
    if (d.score >= threshold) out.push_back(d);
  return out;
}

/// A head box this much inside a higher-scored head box is the same head.
constexpr float kHeadInsideFraction = 0.6f;

/// Intersection over the smaller box's area.
float ios(const core::BoxXyxy& a, const core::BoxXyxy& b) {
  const float w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1), h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const float small = std::min(a.area(), b.area());
  return small > 0 ? w * h / small : 0;
}

}  // namespace

core::Detections merge_persons(const RawDetections& raw, bool tiles, float threshold) {
  core::Detections all = above(raw.persons_full, threshold);
  if (tiles) {
    const auto t = above(raw.persons_tiles, threshold);
    all.insert(all.end(), t.begin(), t.end());
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  core::Detections kept;
  for (const auto& d : all) {
    bool dup = false;
    for (const auto& k : kept)
      if (core::iou(k.box_px, d.box_px) > 0.5f || (tiles && ios(k.box_px, d.box_px) > 0.8f)) {
        dup = true;
        break;
      }
    if (!dup) kept.push_back(d);
  }
  return kept;
}

core::Detections merge_heads(const RawDetections& raw, unsigned scales, float threshold) {
  core::Detections all;
  for (size_t i = 0; i < kHeadScales.size(); ++i)
    if (scales & (1u << i)) {
      const auto h = above(raw.heads[i], threshold);
      all.insert(all.end(), h.begin(), h.end());
    }
  // One head seen at two scales gives boxes of different sizes, one inside the other (IoU low):
  // a box mostly inside a higher-scored one is the same head.
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  core::Detections kept;
  for (const auto& d : all) {
    bool dup = false;
    for (const auto& k : kept)
      if (core::iou(k.box_px, d.box_px) > 0.4f || ios(k.box_px, d.box_px) > kHeadInsideFraction) {
        dup = true;
        break;
      }
    if (!dup) kept.push_back(d);
  }
  return kept;
}

namespace {
/// For each person, the index of the head it shows, or -1 (each head explains at most one person).
std::vector<int> match_heads(const core::Detections& persons, const core::Detections& heads, float head_zone) {
  std::vector<bool> used(heads.size(), false);
  std::vector<int> match(persons.size(), -1);
  for (size_t j = 0; j < persons.size(); ++j) {
    const auto& b = persons[j].box_px;
    const double zone_y2 = b.y1 + head_zone * b.height();
    // The unused head nearest the box's top centre, inside the head zone.
    int best = -1;
    double best_d = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < heads.size(); ++i) {
      if (used[i]) continue;
      const auto c = heads[i].box_px.center();
      if (c.x < b.x1 || c.x > b.x2 || c.y < b.y1 - 0.05 * b.height() || c.y > zone_y2) continue;
      const double d = std::hypot(c.x - (b.x1 + b.x2) / 2.0, c.y - b.y1);
      if (d < best_d) {
        best_d = d;
        best = static_cast<int>(i);
      }
    }
    if (best >= 0) used[static_cast<size_t>(best)] = true;
    match[j] = best;
  }
  return match;
}
}  // namespace

int persons_without_head(const core::Detections& persons, const core::Detections& heads, float head_zone) {
  const auto m = match_heads(persons, heads, head_zone);
  return static_cast<int>(std::count(m.begin(), m.end(), -1));
}

std::vector<Person> fuse_people(const RawDetections& raw, const CountParams& p) {
  const bool use_heads = p.fusion != Fusion::persons && p.head_scales != 0;
  const bool use_persons = p.fusion != Fusion::heads;
  const auto heads = use_heads ? merge_heads(raw, p.head_scales, p.head_threshold) : core::Detections{};
  const auto persons = use_persons ? merge_persons(raw, p.person_tiles, p.person_threshold) : core::Detections{};
  const double h_max = raw.height > 0 ? raw.height : std::numeric_limits<double>::infinity();
  std::vector<Person> out;
  auto add_heads = [&] {
    for (const auto& h : heads) {
      const auto c = h.box_px.center();
      out.push_back({{c.x, std::min(h_max, c.y + 6.0 * h.box_px.height())}, true});
    }
  };
  auto add_persons = [&](const std::vector<int>* match) {
    for (size_t j = 0; j < persons.size(); ++j)
      if (!match || (*match)[j] < 0) out.push_back({persons[j].box_px.bottom_center(), false});
  };
  switch (p.fusion) {
    case Fusion::persons:
      add_persons(nullptr);
      break;
    case Fusion::heads:
      add_heads();
      break;
    case Fusion::max:
      if (heads.size() >= persons.size())
        add_heads();
      else
        add_persons(nullptr);
      break;
    case Fusion::head_or_person: {
      const auto m = match_heads(persons, heads, p.head_zone);
      add_heads();
      add_persons(&m);
      break;
    }
  }
  return out;
}

int fuse_count(const RawDetections& raw, const CountParams& p) { return static_cast<int>(fuse_people(raw, p).size()); }

namespace {
/// counts[g][i] = count of image i with grid entry g (computed once; LOO only re-sums).
std::vector<std::vector<int>> count_matrix(const std::vector<LabelledImage>& images,
                                           const std::vector<CountParams>& grid) {
  std::vector<std::vector<int>> m(grid.size(), std::vector<int>(images.size()));
  for (size_t g = 0; g < grid.size(); ++g)
    for (size_t i = 0; i < images.size(); ++i) m[g][i] = fuse_count(images[i].raw, grid[g]);
  return m;
}
size_t best_entry(const std::vector<std::vector<int>>& m, const std::vector<LabelledImage>& images, int skip) {
  size_t best = 0;
  double best_err = std::numeric_limits<double>::infinity();
  for (size_t g = 0; g < m.size(); ++g) {
    double err = 0;
    for (size_t i = 0; i < images.size(); ++i)
      if (static_cast<int>(i) != skip) err += std::abs(m[g][i] - images[i].truth);
    if (err < best_err - 1e-9) {
      best_err = err;
      best = g;
    }
  }
  return best;
}
}  // namespace

CountParams select_params(const std::vector<LabelledImage>& images, const std::vector<CountParams>& grid, int skip) {
  return grid[best_entry(count_matrix(images, grid), images, skip)];
}

LooResult leave_one_out(const std::vector<LabelledImage>& images, const std::vector<CountParams>& grid) {
  LooResult r;
  if (images.empty() || grid.empty()) return r;
  const auto m = count_matrix(images, grid);
  double abs_sum = 0, rel_sum = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const size_t g = best_entry(m, images, static_cast<int>(i));
    const int n = m[g][i];
    r.per_fold.push_back(grid[g]);
    r.loo_counts.push_back(n);
    abs_sum += std::abs(n - images[i].truth);
    rel_sum += images[i].truth > 0 ? std::abs(n - images[i].truth) / static_cast<double>(images[i].truth) : 0.0;
  }
  const double n = static_cast<double>(images.size());
  r.loo_mae = abs_sum / n;
  r.loo_rel = rel_sum / n;
  const size_t all = best_entry(m, images, -1);
  r.chosen_all = grid[all];
  double in = 0;
  for (size_t i = 0; i < images.size(); ++i) in += std::abs(m[all][i] - images[i].truth);
  r.in_sample_mae = in / n;
  return r;
}

std::vector<CountParams> default_grid() {
  std::vector<CountParams> g;
  std::vector<float> pt, ht;
  for (float t = 0.20f; t <= 0.701f; t += 0.05f) pt.push_back(t);
  for (float t = 0.30f; t <= 0.901f; t += 0.05f) ht.push_back(t);
  const unsigned scale_sets[] = {0b0001, 0b0010, 0b0100, 0b1001, 0b1010, 0b0011};
  for (bool tiles : {false, true}) {
    for (float p : pt) g.push_back({0, 0, tiles, p, Fusion::persons, 0.4f});
    for (unsigned s : scale_sets)
      for (float h : ht) {
        if (!tiles) g.push_back({s, h, false, 0.5f, Fusion::heads, 0.4f});
        for (float p : pt)
          for (Fusion f : {Fusion::head_or_person, Fusion::max}) g.push_back({s, h, tiles, p, f, 0.4f});
      }
  }
  return g;
}

}  // namespace vsp::crowd

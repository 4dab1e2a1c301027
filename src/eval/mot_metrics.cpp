#include "eval/mot_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "core/assignment.hpp"
#include "core/geometry.hpp"

namespace vsp::eval {

namespace {
constexpr double kEps = std::numeric_limits<double>::epsilon();

double alpha(int a) { return 0.05 * (a + 1); }

/// IoU matrix gt x tracker, double precision as the evaluator computes it.
std::vector<double> similarity(const SequenceData::Frame& f) {
  std::vector<double> s(f.gt_boxes.size() * f.tracker_boxes.size());
  for (size_t i = 0; i < f.gt_boxes.size(); ++i)
    for (size_t j = 0; j < f.tracker_boxes.size(); ++j) {
      const auto& a = f.gt_boxes[i];
      const auto& b = f.tracker_boxes[j];
      const double ix = std::min<double>(a.x2, b.x2) - std::max<double>(a.x1, b.x1);
      const double iy = std::min<double>(a.y2, b.y2) - std::max<double>(a.y1, b.y1);
      const double inter = std::max(0.0, ix) * std::max(0.0, iy);
      const double area_a = (static_cast<double>(a.x2) - a.x1) * (static_cast<double>(a.y2) - a.y1);
      const double area_b = (static_cast<double>(b.x2) - b.x1) * (static_cast<double>(b.y2) - b.y1);
      const double uni = area_a + area_b - inter;
      s[i * f.tracker_boxes.size() + j] = uni > kEps ? inter / uni : 0.0;
    }
  return s;
}

/// Maximum-score assignment (linear_sum_assignment(-score)); returns (row, col) pairs.
std::vector<std::pair<int, int>> max_assign(const std::vector<double>& score, int rows, int cols) {
  core::CostMatrix cm{rows, cols, std::vector<double>(score.size())};
  for (size_t k = 0; k < score.size(); ++k) cm.cost[k] = -score[k];
  const auto a = core::solve_assignment(cm);
  std::vector<std::pair<int, int>> pairs;
  for (int r = 0; r < rows; ++r)
    if (a[static_cast<size_t>(r)] >= 0) pairs.emplace_back(r, a[static_cast<size_t>(r)]);
  return pairs;
}

// ---- HOTA ---------------------------------------------------------------------------------------
void hota(const SequenceData& d, const std::vector<std::vector<double>>& sims, MotCounts& c) {
  const int G = d.num_gt_ids, T = d.num_tracker_ids;
  if (c.num_tracker_dets == 0) {
    for (int a = 0; a < MotCounts::kAlphas; ++a) c.hota_fn[static_cast<size_t>(a)] = c.num_gt_dets;
    for (int a = 0; a < MotCounts::kAlphas; ++a) c.loc_a[static_cast<size_t>(a)] = 1.0;
    return;
  }
  if (c.num_gt_dets == 0) {
    for (int a = 0; a < MotCounts::kAlphas; ++a) c.hota_fp[static_cast<size_t>(a)] = c.num_tracker_dets;
    for (int a = 0; a < MotCounts::kAlphas; ++a) c.loc_a[static_cast<size_t>(a)] = 1.0;
    return;
  }
  // Step 1: global alignment score between every gt id and tracker id.
  std::vector<double> potential(static_cast<size_t>(G) * T, 0.0), gt_count(static_cast<size_t>(G), 0.0),
      tr_count(static_cast<size_t>(T), 0.0);
  for (size_t t = 0; t < d.frames.size(); ++t) {
    const auto& f = d.frames[t];
    const auto& s = sims[t];
    const size_t ng = f.gt_ids.size(), nt = f.tracker_ids.size();
    std::vector<double> row_sum(ng, 0), col_sum(nt, 0);
    for (size_t i = 0; i < ng; ++i)
      for (size_t j = 0; j < nt; ++j) {
        row_sum[i] += s[i * nt + j];
        col_sum[j] += s[i * nt + j];
      }
    for (size_t i = 0; i < ng; ++i)
      for (size_t j = 0; j < nt; ++j) {
        const double denom = col_sum[j] + row_sum[i] - s[i * nt + j];
        if (denom > kEps)
          potential[static_cast<size_t>(f.gt_ids[i]) * T + static_cast<size_t>(f.tracker_ids[j])] +=
              s[i * nt + j] / denom;
      }
    for (int g : f.gt_ids) gt_count[static_cast<size_t>(g)] += 1;
    for (int k : f.tracker_ids) tr_count[static_cast<size_t>(k)] += 1;
  }
  std::vector<double> global(potential.size());
  for (int g = 0; g < G; ++g)
    for (int k = 0; k < T; ++k) {
      const size_t idx = static_cast<size_t>(g) * T + k;
      global[idx] =
          potential[idx] / (gt_count[static_cast<size_t>(g)] + tr_count[static_cast<size_t>(k)] - potential[idx]);
    }
  // Step 2: per-frame matching maximising alignment x similarity; count at every alpha.
  std::vector<std::vector<double>> matches(MotCounts::kAlphas, std::vector<double>(potential.size(), 0.0));
  for (size_t t = 0; t < d.frames.size(); ++t) {
    const auto& f = d.frames[t];
    const size_t ng = f.gt_ids.size(), nt = f.tracker_ids.size();
    if (ng == 0) {
      for (auto& v : c.hota_fp) v += static_cast<double>(nt);
      continue;
    }
    if (nt == 0) {
      for (auto& v : c.hota_fn) v += static_cast<double>(ng);
      continue;
    }
    const auto& s = sims[t];
    std::vector<double> score(ng * nt);
    for (size_t i = 0; i < ng; ++i)
      for (size_t j = 0; j < nt; ++j)
        score[i * nt + j] =
            global[static_cast<size_t>(f.gt_ids[i]) * T + static_cast<size_t>(f.tracker_ids[j])] * s[i * nt + j];
    const auto pairs = max_assign(score, static_cast<int>(ng), static_cast<int>(nt));
    for (int a = 0; a < MotCounts::kAlphas; ++a) {
      int n = 0;
      for (auto [i, j] : pairs) {
        const double sim = s[static_cast<size_t>(i) * nt + static_cast<size_t>(j)];
        if (sim < alpha(a) - kEps) continue;
        ++n;
        c.loc_a[static_cast<size_t>(a)] += sim;
        matches[static_cast<size_t>(a)][static_cast<size_t>(f.gt_ids[static_cast<size_t>(i)]) * T +
                                        static_cast<size_t>(f.tracker_ids[static_cast<size_t>(j)])] += 1;
      }
      c.hota_tp[static_cast<size_t>(a)] += n;
      c.hota_fn[static_cast<size_t>(a)] += static_cast<double>(ng) - n;
      c.hota_fp[static_cast<size_t>(a)] += static_cast<double>(nt) - n;
    }
  }
  // Step 3: association scores from the matched-pair counts.
  for (int a = 0; a < MotCounts::kAlphas; ++a) {
    const auto& m = matches[static_cast<size_t>(a)];
    double ass_a = 0, ass_re = 0, ass_pr = 0;
    for (int g = 0; g < G; ++g)
      for (int k = 0; k < T; ++k) {
        const double mc = m[static_cast<size_t>(g) * T + k];
        if (mc == 0) continue;
        const double gc = gt_count[static_cast<size_t>(g)], tc = tr_count[static_cast<size_t>(k)];
        ass_a += mc * (mc / std::max(1.0, gc + tc - mc));
        ass_re += mc * (mc / std::max(1.0, gc));
        ass_pr += mc * (mc / std::max(1.0, tc));
      }
    const double tp = std::max(1.0, c.hota_tp[static_cast<size_t>(a)]);
    c.ass_a[static_cast<size_t>(a)] = ass_a / tp;
    c.ass_re[static_cast<size_t>(a)] = ass_re / tp;
    c.ass_pr[static_cast<size_t>(a)] = ass_pr / tp;
    c.loc_a[static_cast<size_t>(a)] =
        std::max(1e-10, c.loc_a[static_cast<size_t>(a)]) / std::max(1e-10, c.hota_tp[static_cast<size_t>(a)]);
  }
}

// ---- CLEAR --------------------------------------------------------------------------------------
void clear(const SequenceData& d, const std::vector<std::vector<double>>& sims, MotCounts& c) {
  if (c.num_gt_dets == 0) {
    c.clr_fp = c.num_tracker_dets;
    return;
  }
  if (c.num_tracker_dets == 0) {
    c.clr_fn = c.num_gt_dets;
    c.ml = d.num_gt_ids;
    return;
  }
  const int G = d.num_gt_ids;
  std::vector<double> gt_id_count(static_cast<size_t>(G), 0), gt_matched(static_cast<size_t>(G), 0),
      gt_frag(static_cast<size_t>(G), 0);
  std::vector<int> prev_tracker(static_cast<size_t>(G), -1), prev_step(static_cast<size_t>(G), -1);
  for (size_t t = 0; t < d.frames.size(); ++t) {
    const auto& f = d.frames[t];
    const size_t ng = f.gt_ids.size(), nt = f.tracker_ids.size();
    if (ng == 0) {
      c.clr_fp += static_cast<double>(nt);
      continue;
    }
    if (nt == 0) {
      c.clr_fn += static_cast<double>(ng);
      for (int g : f.gt_ids) gt_id_count[static_cast<size_t>(g)] += 1;
      continue;
    }
    const auto& s = sims[t];
    // Prefer continuing last frame's pairs (1000 x bonus), among pairs with IoU >= 0.5.
    std::vector<double> score(ng * nt);
    for (size_t i = 0; i < ng; ++i)
      for (size_t j = 0; j < nt; ++j) {
        const double sim = s[i * nt + j];
        const bool same = prev_step[static_cast<size_t>(f.gt_ids[i])] == f.tracker_ids[j];
        score[i * nt + j] = sim < 0.5 - kEps ? 0.0 : 1000.0 * same + sim;
      }
    auto pairs = max_assign(score, static_cast<int>(ng), static_cast<int>(nt));
    std::erase_if(pairs, [&](auto p) {
      return score[static_cast<size_t>(p.first) * nt + static_cast<size_t>(p.second)] <= kEps;
    });
    std::vector<char> was_tracked(static_cast<size_t>(G));
    for (int g = 0; g < G; ++g) was_tracked[static_cast<size_t>(g)] = prev_step[static_cast<size_t>(g)] >= 0;
    for (auto [i, j] : pairs) {
      const int g = f.gt_ids[static_cast<size_t>(i)], k = f.tracker_ids[static_cast<size_t>(j)];
      if (prev_tracker[static_cast<size_t>(g)] >= 0 && prev_tracker[static_cast<size_t>(g)] != k) c.idsw += 1;
    }
    for (int g : f.gt_ids) gt_id_count[static_cast<size_t>(g)] += 1;
    std::fill(prev_step.begin(), prev_step.end(), -1);
    for (auto [i, j] : pairs) {
      const int g = f.gt_ids[static_cast<size_t>(i)], k = f.tracker_ids[static_cast<size_t>(j)];
      gt_matched[static_cast<size_t>(g)] += 1;
      prev_tracker[static_cast<size_t>(g)] = k;
      prev_step[static_cast<size_t>(g)] = k;
      c.motp_sum += s[static_cast<size_t>(i) * nt + static_cast<size_t>(j)];
    }
    for (int g = 0; g < G; ++g)
      if (!was_tracked[static_cast<size_t>(g)] && prev_step[static_cast<size_t>(g)] >= 0)
        gt_frag[static_cast<size_t>(g)] += 1;
    const double n = static_cast<double>(pairs.size());
    c.clr_tp += n;
    c.clr_fn += static_cast<double>(ng) - n;
    c.clr_fp += static_cast<double>(nt) - n;
  }
  for (int g = 0; g < G; ++g) {
    const double cnt = gt_id_count[static_cast<size_t>(g)];
    if (cnt > 0) {
      const double ratio = gt_matched[static_cast<size_t>(g)] / cnt;
      if (ratio > 0.8)
        c.mt += 1;
      else if (ratio >= 0.2)
        c.pt += 1;
    }
    if (gt_frag[static_cast<size_t>(g)] > 0) c.frag += gt_frag[static_cast<size_t>(g)] - 1;
  }
  c.ml = G - c.mt - c.pt;
}

// ---- Identity -----------------------------------------------------------------------------------
void identity(const SequenceData& d, const std::vector<std::vector<double>>& sims, MotCounts& c) {
  if (c.num_tracker_dets == 0) {
    c.idfn = c.num_gt_dets;
    return;
  }
  if (c.num_gt_dets == 0) {
    c.idfp = c.num_tracker_dets;
    return;
  }
  const int G = d.num_gt_ids, T = d.num_tracker_ids;
  std::vector<double> potential(static_cast<size_t>(G) * T, 0.0);
  double gt_total = 0, tr_total = 0;
  for (size_t t = 0; t < d.frames.size(); ++t) {
    const auto& f = d.frames[t];
    const size_t nt = f.tracker_ids.size();
    for (size_t i = 0; i < f.gt_ids.size(); ++i)
      for (size_t j = 0; j < nt; ++j)
        if (sims[t][i * nt + j] >= 0.5)
          potential[static_cast<size_t>(f.gt_ids[i]) * T + static_cast<size_t>(f.tracker_ids[j])] += 1;
    gt_total += static_cast<double>(f.gt_ids.size());
    tr_total += static_cast<double>(nt);
  }
  // The evaluator's (G+T)^2 cost matrix reduces to a maximum-weight matching on the co-occurrence
  // counts: IDFN = gt boxes - matched, IDFP = tracker boxes - matched.
  const auto pairs = max_assign(potential, G, T);
  double idtp = 0;
  for (auto [g, k] : pairs) idtp += potential[static_cast<size_t>(g) * T + static_cast<size_t>(k)];
  c.idtp = idtp;
  c.idfn = gt_total - idtp;
  c.idfp = tr_total - idtp;
}

}  // namespace

MotCounts evaluate_sequence(const SequenceData& data) {
  MotCounts c;
  c.num_gt_ids = data.num_gt_ids;
  c.num_tracker_ids = data.num_tracker_ids;
  std::vector<std::vector<double>> sims;
  sims.reserve(data.frames.size());
  for (const auto& f : data.frames) {
    c.num_gt_dets += static_cast<int>(f.gt_ids.size());
    c.num_tracker_dets += static_cast<int>(f.tracker_ids.size());
    sims.push_back(similarity(f));
  }
  hota(data, sims, c);
  clear(data, sims, c);
  identity(data, sims, c);
  return c;
}

MotCounts combine(const std::vector<MotCounts>& seqs) {
  MotCounts c;
  for (const auto& s : seqs) {
    for (int a = 0; a < MotCounts::kAlphas; ++a) {
      const size_t k = static_cast<size_t>(a);
      c.hota_tp[k] += s.hota_tp[k];
      c.hota_fn[k] += s.hota_fn[k];
      c.hota_fp[k] += s.hota_fp[k];
    }
    c.clr_tp += s.clr_tp;
    c.clr_fn += s.clr_fn;
    c.clr_fp += s.clr_fp;
    c.idsw += s.idsw;
    c.mt += s.mt;
    c.pt += s.pt;
    c.ml += s.ml;
    c.frag += s.frag;
    c.motp_sum += s.motp_sum;
    c.idtp += s.idtp;
    c.idfn += s.idfn;
    c.idfp += s.idfp;
    c.num_gt_dets += s.num_gt_dets;
    c.num_tracker_dets += s.num_tracker_dets;
    c.num_gt_ids += s.num_gt_ids;
    c.num_tracker_ids += s.num_tracker_ids;
  }
  // Association and localisation: averages weighted by each sequence's HOTA_TP.
  for (int a = 0; a < MotCounts::kAlphas; ++a) {
    const size_t k = static_cast<size_t>(a);
    double wa = 0, wr = 0, wp = 0, wl = 0;
    for (const auto& s : seqs) {
      wa += s.ass_a[k] * s.hota_tp[k];
      wr += s.ass_re[k] * s.hota_tp[k];
      wp += s.ass_pr[k] * s.hota_tp[k];
      wl += s.loc_a[k] * s.hota_tp[k];
    }
    const double w = std::max(1e-10, c.hota_tp[k]);
    c.ass_a[k] = wa / w;
    c.ass_re[k] = wr / w;
    c.ass_pr[k] = wp / w;
    c.loc_a[k] = std::max(1e-10, wl) / w;
  }
  return c;
}

MotScores finalise(const MotCounts& c) {
  MotScores s;
  double hota = 0, det_a = 0, ass_a = 0, loc_a = 0, det_re = 0, det_pr = 0, ass_re = 0, ass_pr = 0;
  for (int a = 0; a < MotCounts::kAlphas; ++a) {
    const size_t k = static_cast<size_t>(a);
    const double da = c.hota_tp[k] / std::max(1.0, c.hota_tp[k] + c.hota_fn[k] + c.hota_fp[k]);
    det_a += da;
    det_re += c.hota_tp[k] / std::max(1.0, c.hota_tp[k] + c.hota_fn[k]);
    det_pr += c.hota_tp[k] / std::max(1.0, c.hota_tp[k] + c.hota_fp[k]);
    ass_a += c.ass_a[k];
    ass_re += c.ass_re[k];
    ass_pr += c.ass_pr[k];
    loc_a += c.loc_a[k];
    hota += std::sqrt(da * c.ass_a[k]);
  }
  const double n = MotCounts::kAlphas;
  s["HOTA"] = 100 * hota / n;
  s["DetA"] = 100 * det_a / n;
  s["AssA"] = 100 * ass_a / n;
  s["LocA"] = 100 * loc_a / n;
  s["DetRe"] = 100 * det_re / n;
  s["DetPr"] = 100 * det_pr / n;
  s["AssRe"] = 100 * ass_re / n;
  s["AssPr"] = 100 * ass_pr / n;
  const double gt = c.clr_tp + c.clr_fn;
  s["MOTA"] = 100 * (c.clr_tp - c.clr_fp - c.idsw) / std::max(1.0, gt);
  s["MOTP"] = 100 * c.motp_sum / std::max(1.0, c.clr_tp);
  s["CLR_TP"] = c.clr_tp;
  s["CLR_FN"] = c.clr_fn;
  s["CLR_FP"] = c.clr_fp;
  s["IDSW"] = c.idsw;
  s["Frag"] = c.frag;
  s["MT"] = c.mt;
  s["PT"] = c.pt;
  s["ML"] = c.ml;
  s["IDF1"] = 100 * c.idtp / std::max(1.0, c.idtp + 0.5 * c.idfp + 0.5 * c.idfn);
  s["IDP"] = 100 * c.idtp / std::max(1.0, c.idtp + c.idfp);
  s["IDR"] = 100 * c.idtp / std::max(1.0, c.idtp + c.idfn);
  s["IDTP"] = c.idtp;
  s["IDFP"] = c.idfp;
  s["IDFN"] = c.idfn;
  s["GT_Dets"] = c.num_gt_dets;
  s["Dets"] = c.num_tracker_dets;
  s["GT_IDs"] = c.num_gt_ids;
  s["IDs"] = c.num_tracker_ids;
  return s;
}

SequenceData preprocess(const std::vector<MotBox>& gt, const std::vector<MotBox>& tracker, const SeqInfo& info,
                        Benchmark benchmark) {
  const int n = info.length > 0 ? info.length : 0;
  std::vector<std::vector<const MotBox*>> gt_f(static_cast<size_t>(n)), tr_f(static_cast<size_t>(n));
  for (const auto& b : gt)
    if (b.frame >= 1 && b.frame <= n) gt_f[static_cast<size_t>(b.frame - 1)].push_back(&b);
  for (const auto& b : tracker)
    if (b.frame >= 1 && b.frame <= n) tr_f[static_cast<size_t>(b.frame - 1)].push_back(&b);

  std::map<int, int> gt_map, tr_map;  // original id -> contiguous, by first appearance order below
  SequenceData d;
  d.frames.resize(static_cast<size_t>(n));
  std::vector<std::vector<const MotBox*>> gt_keep(static_cast<size_t>(n)), tr_keep(static_cast<size_t>(n));
  for (int t = 0; t < n; ++t) {
    auto& g = gt_f[static_cast<size_t>(t)];
    auto& k = tr_f[static_cast<size_t>(t)];
    std::vector<char> remove_tr(k.size(), 0);
    if (benchmark == Benchmark::mot17 && !g.empty() && !k.empty()) {
      // Tracker boxes matched (IoU >= 0.5, Hungarian) to distractor gt are removed.
      std::vector<double> score(g.size() * k.size());
      for (size_t i = 0; i < g.size(); ++i)
        for (size_t j = 0; j < k.size(); ++j) {
          const double v = core::iou(g[i]->box, k[j]->box);
          score[i * k.size() + j] = v < 0.5 - kEps ? 0.0 : v;
        }
      for (auto [i, j] : max_assign(score, static_cast<int>(g.size()), static_cast<int>(k.size()))) {
        if (score[static_cast<size_t>(i) * k.size() + static_cast<size_t>(j)] <= kEps) continue;
        const int cls = g[static_cast<size_t>(i)]->cls;
        if (cls == 2 || cls == 7 || cls == 8 || cls == 12) remove_tr[static_cast<size_t>(j)] = 1;
      }
    }
    for (size_t j = 0; j < k.size(); ++j)
      if (!remove_tr[j]) tr_keep[static_cast<size_t>(t)].push_back(k[j]);
    for (const auto* b : g) {
      const bool considered = b->conf != 0;
      const bool keep = benchmark == Benchmark::mot17 ? considered && b->cls == 1 : considered;
      if (keep) gt_keep[static_cast<size_t>(t)].push_back(b);
    }
  }
  // Contiguous ids in increasing order of the original id (np.unique).
  for (const auto& f : gt_keep)
    for (const auto* b : f) gt_map[b->id] = 0;
  for (const auto& f : tr_keep)
    for (const auto* b : f) tr_map[b->id] = 0;
  int next = 0;
  for (auto& [id, v] : gt_map) v = next++;
  d.num_gt_ids = next;
  next = 0;
  for (auto& [id, v] : tr_map) v = next++;
  d.num_tracker_ids = next;
  for (int t = 0; t < n; ++t) {
    auto& f = d.frames[static_cast<size_t>(t)];
    for (const auto* b : gt_keep[static_cast<size_t>(t)]) {
      f.gt_ids.push_back(gt_map[b->id]);
      f.gt_boxes.push_back(b->box);
    }
    for (const auto* b : tr_keep[static_cast<size_t>(t)]) {
      f.tracker_ids.push_back(tr_map[b->id]);
      f.tracker_boxes.push_back(b->box);
    }
  }
  return d;
}

core::Result<std::vector<MotBox>> read_mot_file(const std::string& path, bool is_gt) {
  std::ifstream in(path);
  if (!in) return core::make_error("file_not_found", fmt::format("{}: cannot open", path));
  std::vector<MotBox> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream ss(line);
    double v[10];
    int k = 0;
    while (k < 10 && ss >> v[k]) ++k;
    if (k < 6)
      return core::make_error("bad_mot_file",
                              fmt::format("{}:{}: expected at least 6 comma-separated numbers", path, line_no));
    // Casting an out-of-range double to int is undefined behaviour (found by fuzz_mot).
    bool sane = std::abs(v[0]) < 1e9 && std::abs(v[1]) < 1e9 && (k <= 7 || std::abs(v[7]) < 1e9);
    for (int i = 0; i < k; ++i) sane = sane && std::isfinite(v[i]) && std::abs(v[i]) < 1e30;
    if (!sane) return core::make_error("bad_mot_file", fmt::format("{}:{}: a number is out of range", path, line_no));
    MotBox b;
    b.frame = static_cast<int>(v[0]);
    b.id = static_cast<int>(v[1]);
    b.box = {static_cast<float>(v[2]), static_cast<float>(v[3]), static_cast<float>(v[2] + v[4]),
             static_cast<float>(v[3] + v[5])};
    b.conf = k > 6 ? static_cast<float>(v[6]) : 1.f;
    b.cls = k > 7 ? static_cast<int>(v[7]) : -1;
    b.visibility = k > 8 ? static_cast<float>(v[8]) : 1.f;
    if (!is_gt) b.cls = 1;
    out.push_back(b);
  }
  return out;
}

core::Result<SeqInfo> read_seqinfo(const std::string& path) {
  std::ifstream in(path);
  if (!in) return core::make_error("file_not_found", fmt::format("{}: cannot open", path));
  SeqInfo s;
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), val = line.substr(eq + 1);
    try {
      if (key == "name")
        s.name = val;
      else if (key == "seqLength")
        s.length = std::stoi(val);
      else if (key == "frameRate")
        s.frame_rate = std::stod(val);
      else if (key == "imWidth")
        s.width = std::stoi(val);
      else if (key == "imHeight")
        s.height = std::stoi(val);
    } catch (const std::exception&) {
      return core::make_error("bad_seqinfo", fmt::format("{}: bad value for {}: '{}'", path, key, val), key);
    }
  }
  if (s.length <= 0)
    return core::make_error("bad_seqinfo", fmt::format("{}: missing or invalid seqLength", path), "seqLength");
  return s;
}

}  // namespace vsp::eval

#pragma once
/// Standard multi-object tracking metrics, defined exactly as the official MOTChallenge evaluator
/// (TrackEval) defines them: HOTA (with DetA, AssA, LocA) over IoU thresholds 0.05..0.95, CLEAR
/// (MOTA, MOTP, IDSW, Frag, MT/PT/ML) and Identity (IDF1, IDP, IDR).
#include <array>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/types.hpp"

namespace vsp::eval {

/// One box of a MOTChallenge file (gt or tracker output).
struct MotBox {
  int frame = 0;  ///< from 1
  int id = 0;
  core::BoxXyxy box;
  float conf = 1;  ///< gt: "considered" flag; tracker: score
  int cls = 1;     ///< gt class (MOT17); -1 when absent
  float visibility = 1;
};

struct SeqInfo {
  std::string name;
  int length = 0;
  double frame_rate = 30;
  int width = 0, height = 0;
};

enum class Benchmark { mot15, mot17 };

/// Per-frame data after preprocessing, ids made contiguous (0..n-1) over the sequence.
struct SequenceData {
  int num_gt_ids = 0, num_tracker_ids = 0;
  struct Frame {
    std::vector<int> gt_ids, tracker_ids;
    std::vector<core::BoxXyxy> gt_boxes, tracker_boxes;
  };
  std::vector<Frame> frames;
};

/// Summable counts; `finalise` turns them into the reported scores.
struct MotCounts {
  static constexpr int kAlphas = 19;  ///< 0.05, 0.10, ..., 0.95
  std::array<double, kAlphas> hota_tp{}, hota_fn{}, hota_fp{}, ass_a{}, ass_re{}, ass_pr{}, loc_a{};
  double clr_tp = 0, clr_fn = 0, clr_fp = 0, idsw = 0, mt = 0, pt = 0, ml = 0, frag = 0, motp_sum = 0;
  double idtp = 0, idfn = 0, idfp = 0;
  int num_gt_dets = 0, num_tracker_dets = 0, num_gt_ids = 0, num_tracker_ids = 0;
};

/// Scores in percent (counts as counts), keyed like TrackEval: HOTA, DetA, AssA, LocA, DetRe,
/// DetPr, AssRe, AssPr, MOTA, MOTP, IDSW, Frag, MT, PT, ML, CLR_FP, CLR_FN, IDF1, IDP, IDR, ...
using MotScores = std::map<std::string, double>;

MotCounts evaluate_sequence(const SequenceData& data);
/// Combines sequences the way TrackEval does: summed counts, TP-weighted association terms.
MotCounts combine(const std::vector<MotCounts>& per_sequence);
MotScores finalise(const MotCounts& c);

/// Official preprocessing (mot17: distractor removal, pedestrians only; mot15: none beyond
/// dropping gt rows with conf 0).
SequenceData preprocess(const std::vector<MotBox>& gt, const std::vector<MotBox>& tracker, const SeqInfo& info,
                        Benchmark benchmark);

core::Result<std::vector<MotBox>> read_mot_file(const std::string& path, bool is_gt);
core::Result<SeqInfo> read_seqinfo(const std::string& path);

}  // namespace vsp::eval

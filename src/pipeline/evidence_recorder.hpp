#pragma once
/// Evidence packs of one camera's violations (see evidence/pack.hpp for the seal): when a rule
/// reports a violation the recorder keeps the frames before and at it, waits for the frame after,
/// then writes `evidence/<event id>/` under the output (analyze) or storage (serve) root:
///
///   event.json        the event as sent
///   evidence.json     rule, thresholds, measured values, calibration, trajectory, signal, plate
///   still_before.jpg, still_at.jpg, still_after.jpg   (video only; 1 s apart by default)
///   clip.mp4          ±5 s remuxed, not re-encoded, from the input file or the recording
///   manifest.json     SHA-256 of every file, signed with the node's Ed25519 key
///
/// Time is the frames' time: a pack is finished when a frame `still_offset_s` after the event
/// arrives (or at the end of the stream).
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/types.hpp"
#include "events/event.hpp"

namespace vsp::evidence {
class Signer;
}

namespace vsp::pipeline {

/// A clip for a pack: remux [start, end] of the camera's video into `out_path`. Analyze does it
/// at once from the input file; serve queues it until the recording covers the range, then
/// writes the clip and re-seals the pack (`reseal`).
struct EvidenceClipRequest {
  std::string camera, event_id, pack_dir, out_path;
  double start_pts_s = 0, end_pts_s = 0;  ///< stream time
  std::int64_t start_ms = 0, end_ms = 0;  ///< wall clock
  std::int64_t event_ms = 0;              ///< the event's wall-clock time (the pack's seal says it)
};
using EvidenceClipProvider = std::function<core::Status(const EvidenceClipRequest&)>;

struct EvidenceOptions {
  std::string root;  ///< packs go to <root>/evidence/<event id>/; empty = no packs
  std::shared_ptr<const evidence::Signer> signer;
  EvidenceClipProvider clip;  ///< null = no clip
  /// The provider only queues the clip (serve): the pack is sealed before it is called, and
  /// whoever writes the clip later re-seals it. Otherwise the clip is written first, then sealed.
  bool clip_deferred = false;
  double clip_before_s = 5, clip_after_s = 5;
  double still_offset_s = 1.0;  ///< before/after stills this far from the event
};

/// True for the event types that are violations and carry evidence.
bool is_violation(const std::string& type);

class EvidenceRecorder {
 public:
  EvidenceRecorder(EvidenceOptions options, std::string camera);
  ~EvidenceRecorder();
  /// Keeps the frame (a short ring) and finishes packs whose "after" frame this is.
  void on_frame(const core::Image& frame);
  /// Stream time advanced without pixels (replay): finishes due packs.
  void on_time(double pts_s);
  /// A violation (id and evidence_ref set) and the facts of the decision.
  void add(const events::Event& event, nlohmann::json facts, const core::BoxXyxy& box_px);
  /// A plate read of a track: joins the packs of that track.
  void note_plate(const events::Event& plate_read);
  /// Finishes every pending pack (end of stream or restart).
  void finish();
  long packs_written() const { return written_; }

 private:
  struct Pending;
  void complete(Pending& p, const core::Image* after);
  EvidenceOptions options_;
  std::string camera_;
  std::deque<core::Image> ring_;
  std::vector<std::unique_ptr<Pending>> pending_;
  std::map<int, nlohmann::json> plates_;  ///< track id -> plate read
  long written_ = 0;
};

}  // namespace vsp::pipeline

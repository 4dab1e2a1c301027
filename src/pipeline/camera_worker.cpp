// GCC 12 at -O2 reports moves of std::variant<Packet, StreamStart> out of the queue as reads of
// uninitialised shared_ptr members (a false positive of its -Wuninitialized on variant storage).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "pipeline/camera_worker.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "events/event.hpp"
#include "ingest/backoff.hpp"
#include "pipeline/camera_analysis.hpp"
#include "pipeline/frame_sampler.hpp"
#include "record/segmenter.hpp"

namespace vsp::pipeline {

namespace {

/// The store, with each event's delay (stored now minus when it happened) observed on the way.
class DelayedStoreSink final : public events::EventSink {
 public:
  DelayedStoreSink(store::Store& store, Histograms* h, std::string camera)
      : store_(store), h_(h), camera_(std::move(camera)) {}
  void write(const events::Event& e) override {
    store_.write(e);
    if (h_) h_->event_delay(camera_, static_cast<double>(core::wall_clock_ms() - e.ts_utc_ms) / 1000.0);
  }
  void flush() override { store_.flush(); }

 private:
  store::Store& store_;
  Histograms* h_;
  std::string camera_;
};
using Clock = std::chrono::steady_clock;

}  // namespace

const char* to_string(CameraState s) {
  switch (s) {
    case CameraState::connecting:
      return "connecting";
    case CameraState::streaming:
      return "streaming";
    case CameraState::reconnecting:
      return "reconnecting";
    case CameraState::failed:
      return "failed";
    case CameraState::stopped:
      return "stopped";
  }
  return "unknown";
}

CameraWorker::CameraWorker(config::CameraEntry config, std::string detector_key, NodeContext ctx)
    : config_(std::move(config)),
      detector_key_(std::move(detector_key)),
      ctx_(std::move(ctx)),
      rules_(config::camera_rules_of(config_.camera)) {}

CameraWorker::~CameraWorker() { stop(); }

void CameraWorker::start() {
  threads_.emplace_back([this] { ingest_loop(Role::record); });
  if (config_.detect_url != config_.record_url) threads_.emplace_back([this] { ingest_loop(Role::detect); });
  threads_.emplace_back([this] { analysis_loop(); });
}

void CameraWorker::stop() {
  if (stop_.exchange(true)) return;
  {
    std::lock_guard lock(sources_m_);
    for (auto* s : open_sources_) s->interrupt();
  }
  stop_cv_.notify_all();
  queue_.close();
  frame_cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  set_state(CameraState::stopped);
}

bool CameraWorker::sleep_for(double seconds) {
  std::unique_lock lock(stop_m_);
  return !stop_cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return stop_.load(); });
}

void CameraWorker::set_state(CameraState s, const std::string& error) {
  std::lock_guard lock(status_m_);
  state_ = s;
  if (!error.empty()) last_error_ = error;
}

// ---- Ingest: connect, read, record, feed analysis; reconnect with backoff --------------------
void CameraWorker::ingest_loop(Role role) {
  const core::Logger log(fmt::format("ingest[{}]", config_.name));
  RecordHealth rec;
  const std::string url = role == Role::record ? config_.record_url : config_.detect_url;
  const bool feeds_analysis = role == Role::detect || config_.detect_url == config_.record_url;
  const bool records = role == Role::record && config_.record;
  const bool file = !ingest::is_network_url(url);
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> u01(0, 1);
  int attempt = 0;
  int connections = 0;
  while (!stop_) {
    if (role == Role::record) set_state(attempt == 0 ? CameraState::connecting : CameraState::reconnecting);
    auto src = ingest::Source::open({url, 10, 5, config_.rtsp_tcp, &stop_});
    if (!src) {
      ++attempt;
      const double delay = ingest::backoff_delay_s(attempt, {}, u01(rng));
      if (role == Role::record || feeds_analysis)
        set_state(src.error().code == "file_not_found" || src.error().code == "not_a_video" ? CameraState::failed
                                                                                            : CameraState::reconnecting,
                  src.error().message);
      log.warn("{} (retry {} in {:.1f} s)", src.error().message, attempt, delay);
      if (!sleep_for(delay)) break;
      continue;
    }
    ingest::Source& source = **src;
    {
      std::lock_guard lock(sources_m_);
      open_sources_.push_back(&source);
    }
    if (stop_) source.interrupt();
    std::unique_ptr<record::Segmenter> seg;
    if (records)
      seg = std::make_unique<record::Segmenter>(
          record::SegmenterOptions{ctx_.storage_root, config_.name, ctx_.segment_s}, source);
    if (feeds_analysis) {
      decode::DecoderOptions dopt;
      dopt.out_width = std::min(config_.detect_width, source.info().width);
      auto dec = decode::Decoder::create(source, dopt);
      if (dec)
        queue_.push(StreamStart{std::shared_ptr<decode::Decoder>(std::move(dec.value())), source.info().fps,
                                core::wall_clock_ms(), connections > 0});
      else
        set_state(CameraState::failed, dec.error().message);
    }
    if (role == Role::record) {
      set_state(CameraState::streaming);
      width_ = source.info().width;  // the recorded stream's size (analysis may scale it down)
      height_ = source.info().height;
    }
    ++connections;
    log.info("streaming {} ({}x{} {})", url, source.info().width, source.info().height, source.info().codec);
    const auto t0 = Clock::now();
    double first_pts = -1;
    bool dropping = false;
    bool got_packets = false;
    std::string end_reason;
    while (!stop_) {
      auto pkt = source.read();
      if (!pkt) {
        end_reason = pkt.error().message;
        break;
      }
      if (!*pkt) {
        end_reason = file ? "" : fmt::format("{}: stream ended", url);
        break;
      }
      const ingest::Packet& p = **pkt;
      got_packets = true;
      if (file) {  // a file plays at its own pace, as a camera would
        if (first_pts < 0) first_pts = p.pts_s();
        const auto due = t0 + std::chrono::duration<double>(p.pts_s() - first_pts);
        std::unique_lock lock(stop_m_);
        stop_cv_.wait_until(lock, due, [&] { return stop_.load(); });
      }
      if (role == Role::record) ++packets_in_;
      if (seg) record_packet(*seg, p, rec, log);
      if (feeds_analysis) {
        if (dropping && !p.keyframe()) {
          ++packets_dropped_;
        } else if (!queue_.try_push(p)) {
          dropping = true;  // analysis is behind: skip to the next keyframe so decoding stays valid
          ++packets_dropped_;
        } else {
          dropping = false;
        }
      }
    }
    if (seg)
      if (auto closed = seg->close()) index_closed(*closed, rec, log);
    {
      std::lock_guard lock(sources_m_);
      std::erase(open_sources_, &source);
    }
    if (stop_) break;
    if (file && end_reason.empty()) {  // loop the file
      attempt = 0;
      continue;
    }
    attempt = got_packets ? 1 : attempt + 1;
    ++reconnects_;
    const double delay = ingest::backoff_delay_s(attempt, {}, u01(rng));
    if (role == Role::record || feeds_analysis) set_state(CameraState::reconnecting, end_reason);
    log.warn("{} (reconnecting in {:.1f} s)", end_reason, delay);
    if (!sleep_for(delay)) break;
  }
}

// ---- Recording: write, index, and say once when it fails and once when it works again -------
void CameraWorker::record_packet(record::Segmenter& seg, const ingest::Packet& p, RecordHealth& rec,
                                 const core::Logger& log) {
  const auto t0 = Clock::now();
  const auto w = seg.write(p, core::wall_clock_ms());
  if (ctx_.histograms)
    ctx_.histograms->segment_write(config_.name, std::chrono::duration<double>(Clock::now() - t0).count());
  if (w.closed) index_closed(*w.closed, rec, log);
  if (w.opened)
    if (auto id = ctx_.store->segment_opened(*w.opened); !id) index_failed(id.error(), rec, log);
  if (w.written) {
    ++packets_recorded_;
    if (rec.failing) {
      log.info("recording resumed after {:.1f} s: {} packet(s) not recorded, {} failed write(s)",
               std::chrono::duration<double>(Clock::now() - rec.failing_since).count(), rec.packets_lost,
               rec.failed_writes);
      rec.failing = false;
      rec.failed_writes = rec.packets_lost = 0;
      std::lock_guard lock(status_m_);
      recording_failing_ = false;
    }
    return;
  }
  if (w.error) {
    ++record_errors_;
    ++packets_record_failed_;
    ++rec.failed_writes;
    ++rec.packets_lost;
    std::lock_guard lock(status_m_);
    if (!rec.failing) {
      log.error("{}; retrying at each keyframe", w.error->message);
      rec.failing_since = Clock::now();
    }
    rec.failing = true;
    recording_failing_ = true;
    record_error_ = w.error->message;
    last_error_ = w.error->message;
    return;
  }
  if (rec.failing) {  // skipped while waiting for a keyframe to start a new segment
    ++packets_record_failed_;
    ++rec.packets_lost;
  }
}

void CameraWorker::index_closed(const record::SegmentFile& f, RecordHealth& rec, const core::Logger& log) {
  ++segments_;
  if (auto st = ctx_.store->segment_closed(f); !st) {
    index_failed(st.error(), rec, log);
    return;
  }
  if (rec.index_failing) {
    log.info("segment index written again after {} failed write(s)", rec.index_failures);
    rec.index_failing = false;
    rec.index_failures = 0;
  }
}

void CameraWorker::index_failed(const core::Error& e, RecordHealth& rec, const core::Logger& log) {
  ++index_errors_;
  ++rec.index_failures;
  if (!rec.index_failing)
    log.error("{} (the store retries; a segment is indexed at the latest when it closes)", e.message);
  rec.index_failing = true;
  std::lock_guard lock(status_m_);
  index_error_ = e.message;
}

// ---- Analysis: a thin driver of the per-camera core (decode at detect_fps, detect on demand) ----
void CameraWorker::analysis_loop() {
  const core::Logger log(fmt::format("analysis[{}]", config_.name));
  core::RateLimit corrupt_log(std::chrono::seconds(10));
  std::shared_ptr<decode::Decoder> dec;
  FrameSampler sampler(config_.camera.detect_fps);
  std::unique_ptr<CameraAnalysis> core;
  DelayedStoreSink sink(*ctx_.store, ctx_.histograms, config_.name);
  // A new connection whose first frame starts the core's stream.
  bool pending = false, pending_reconnect = false;
  std::int64_t pending_wall_ms = 0;
  auto make_core = [&](double stream_fps) -> std::unique_ptr<CameraAnalysis> {
    CameraAnalysisOptions o;
    o.camera = config_.name;
    o.site = ctx_.site;
    o.node = ctx_.node;
    o.config = config_.camera;
    {
      std::lock_guard lock(rules_m_);
      config::set_camera_rules(o.config, rules_);  // as last set (the rule editor may have changed them already)
      pending_rules_.reset();
      applied_rules_version_ = rules_version_;
    }
    o.nominal_fps = config_.camera.detect_fps.value_or(stream_fps > 0 ? stream_fps : kFallbackFps);
    o.snapshot_dir = (std::filesystem::path(ctx_.storage_root) / "snapshots" / config_.name).string();
    o.snapshot_prefix = fmt::format("snapshots/{}/", config_.name);
    // Zone occupancy series: per-minute sum and sample count, so any bucket's mean is sum / n.
    o.on_occupancy = [this, store = ctx_.store](const std::string& zone, core::Timestamp, std::int64_t utc_ms,
                                                int count) {
      (void)store->add_count(config_.name, zone, utc_ms, "zone_occupancy_sum", count);
      (void)store->add_count(config_.name, zone, utc_ms, "zone_occupancy_samples", 1);
    };
    if (ctx_.heatmaps) {
      o.heatmap = true;
      o.on_heatmap = [this, files = ctx_.heatmaps](const std::vector<crowd::HeatBucket>& b) {
        if (auto st = files->append(config_.name, b); !st)
          core::Logger(fmt::format("analysis[{}]", config_.name)).warn("{}", st.error().message);
      };
    }
    o.signals = ctx_.signals;
    if (ctx_.signer && road::has_road_rules(config_.camera.rules)) {
      o.evidence.root = ctx_.storage_root;
      o.evidence.signer = ctx_.signer;
      o.evidence.clip = ctx_.evidence_clip;
      o.evidence.clip_deferred = true;
    }
    auto c = CameraAnalysis::create(o, sink);
    if (c) return std::move(c.value());
    // Plate reading or dense counting could not start: say so, and keep counting without them.
    set_state(CameraState::failed, c.error().message);
    log.error("{} (analysis continues without plate reading and dense zone counts)", c.error().message);
    o.config.anpr.reset();
    for (auto& z : o.config.rules.zones) z.count_mode = analytics::ZoneCountMode::boxes;
    auto plain = CameraAnalysis::create(o, sink);
    return plain ? std::move(plain.value()) : nullptr;
  };
  while (!stop_) {
    auto item = queue_.pop_for(std::chrono::milliseconds(200));
    if (!item) continue;
    if (auto* start = std::get_if<StreamStart>(&*item)) {
      dec = start->decoder;
      sampler.reset();
      if (!core) core = make_core(start->fps);
      pending = true;
      pending_reconnect = start->reconnect;
      pending_wall_ms = start->opened_wall_ms;
      continue;
    }
    if (!dec || !core) continue;
    if (auto st = dec->send(std::get<ingest::Packet>(*item)); !st) {
      ++corrupt_;
      if (corrupt_log.allow()) log.warn("{}", st.error().message);
    }
    for (;;) {
      auto img = dec->receive_if([&](double pts) { return sampler.take(pts); });
      if (!img) break;
      ++frames_decoded_;
      if (img->bgr.empty()) continue;
      if (pending) {  // ts_utc = connection's wall clock + (pts - first pts): stream time, one anchor
        const auto epoch = pending_wall_ms - static_cast<std::int64_t>(std::llround(img->ts.pts_s * 1000));
        core->start_stream(img->width, img->height, epoch, pending_reconnect ? "new connection" : "first connection");
        pending = false;
      }
      ++frames_analysed_;
      if (auto fresh = take_pending_rules()) {
        const auto& cc = fresh->first;
        log.info("rules replaced (version {}): {} line(s), {} zone(s), {} privacy mask(s), {}", fresh->second,
                 cc.rules.lines.size(), cc.rules.zones.size(), cc.privacy_masks.size(),
                 cc.calibration ? fmt::format("calibration of {} points", cc.calibration->points.size())
                                : std::string("no calibration"));
        core->replace_rules(std::move(fresh->first));
        applied_rules_version_ = fresh->second;
      }
      core->mask(*img);  // privacy masks: before gating, detection, plates, live view and snapshots
      if (core->offer(*img)) {
        ++frames_detected_;
        core->update(ctx_.detectors->detect(detector_key_, *img), img->ts, &*img);
      }
      events_ = core->stats().events;
      restarts_ = core->stats().restarts;
      {
        std::lock_guard lock(frame_m_);
        last_overlay_ = make_overlay_state(core->tracks(), core->lines(), core->zones());
        last_frame_ = std::move(*img);
        ++frame_seq_;
      }
      frame_cv_.notify_all();
    }
  }
  // Stop: every pending event (open stays, plate consensus, held for ordering) is stored.
  if (core) {
    core->finish();
    events_ = core->stats().events;
  }
}

CameraStatus CameraWorker::status() {
  CameraStatus s;
  s.name = config_.name;
  {
    std::lock_guard lock(status_m_);
    s.state = to_string(state_);
    s.last_error = last_error_;
    const auto now = Clock::now();
    const double dt = std::chrono::duration<double>(now - rate_t_).count();
    if (dt >= 1.0) {
      fps_in_ = static_cast<double>(packets_in_ - rate_in_) / dt;
      fps_an_ = static_cast<double>(frames_analysed_ - rate_an_) / dt;
      rate_in_ = packets_in_;
      rate_an_ = frames_analysed_;
      rate_t_ = now;
    }
    s.fps_in = fps_in_;
    s.fps_analysed = fps_an_;
  }
  s.packets_in = packets_in_;
  s.packets_recorded = packets_recorded_;
  s.packets_dropped = packets_dropped_;
  s.frames_decoded = frames_decoded_;
  s.frames_analysed = frames_analysed_;
  s.frames_detected = frames_detected_;
  s.restarts = restarts_;
  s.reconnects = reconnects_;
  s.segments = segments_;
  s.events = events_;
  s.corrupt_packets = corrupt_;
  s.record_errors = record_errors_;
  s.packets_record_failed = packets_record_failed_;
  s.index_errors = index_errors_;
  {
    std::lock_guard lock(status_m_);
    s.recording = !config_.record ? "off" : recording_failing_ ? "failing" : "ok";
    s.record_error = record_error_;
    s.index_error = index_error_;
  }
  s.width = width_;
  s.height = height_;
  return s;
}

std::optional<std::string> CameraWorker::snapshot_jpeg(bool overlays) {
  core::Image frame;
  OverlayState overlay;
  {
    std::lock_guard lock(frame_m_);
    if (!last_frame_) return std::nullopt;
    frame = *last_frame_;
    overlay = last_overlay_;
  }
  if (overlays) draw_overlays(frame, overlay);
  return encode_jpeg(frame);
}

std::vector<core::BoxXyxy> CameraWorker::person_boxes() {
  std::lock_guard lock(frame_m_);
  std::vector<core::BoxXyxy> out;
  for (const auto& t : last_overlay_.tracks)
    if (t.class_id == 0 && t.frames_since_update == 0) out.push_back(t.box_px);  // COCO 0 = person
  return out;
}

CameraWorker::Rules CameraWorker::rules() {
  std::lock_guard lock(rules_m_);
  return {rules_, rules_version_, applied_rules_version_};
}

config::CameraConfig CameraWorker::current_config() {
  auto c = config_.camera;
  std::lock_guard lock(rules_m_);
  config::set_camera_rules(c, rules_);
  return c;
}

int CameraWorker::set_rules(config::CameraRules rules) {
  std::lock_guard lock(rules_m_);
  rules_ = rules;
  pending_rules_ = std::move(rules);
  return ++rules_version_;
}

std::optional<std::pair<config::CameraRules, int>> CameraWorker::take_pending_rules() {
  std::lock_guard lock(rules_m_);
  if (!pending_rules_) return std::nullopt;
  auto out = std::make_pair(std::move(*pending_rules_), rules_version_);
  pending_rules_.reset();
  return out;
}

std::uint64_t CameraWorker::wait_frame(std::uint64_t seq, int timeout_ms) {
  std::unique_lock lock(frame_m_);
  frame_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return frame_seq_ > seq || stop_.load(); });
  return frame_seq_;
}

}  // namespace vsp::pipeline

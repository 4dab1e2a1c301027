#include "pipeline/camera_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/log.hpp"
#include "pipeline/object_stage.hpp"
#include "pipeline/plate_stage.hpp"
#include "pipeline/zone_count_stage.hpp"

namespace vsp::pipeline {

const char* to_string(GateReason r) {
  switch (r) {
    case GateReason::not_gated:
      return "not_gated";
    case GateReason::first_frame:
      return "first_frame";
    case GateReason::motion:
      return "motion";
    case GateReason::moving_tracks:
      return "moving_tracks";
    case GateReason::interval:
      return "interval";
    case GateReason::time_went_back:
      return "time_went_back";
    case GateReason::skip:
      return "skip";
  }
  return "unknown";
}

GateReason should_detect(const GateInput& in) {
  if (!in.gating) return GateReason::not_gated;
  if (!in.last_detect_pts_s) return GateReason::first_frame;
  if (in.pts_s < *in.last_detect_pts_s) return GateReason::time_went_back;
  if (in.changed_fraction >= in.min_changed_fraction) return GateReason::motion;
  if (in.tracks_moving) return GateReason::moving_tracks;
  if (in.pts_s - *in.last_detect_pts_s >= in.max_interval_s - 1e-9) return GateReason::interval;
  return GateReason::skip;
}

CameraAnalysis::CameraAnalysis(CameraAnalysisOptions options, events::EventSink& sink)
    : options_(std::move(options)),
      sink_(sink),
      tracker_(config::make_tracker_options(options_.config.tracker, options_.nominal_fps)) {
  build_mask();
  set_horizon();
}

void CameraAnalysis::build_mask() {
  std::vector<core::Polygon> masks;
  for (const auto& m : options_.config.privacy_masks) masks.push_back(m.polygon);
  mask_ = privacy::StaticMask(std::move(masks));
}

void CameraAnalysis::set_horizon() {
  // ---- Reorder horizon: the longest a rule can take to confirm an event stamped earlier ------
  // A crossing is confirmed `min_frames` detector calls after it happened, an exit `exit_frames`
  // calls after the last sighting or when the tracker drops the track (`lost_buffer_s`).
  int frames = 1;
  for (const auto& l : options_.config.rules.lines) frames = std::max(frames, l.min_frames);
  for (const auto& z : options_.config.rules.zones) frames = std::max({frames, z.enter_frames, z.exit_frames});
  // Measured in nominal periods: while something moves the gate lets every sampled frame through.
  // A track the tracker keeps for long (lost_buffer_s) would hold every event that long, so the
  // wait for it is capped at 1 s: the exit of a track lost for longer, and the rare event
  // confirmed later than the horizon, are written when confirmed, out of order.
  const double period = 1.0 / std::max(0.1, options_.nominal_fps);
  horizon_s_ = std::min(tracker_.options().lost_buffer_s, kMaxLostWait_s) + (frames + 1) * period;
}

CameraAnalysis::~CameraAnalysis() = default;

core::Result<std::unique_ptr<CameraAnalysis>> CameraAnalysis::create(CameraAnalysisOptions options,
                                                                     events::EventSink& sink) {
  std::unique_ptr<CameraAnalysis> a(new CameraAnalysis(std::move(options), sink));
  if (a->options_.config.anpr) {
    auto ps = PlateStage::create(*a->options_.config.anpr, a->options_.snapshot_dir, a->options_.snapshot_prefix);
    if (!ps) return ps.error();
    a->plates_ = std::move(ps.value());
  }
  auto zc = ZoneCountStage::create(a->options_.config.rules.zones);
  if (!zc) return zc.error();
  a->zone_counts_ = std::move(zc.value());
  if (a->options_.heatmap) a->heat_ = std::make_unique<crowd::HeatmapAccumulator>();
  if (a->options_.config.motion.enabled) a->gate_ = std::make_unique<detect::MotionGate>(a->options_.config.motion);
  // ---- Road: calibration, signals, evidence ----------------------------------------------------
  if (a->options_.config.calibration) {
    auto cal = road::fit_calibration(*a->options_.config.calibration);
    if (!cal) return cal.error();
    a->calibration_ = *cal;
  }
  a->signals_ = a->options_.signals ? a->options_.signals : std::make_shared<road::SignalBoard>();
  for (const auto& sig : a->options_.config.signals)
    if (sig.source == road::SignalSource::image) a->heads_.emplace_back(sig);
  std::stable_sort(a->options_.signal_timeline.begin(), a->options_.signal_timeline.end(),
                   [](const auto& x, const auto& y) { return x.at_ms < y.at_ms; });
  if (!a->options_.evidence.root.empty())
    a->evidence_ = std::make_unique<EvidenceRecorder>(a->options_.evidence, a->options_.camera);
  return a;
}

void CameraAnalysis::start_stream(int width, int height, std::int64_t epoch_ms, const std::string& reason) {
  if (started_) restart(reason);
  if (!started_ || width != width_ || height != height_) {
    width_ = width;
    height_ = height;
    if (!started_) {
      for (const auto& l : options_.config.rules.lines) lines_.emplace_back(l, width, height);
      for (const auto& z : options_.config.rules.zones) zones_.emplace_back(z, width, height);
      build_road();
      build_objects();
    } else {
      if (road_) road_->restart(width, height);
      for (auto& l : lines_) l.restart(width, height);
      for (auto& z : zones_) emit(z.restart(width, height));  // stays were ended by restart()
      if (objects_) objects_->restart(width, height);
    }
  }
  epoch_ms_ = epoch_ms;
  started_ = true;
}

void CameraAnalysis::restart(const std::string& reason) {
  const core::Logger log(fmt::format("analysis[{}]", options_.camera));
  log.info("stream restarts ({}): open stays and tracks end here", reason);
  ++stats_.restarts;
  for (auto& z : zones_) emit(z.finish());
  for (auto& l : lines_) l.restart(width_, height_);
  if (plates_) emit(plates_->finish());
  if (objects_) objects_->restart(width_, height_);
  if (zone_counts_) zone_counts_->restart();
  if (heat_) heat_->restart();
  if (evidence_) evidence_->finish();
  if (road_) road_->restart(width_, height_);
  release(std::numeric_limits<double>::infinity());
  released_pts_s_ = -1e18;  // the new stream's clock starts again
  tracker_.reset();
  tracks_.clear();
  last_pts_s_.reset();
  last_detect_pts_s_.reset();
}

bool CameraAnalysis::check_time(double pts_s) {
  if (last_pts_s_) {
    // A stream's first frames can step back a little (reordered frames at an RTSP start); with no
    // track alive nothing is open, so only the clock moves and no restart is reported.
    if (pts_s < *last_pts_s_ - 1e-6 && !tracks_.empty())
      restart(fmt::format("time went back from {:.3f} s to {:.3f} s", *last_pts_s_, pts_s));
    else if (pts_s - *last_pts_s_ > max_gap_s)
      restart(fmt::format("time jumped from {:.3f} s to {:.3f} s", *last_pts_s_, pts_s));
  }
  last_pts_s_ = pts_s;
  ++stats_.frames;
  return true;
}

bool CameraAnalysis::offer(const core::Image& frame) {
  if (!started_) start_stream(frame.width, frame.height, 0, "first frame");
  if (frame.width != width_ || frame.height != height_)
    start_stream(frame.width, frame.height, epoch_ms_,
                 fmt::format("frame size changed from {}x{} to {}x{}", width_, height_, frame.width, frame.height));
  check_time(frame.ts.pts_s);
  GateInput in;
  in.gating = gate_ != nullptr;
  in.pts_s = frame.ts.pts_s;
  in.last_detect_pts_s = last_detect_pts_s_;
  in.max_interval_s = options_.config.max_detect_interval_s;
  if (gate_) {
    in.changed_fraction = gate_->update(frame);
    in.min_changed_fraction = options_.config.motion.min_changed_fraction;
  }
  for (const auto& t : tracks_)
    if (t.confirmed() && std::hypot(t.vx_px_s, t.vy_px_s) > 0.02 * width_) in.tracks_moving = true;
  const GateReason why = should_detect(in);
  ++stats_.gate_reasons[to_string(why)];
  // Signal heads are read on every offered frame (lamps change without motion); evidence keeps it.
  for (auto& h : heads_)
    if (auto change = h.update(frame, wall_ms(frame.ts.pts_s)))
      signals_->set(h.name(), change->state, change->since_ms, "image");
  if (evidence_) evidence_->on_frame(frame);
  return why != GateReason::skip;
}

bool CameraAnalysis::offer(core::Timestamp ts) {
  check_time(ts.pts_s);
  ++stats_.gate_reasons[to_string(GateReason::not_gated)];
  return true;
}

void CameraAnalysis::update(const core::Detections& detections, core::Timestamp ts, const core::Image* frame) {
  last_detect_pts_s_ = ts.pts_s;
  ++stats_.frames_detected;
  // Privacy masks: nothing centred in a masked area is tracked or counted (the pixels were blacked
  // out by `mask`; this also covers replay, which has none, and boxes that reach into a mask).
  core::Detections kept;
  const core::Detections* dets = &detections;
  if (!mask_.empty()) {
    for (const auto& d : detections)
      if (!mask_.covers(d.box_px.center(), width_, height_)) kept.push_back(d);
    dets = &kept;
  }
  tracks_ = tracker_.update(*dets, ts);
  for (const auto& t : tracks_)
    if (t.confirmed()) confirmed_class_[t.id] = t.class_id;
  if (options_.on_tracks) options_.on_tracks(ts, tracks_);
  for (auto& l : lines_) emit(l.update(tracks_, ts));
  for (auto& z : zones_) emit(z.update(tracks_, ts));
  if (plates_ && frame) emit(plates_->update(*frame, tracks_, ts));
  if (objects_) emit(objects_->update(frame, *dets, tracks_, ts));
  if (zone_counts_) {
    std::vector<OccupancySample> samples;
    emit(zone_counts_->update(frame, zones_, ts, samples));
    if (options_.on_occupancy)
      for (const auto& smp : samples)
        options_.on_occupancy(smp.zone, ts, epoch_ms_ + static_cast<std::int64_t>(std::llround(smp.pts_s * 1000)),
                              smp.count);
  }
  if (heat_)
    emit_heat(heat_->update(tracks_, ts.pts_s, epoch_ms_ + static_cast<std::int64_t>(std::llround(ts.pts_s * 1000)),
                            width_, height_));
  if (road_) {
    apply_timeline(ts.pts_s);
    emit(road_->update(tracks_, ts, wall_ms(ts.pts_s), *signals_));
  }
  if (evidence_) evidence_->on_time(ts.pts_s);
  release(ts.pts_s - horizon_s_);
}

void CameraAnalysis::emit_heat(std::vector<crowd::HeatBucket> buckets) {
  if (!buckets.empty() && options_.on_heatmap) options_.on_heatmap(buckets);
}

void CameraAnalysis::apply_timeline(double up_to_pts_s) {
  const auto& tl = options_.signal_timeline;
  const auto limit = static_cast<std::int64_t>(std::llround(up_to_pts_s * 1000));
  while (timeline_next_ < tl.size() && tl[timeline_next_].at_ms <= limit) {
    const auto& c = tl[timeline_next_++];
    signals_->set(c.name, c.state, epoch_ms_ + c.at_ms, c.source);
  }
}

void CameraAnalysis::finish() {
  for (auto& z : zones_) emit(z.finish());
  if (plates_) emit(plates_->finish());
  if (heat_) emit_heat(heat_->flush());
  if (evidence_) evidence_->finish();
  release(std::numeric_limits<double>::infinity());
  sink_.flush();
}

void CameraAnalysis::build_objects() {
  objects_.reset();
  if (ObjectStage::wanted(options_.config.rules.zones))
    objects_ = std::make_unique<ObjectStage>(options_.config.rules.zones, width_, height_, options_.snapshot_dir,
                                             options_.snapshot_prefix, tracker_.options());
}

void CameraAnalysis::build_road() {
  road_.reset();
  if (!road::has_road_rules(options_.config.rules)) return;
  road::RoadRulesOptions ro;
  ro.zones = options_.config.rules.zones;
  ro.stop_lines = options_.config.rules.stop_lines;
  ro.calibration = calibration_;
  if (options_.config.calibration) {
    ro.pixel_noise_px = options_.config.calibration->pixel_noise_px;
    ro.scale_error = options_.config.calibration->scale_error;
  }
  road_ = std::make_unique<road::RoadRules>(std::move(ro), width_, height_);
}

void CameraAnalysis::replace_rules(config::CameraRules rules) {
  for (auto& z : zones_) emit(z.finish());
  lines_.clear();
  zones_.clear();
  // ---- Calibration first: the road rules below measure on it ----------------------------------
  if (rules.calibration) {
    if (auto cal = road::fit_calibration(*rules.calibration)) {
      calibration_ = *cal;
    } else {
      core::Logger(fmt::format("analysis[{}]", options_.camera))
          .error("new calibration refused ({}); the old one stays", cal.error().message);
      rules.calibration = options_.config.calibration;
    }
  } else {
    calibration_.reset();
  }
  config::set_camera_rules(options_.config, std::move(rules));
  build_mask();
  // Zone counting and the road rules follow the new rules; a dense stage that cannot load keeps
  // the old one (the rules were checked by the config parser, the models were loaded at start).
  if (auto zc = ZoneCountStage::create(options_.config.rules.zones)) zone_counts_ = std::move(zc.value());
  if (started_) {
    for (const auto& l : options_.config.rules.lines) lines_.emplace_back(l, width_, height_);
    for (const auto& z : options_.config.rules.zones) zones_.emplace_back(z, width_, height_);
    build_road();
    build_objects();  // a watched zone learns its background again
  }
  set_horizon();
}

void CameraAnalysis::emit(std::vector<events::Event> evs) {
  for (auto& e : evs) {
    e.site = options_.site;
    e.node = options_.node;
    e.camera = options_.camera;
    e.ts_utc_ms = epoch_ms_ + static_cast<std::int64_t>(std::llround(e.pts_s * 1000));
    e.id = events::make_uuid_v7(e.ts_utc_ms);
    if (evidence_ && e.type == "plate_read") evidence_->note_plate(e);
    if (evidence_ && is_violation(e.type)) {
      e.evidence_ref = fmt::format("evidence/{}/", e.id);
      evidence_->add(e, evidence_facts(e), box_of(e.track_id));
    }
    held_.push_back(std::move(e));
  }
}

core::BoxXyxy CameraAnalysis::box_of(int track_id) const {
  for (const auto& t : tracks_)
    if (t.id == track_id) return t.box_px;
  return {};
}

nlohmann::json CameraAnalysis::evidence_facts(const events::Event& e) const {
  nlohmann::json f;
  // The rule as configured: thresholds.
  for (const auto& z : options_.config.rules.zones)
    if (z.name == e.rule) {
      const auto& r = z.road;
      nlohmann::json rule = {{"kind", "zone"}, {"polygon", nlohmann::json::array()}};
      for (const auto& p : z.polygon) rule["polygon"].push_back({p.x, p.y});
      if (r.direction) rule["direction"] = {r.direction->x, r.direction->y};
      if (r.speed_limit_kmh)
        rule["speed_limit_kmh"] = *r.speed_limit_kmh, rule["speed_margin_kmh"] = r.speed_margin_kmh;
      if (r.direction || r.speed_limit_kmh) rule["min_distance_m"] = r.min_distance_m;
      if (r.no_stopping)
        rule["max_stop_s"] = r.max_stop_s, rule["stop_speed_mps"] = r.stop_speed_mps,
        rule["queue_signal"] = r.queue_signal;
      if (!r.crossing_signal.empty()) rule["crossing_signal"] = r.crossing_signal;
      f["rule_config"] = rule;
    }
  for (const auto& l : options_.config.rules.stop_lines)
    if (l.name == e.rule)
      f["rule_config"] = {{"kind", "stop_line"}, {"p1", {l.p1.x, l.p1.y}},           {"p2", {l.p2.x, l.p2.y}},
                          {"signal", l.signal},  {"amber_grace_s", l.amber_grace_s}, {"min_frames", l.min_frames}};
  // What was measured (the event's attributes), the calibration, the trajectory.
  nlohmann::json measured = nlohmann::json::object();
  for (const auto& [k, v] : e.attributes) std::visit([&](const auto& x) { measured[k] = x; }, v);
  f["measured"] = measured;
  if (calibration_) {
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& p : options_.config.calibration->points)
      pts.push_back({{"image", {p.image.x, p.image.y}}, {"world_m", {p.world_m.x, p.world_m.y}}});
    f["calibration"] = {{"points", pts},
                        {"rms_residual_m", calibration_->rms_residual_m},
                        {"max_residual_m", calibration_->max_residual_m},
                        {"image_to_world", calibration_->image_to_world.matrix()},
                        {"pixel_noise_px", options_.config.calibration->pixel_noise_px},
                        {"scale_error", options_.config.calibration->scale_error}};
  }
  if (road_) {
    nlohmann::json traj = nlohmann::json::array();
    for (const auto& s : road_->trajectory(e.track_id))
      traj.push_back(
          {std::round(s.t_s * 1000) / 1000, std::round(s.pos_m.x * 1000) / 1000, std::round(s.pos_m.y * 1000) / 1000});
    f["trajectory_m"] = {{"columns", {"pts_s", "x_m", "y_m"}}, {"rows", traj}};
  }
  nlohmann::json sigs = nlohmann::json::object();
  for (const auto& sig : options_.config.signals) {
    const auto r = signals_->at(sig.name, e.ts_utc_ms);
    sigs[sig.name] = {{"state", road::to_string(r.state)}, {"since_utc", events::format_rfc3339_ms(r.since_ms)}};
  }
  if (!sigs.empty()) f["signals_at_event"] = sigs;
  f["frame"] = {width_, height_};
  return f;
}

void CameraAnalysis::release(double up_to_pts_s) {
  if (held_.empty()) return;
  // Stable: events of one pts keep the order the rules emitted them in.
  std::stable_sort(held_.begin(), held_.end(), [](const auto& a, const auto& b) { return a.pts_s < b.pts_s; });
  size_t n = 0;
  while (n < held_.size() && held_[n].pts_s <= up_to_pts_s) ++n;
  for (size_t i = 0; i < n; ++i) {
    sink_.write(held_[i]);
    ++stats_.events;
  }
  if (n > 0) released_pts_s_ = std::max(released_pts_s_, held_[n - 1].pts_s);
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace vsp::pipeline

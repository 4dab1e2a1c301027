#include "pipeline/node.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <map>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "events/event_json.hpp"
#include "record/retention.hpp"
#include "record/segmenter.hpp"

namespace vsp::pipeline {

namespace fs = std::filesystem;

namespace {
const core::Logger kLog("node");
}  // namespace

core::Result<std::unique_ptr<Node>> Node::create(const config::ServeConfig& config) {
  std::unique_ptr<Node> n(new Node(config));
  std::error_code ec;
  fs::create_directories(fs::path(config.storage_path) / "exports", ec);
  if (ec)
    return core::make_error("storage_failed",
                            fmt::format("{}: cannot create the storage folder: {}", config.storage_path, ec.message()),
                            "storage.path");
  auto store = store::Store::open((fs::path(config.storage_path) / "vsp.db").string());
  if (!store) return store.error();
  n->store_ = std::move(store.value());
  n->recover_segments();
  NodeContext ctx{n->store_.get(), &n->detectors_, config.storage_path, config.segment_s, config.site, config.node};
  for (const auto& cam : config.cameras) {
    auto key = n->detectors_.add(cam.camera.detector);
    if (!key) {
      auto e = key.error();
      e.path = fmt::format("cameras[{}].detector", cam.name);
      return e;
    }
    n->workers_.push_back(std::make_unique<CameraWorker>(cam, *key, ctx));
  }
  if (config.uplink) {
    uplink::UplinkOptions uo;
    uo.servers = config.uplink->servers;
    uo.site = config.site;
    uo.node = config.node;
    uo.max_outbox_events = config.uplink->max_outbox_events;
    uo.heartbeat_s = config.uplink->heartbeat_s;
    n->uplink_ = std::make_unique<uplink::Uplink>(uo, *n->store_, [node = n.get()] {
      std::vector<uplink::CameraState> out;
      for (const auto& c : node->cameras()) out.push_back({c.name, c.state, c.last_error});
      return out;
    });
    // Evidence for the center, over NATS request-reply: clips remuxed from the recordings, and
    // event snapshots (both stay on the node until asked for).
    uplink::EvidenceSource ev;
    ev.export_clip = [node = n.get()](const std::string& camera, std::int64_t start_ms, std::int64_t end_ms) {
      if (!node->camera(camera))
        return core::Result<std::string>(
            core::make_error("unknown_camera", fmt::format("no camera named '{}'", camera), "camera"));
      if (start_ms >= end_ms || end_ms - start_ms > 3'600'000)
        return core::Result<std::string>(
            core::make_error("bad_range", "start must be before end, at most 1 hour apart", "start"));
      return node->export_clip(camera, start_ms, end_ms);
    };
    ev.snapshot_path = [node = n.get()](const std::string& event_id) -> core::Result<std::string> {
      const auto json = node->store().event_json(event_id);
      if (!json) return core::make_error("unknown_event", fmt::format("no event {} on this node", event_id), "id");
      auto e = events::from_json_line(*json);
      if (!e || e->snapshot_ref.empty())
        return core::make_error("no_snapshot", fmt::format("event {} has no snapshot", event_id), "id");
      return (fs::path(node->config().storage_path) / e->snapshot_ref).string();
    };
    n->uplink_->set_evidence_source(ev);
  }
  return n;
}

Node::~Node() { stop(); }

void Node::recover_segments() {
  // A crash or kill leaves the open segment's row incomplete: keep the file if it still plays,
  // with its real length, else drop it. Everything closed before stays as it was.
  for (const auto& row : store_->incomplete_segments()) {
    const fs::path path = fs::path(config_.storage_path) / row.file.path;
    auto dur = record::probe_duration_s(path.string());
    std::error_code ec;
    if (dur && *dur > 0) {
      auto f = row.file;
      f.end_ms = f.start_ms + static_cast<std::int64_t>(*dur * 1000);
      f.bytes = static_cast<std::int64_t>(fs::file_size(path, ec));
      (void)store_->segment_closed(f);
      kLog.info("recovered segment {} cut by the last shutdown ({:.1f} s)", row.file.path, *dur);
    } else {
      fs::remove(path, ec);
      store_->delete_segments({row.id});
      kLog.warn("dropped unreadable segment {} cut by the last shutdown", row.file.path);
    }
  }
}

void Node::start() {
  if (uplink_) uplink_->start();
  for (auto& w : workers_) w->start();
  retention_thread_ = std::thread([this] {
    while (!stop_) {
      apply_retention();
      std::unique_lock lock(stop_m_);
      stop_cv_.wait_for(lock, std::chrono::seconds(5), [&] { return stop_.load(); });
    }
  });
}

void Node::stop() {
  if (stop_.exchange(true)) return;
  stop_cv_.notify_all();
  for (auto& w : workers_) w->stop();
  if (retention_thread_.joinable()) retention_thread_.join();
  if (uplink_) uplink_->stop();  // after the workers: their last events get one drain attempt
}

std::vector<CameraStatus> Node::cameras() {
  std::vector<CameraStatus> out;
  for (auto& w : workers_) out.push_back(w->status());
  return out;
}

CameraWorker* Node::camera(const std::string& name) {
  for (auto& w : workers_)
    if (w->name() == name) return w.get();
  return nullptr;
}

void Node::apply_retention() {
  record::RetentionLimits limits;
  limits.max_age_days = config_.max_age_days;
  if (config_.max_disk_gb) limits.max_disk_bytes = static_cast<std::int64_t>(*config_.max_disk_gb * 1e9);
  if (!limits.max_age_days && !limits.max_disk_bytes) return;
  std::vector<record::SegmentRef> refs;
  std::map<std::int64_t, std::string> paths;
  for (const auto& r : store_->segments(std::nullopt, INT64_MIN, INT64_MAX, true)) {
    refs.push_back({r.id, r.file.camera, r.file.start_ms, r.file.end_ms, r.file.bytes});
    paths[r.id] = r.file.path;
  }
  const auto del =
      record::plan_retention(refs, store_->keep_ranges(), store_->recordings_bytes(), limits, core::wall_clock_ms());
  if (del.empty()) return;
  // Index first, then files: a crash in between leaves orphan files, never rows without files.
  store_->delete_segments(del);
  for (auto id : del) {
    std::error_code ec;
    fs::remove(fs::path(config_.storage_path) / paths[id], ec);
  }
  segments_deleted_ += static_cast<long>(del.size());
  kLog.info("retention deleted {} segment(s)", del.size());
}

core::Result<std::string> Node::export_clip(const std::string& camera, std::int64_t start_ms, std::int64_t end_ms) {
  std::lock_guard lock(export_m_);
  std::vector<record::SegmentFile> files;
  for (const auto& r : store_->segments(camera, start_ms - 10'000, end_ms, true)) files.push_back(r.file);
  if (files.empty())
    return core::make_error("no_recording", "no recorded video of this camera in this time range", "start");
  const std::string rel = fmt::format("exports/{}_{}_{}.mp4", camera, start_ms, end_ms);
  const std::string path = (fs::path(config_.storage_path) / rel).string();
  if (!fs::exists(path)) {
    if (auto st = record::export_clip(config_.storage_path, files, start_ms, end_ms, path); !st) return st.error();
    store_->add_export(camera, start_ms, end_ms, rel, core::wall_clock_ms());
  }
  return path;
}

std::string Node::metrics_text() {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  const auto cams = cameras();
  auto per_camera = [&](const char* name, const char* type, const char* help, auto get) {
    family(name, type, help);
    for (const auto& c : cams) out += fmt::format("{}{{camera=\"{}\"}} {}\n", name, c.name, get(c));
  };
  per_camera("vsp_camera_up", "gauge", "1 when the camera is streaming",
             [](const CameraStatus& c) { return c.state == "streaming" ? 1 : 0; });
  per_camera("vsp_packets_received_total", "counter", "record-stream video packets received",
             [](const CameraStatus& c) { return c.packets_in; });
  per_camera("vsp_packets_recorded_total", "counter", "packets written to segments",
             [](const CameraStatus& c) { return c.packets_recorded; });
  per_camera("vsp_analysis_packets_dropped_total", "counter",
             "packets analysis skipped under load (recording unaffected)",
             [](const CameraStatus& c) { return c.packets_dropped; });
  per_camera("vsp_frames_decoded_total", "counter", "frames decoded for analysis",
             [](const CameraStatus& c) { return c.frames_decoded; });
  per_camera("vsp_frames_analysed_total", "counter", "frames through motion gating and tracking",
             [](const CameraStatus& c) { return c.frames_analysed; });
  per_camera("vsp_frames_detected_total", "counter", "frames the detector ran on",
             [](const CameraStatus& c) { return c.frames_detected; });
  per_camera("vsp_reconnects_total", "counter", "stream reconnections",
             [](const CameraStatus& c) { return c.reconnects; });
  per_camera("vsp_segments_written_total", "counter", "recording segments closed",
             [](const CameraStatus& c) { return c.segments; });
  per_camera("vsp_record_errors_total", "counter", "recording write errors (e.g. disk full)",
             [](const CameraStatus& c) { return c.record_errors; });
  per_camera("vsp_events_total", "counter", "events emitted", [](const CameraStatus& c) { return c.events; });
  per_camera("vsp_corrupt_packets_total", "counter", "packets the decoder rejected",
             [](const CameraStatus& c) { return c.corrupt_packets; });
  per_camera("vsp_camera_fps_in", "gauge", "record-stream packets per second",
             [](const CameraStatus& c) { return c.fps_in; });
  per_camera("vsp_camera_fps_analysed", "gauge", "analysed frames per second",
             [](const CameraStatus& c) { return c.fps_analysed; });
  family("vsp_detector_inferences_total", "counter", "detector forward passes");
  out += fmt::format("vsp_detector_inferences_total {}\n", detectors_.inferences());
  family("vsp_detector_inference_seconds_total", "counter", "time spent in detector forward passes");
  out += fmt::format("vsp_detector_inference_seconds_total {:.3f}\n", detectors_.inference_seconds());
  family("vsp_outbox_pending", "gauge", "events waiting for the uplink");
  out += fmt::format("vsp_outbox_pending {}\n", store_->outbox_size());
  if (uplink_) {
    const auto up = uplink_->status();
    family("vsp_uplink_connected", "gauge", "1 when the uplink is connected to NATS");
    out += fmt::format("vsp_uplink_connected {}\n", up.connected ? 1 : 0);
    family("vsp_uplink_published_total", "counter", "events acknowledged by JetStream");
    out += fmt::format("vsp_uplink_published_total {}\n", up.published_total);
    family("vsp_uplink_publish_failures_total", "counter", "event publishes not acknowledged (retried)");
    out += fmt::format("vsp_uplink_publish_failures_total {}\n", up.publish_failures_total);
    family("vsp_outbox_dropped_total", "counter", "outbox events dropped above uplink.max_outbox_events");
    out += fmt::format("vsp_outbox_dropped_total {}\n", up.outbox_dropped_total);
  }
  family("vsp_recordings_bytes", "gauge", "bytes of recorded segments");
  out += fmt::format("vsp_recordings_bytes {}\n", store_->recordings_bytes());
  family("vsp_retention_segments_deleted_total", "counter", "segments deleted by retention");
  out += fmt::format("vsp_retention_segments_deleted_total {}\n", segments_deleted_.load());
  return out;
}

}  // namespace vsp::pipeline

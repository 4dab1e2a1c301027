#include "pipeline/node.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "config/rules_json.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "events/event_json.hpp"
#include "events/subjects.hpp"
#include "evidence/pack.hpp"
#include "infer/session.hpp"
#include "privacy/static_mask.hpp"
#include "record/retention.hpp"
#include "record/segmenter.hpp"
#include "road/road_rules.hpp"

namespace vsp::pipeline {

namespace fs = std::filesystem;

namespace {
const core::Logger kLog("node");
}  // namespace

namespace {
fs::path rules_file(const std::string& storage, const std::string& camera) {
  return fs::path(storage) / "rules" / (camera + ".json");
}
}  // namespace

void Node::load_saved_rules(config::ServeConfig& config) {
  for (auto& cam : config.cameras) {
    const auto path = rules_file(config.storage_path, cam.name);
    std::error_code ec;
    if (!fs::exists(path, ec)) continue;
    std::ifstream in(path);
    const auto saved = nlohmann::json::parse(in, nullptr, false);
    // The file keeps the document set through the API (`document`) and the config file's at that
    // time (`config`). A file from before masks and calibration were editable holds the rules
    // only (`rules`, `config_rules`): its document is the rules, compared on the rules.
    nlohmann::json from_file, doc;
    if (saved.is_object() && saved.contains("document")) {
      from_file = saved.value("config", nlohmann::json());
      doc = saved["document"];
    } else if (saved.is_object()) {
      from_file = {{"rules", saved.value("config_rules", nlohmann::json())}};
      doc = {{"rules", saved.value("rules", nlohmann::json::object())}};
    }
    const auto from_config = config::camera_rules_to_json(config::camera_rules_of(cam.camera));
    bool same = from_file.is_object() && !from_file.empty();
    for (const auto& [k, v] : from_file.items()) same = same && from_config.contains(k) && from_config[k] == v;
    if (saved.is_discarded() || !same) {
      // The config file's rules were edited since (or the file is damaged): the config file wins.
      fs::rename(path, path.string() + ".old", ec);
      kLog.warn(
          "camera {}: the rules in the config file changed since rules were set through the API; those in "
          "the config file apply ({} kept as .old)",
          cam.name, path.string());
      continue;
    }
    auto rules = config::camera_rules_from_json(doc, cam.camera);
    if (auto* errors = std::get_if<config::ConfigErrors>(&rules)) {
      kLog.error("camera {}: {}: {} (the rules in the config file apply)", cam.name, path.string(),
                 errors->empty() ? "invalid" : errors->front().to_string());
      continue;
    }
    config::set_camera_rules(cam.camera, std::get<config::CameraRules>(rules));
    kLog.info("camera {}: runs the rules set through the API on {} ({}), not those in the config file", cam.name,
              saved.value("saved", "?"), path.string());
  }
}

core::Result<int> Node::set_camera_rules(const std::string& camera, const config::CameraRules& rules,
                                         std::optional<int> expected_version) {
  auto* worker = this->camera(camera);
  if (!worker) return core::make_error("unknown_camera", fmt::format("no camera named '{}'", camera), "camera");
  std::lock_guard lock(rules_m_);
  if (const int current = worker->rules().version; expected_version && *expected_version != current)
    return core::make_error("version_conflict",
                            fmt::format("the rules changed since version {} (now version {}); reload and edit again",
                                        *expected_version, current),
                            "If-Match");
  // ---- Keep: written to a temporary file and renamed, so a crash leaves the old or the new ----
  const auto path = rules_file(config_.storage_path, camera);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const nlohmann::json doc = {{"camera", camera},
                              {"saved", events::format_rfc3339_ms(core::wall_clock_ms())},
                              {"config", nlohmann::json::parse(config_file_rules_.at(camera))},
                              {"document", config::camera_rules_to_json(rules)}};
  const std::string tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << doc.dump(2) << "\n";
    out.flush();
    if (!out) return core::make_error("storage_failed", fmt::format("{}: cannot write the rules", tmp), "storage.path");
  }
  fs::rename(tmp, path, ec);
  if (ec)
    return core::make_error("storage_failed", fmt::format("{}: cannot keep the rules: {}", path.string(), ec.message()),
                            "storage.path");
  return worker->set_rules(rules);
}

core::Result<std::unique_ptr<Node>> Node::create(const config::ServeConfig& config_in) {
  config::ServeConfig config = config_in;
  load_saved_rules(config);
  std::unique_ptr<Node> n(new Node(config));
  for (const auto& cam : config_in.cameras)
    n->config_file_rules_[cam.name] = config::camera_rules_to_json(config::camera_rules_of(cam.camera)).dump();
  std::error_code ec;
  fs::create_directories(fs::path(config.storage_path) / "exports", ec);
  if (ec)
    return core::make_error("storage_failed",
                            fmt::format("{}: cannot create the storage folder: {}", config.storage_path, ec.message()),
                            "storage.path");
  auto store = store::Store::open((fs::path(config.storage_path) / "vsp.db").string(),
                                  store::StoreOptions{config.max_pending_events});
  if (!store) return store.error();
  n->store_ = std::move(store.value());
  if (config.audit_max_age_days) {  // audit retention: a connection of its own to the account tables
    auto audit = auth::AuthStore::open((fs::path(config.storage_path) / "vsp.db").string());
    if (!audit) return audit.error();
    n->audit_ = std::move(audit.value());
  }
  n->recover_segments();
  n->detectors_.set_histograms(&n->histograms_);
  n->heatmaps_ = std::make_unique<crowd::HeatmapFiles>(fs::path(config.storage_path) / "heatmaps");
  NodeContext ctx;
  ctx.store = n->store_.get();
  ctx.detectors = &n->detectors_;
  ctx.storage_root = config.storage_path;
  ctx.segment_s = config.segment_s;
  ctx.site = config.site;
  ctx.node = config.node;
  ctx.histograms = &n->histograms_;
  ctx.heatmaps = n->heatmaps_.get();
  // ---- Road: one signal board for the node, the key that seals evidence packs ------------------
  ctx.signals = n->signals_;
  if (std::any_of(config.cameras.begin(), config.cameras.end(),
                  [](const auto& c) { return road::has_road_rules(c.camera.rules); })) {
    auto signer =
        evidence::Signer::load_or_create((fs::path(config.storage_path) / "keys" / "node_ed25519.key").string());
    if (!signer) return signer.error();
    n->signer_ = signer.value();
    ctx.signer = n->signer_;
    ctx.evidence_clip = [node = n.get()](const EvidenceClipRequest& r) -> core::Status {
      std::lock_guard lk(node->clips_m_);
      node->clip_queue_.push_back(r);
      return core::Ok{};
    };
    kLog.info("evidence packs are sealed with Ed25519 key {}", n->signer_->public_key_hex());
  }
  for (const auto& cam : config.cameras) {
    auto key = n->detectors_.add(cam.camera.detector);
    if (!key) {
      auto e = key.error();
      e.path = fmt::format("cameras[{}].detector", cam.name);
      return e;
    }
    n->workers_.push_back(std::make_unique<CameraWorker>(cam, *key, ctx));
  }
  // Shared detectors sized to the cores: side-by-side single-thread instances (docs/performance.md).
  if (auto st = n->detectors_.fit(infer::available_cores()); !st) return st.error();
  if (config.uplink) {
    uplink::UplinkOptions uo;
    uo.servers = config.uplink->servers;
    uo.auth = config.uplink->auth;
    uo.site = config.site;
    uo.node = config.node;
    uo.max_outbox_events = config.uplink->max_outbox_events;
    uo.heartbeat_s = config.uplink->heartbeat_s;
    uo.evidence_public_key = n->evidence_public_key();
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
    ev.evidence_file = [node = n.get()](const std::string& event_id, const std::string& file) {
      return node->evidence_file(event_id, file);
    };
    n->uplink_->set_evidence_source(ev);
    // Signal states as traffic controllers publish them: `vsp.signals.<site>.<name>`, the same
    // path as PUT /api/signals/<name>; a message older than kSignalMaxAgeMs on arrival is refused.
    if (!n->signal_names().empty()) {
      constexpr std::int64_t kSignalMaxAgeMs = 30'000;
      n->uplink_->subscribe(
          events::signal_subject(config.site, "*"),
          [node = n.get(), max_age_ms = kSignalMaxAgeMs](const std::string& subject, const std::string& body) {
            const std::string token = subject.substr(subject.rfind('.') + 1);
            std::string name = token;  // a declared name whose subject token this is ('.' -> '_')
            for (const auto& s : node->signal_names())
              if (events::subject_token(s) == token) name = s;
            (void)node->update_signal(name, body, "nats", core::wall_clock_ms(), max_age_ms);
          });
      kLog.info("signal states are read from NATS subjects vsp.signals.{}.<signal>",
                events::subject_token(config.site));
    }
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
      if (auto st = store_->segment_closed(f); !st)
        kLog.error("segment {} cut by the last shutdown not recovered: {}", row.file.path, st.error().message);
      else
        kLog.info("recovered segment {} cut by the last shutdown ({:.1f} s)", row.file.path, *dur);
    } else {
      fs::remove(path, ec);
      if (auto st = store_->delete_segments({row.id}); !st)
        kLog.error("unreadable segment {} not dropped from the index: {}", row.file.path, st.error().message);
      else
        kLog.warn("dropped unreadable segment {} cut by the last shutdown", row.file.path);
    }
  }
}

void Node::start() {
  if (uplink_) uplink_->start();
  for (auto& w : workers_) w->start();
  // Retention: a full pass every 5 s; in between, a look at the free space every second (one
  // statvfs), and a pass at once when it nears the reserve or the store is short of space.
  retention_thread_ = std::thread([this] {
    auto last_pass = std::chrono::steady_clock::now() - std::chrono::hours(1);
    while (!stop_) {
      StorageStatus st;
      const bool measured = measure_disk(st);
      const auto health = store_->health();
      const std::int64_t reserve = record::reserve_bytes(limits(), st.fs_size_bytes);
      const bool near_reserve = measured && st.fs_free_bytes < reserve + reserve / 2;
      finish_evidence_clips(core::wall_clock_ms());
      if (std::chrono::steady_clock::now() - last_pass >= std::chrono::seconds(5) || near_reserve || !health.ok ||
          health.events_pending > 0) {
        apply_retention();
        last_pass = std::chrono::steady_clock::now();
      } else {
        store_->retry_pending();
        std::lock_guard lock(storage_m_);
        storage_.fs_size_bytes = st.fs_size_bytes;
        storage_.fs_free_bytes = st.fs_free_bytes;
        storage_.store = store_->health();
      }
      std::unique_lock lock(stop_m_);
      stop_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_.load(); });
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

record::RetentionLimits Node::limits() const {
  record::RetentionLimits l;
  l.max_age_days = config_.max_age_days;
  if (config_.max_disk_gb) l.max_disk_bytes = static_cast<std::int64_t>(*config_.max_disk_gb * 1e9);
  if (config_.min_free_gb) l.min_free_bytes = static_cast<std::int64_t>(*config_.min_free_gb * 1e9);
  l.min_free_percent = config_.min_free_percent;
  l.events_max_age_days = config_.events_max_age_days;
  l.snapshots_max_age_days = config_.snapshots_max_age_days;
  l.plate_reads_max_age_days = config_.plate_reads_max_age_days;
  l.audit_max_age_days = config_.audit_max_age_days;
  return l;
}

bool Node::measure_disk(StorageStatus& st) {
  struct statvfs v {};
  if (::statvfs(config_.storage_path.c_str(), &v) != 0) {
    st.last_error = fmt::format("{}: cannot measure the storage filesystem: {}", config_.storage_path,
                                std::error_code(errno, std::generic_category()).message());
    return false;
  }
  st.fs_size_bytes = static_cast<std::int64_t>(v.f_blocks) * static_cast<std::int64_t>(v.f_frsize);
  st.fs_free_bytes = static_cast<std::int64_t>(v.f_bavail) * static_cast<std::int64_t>(v.f_frsize);
  if (v.f_flag & ST_RDONLY) st.state = "read_only";
  return true;
}

StorageStatus Node::storage() {
  std::lock_guard lock(storage_m_);
  StorageStatus s = storage_;
  s.path = config_.storage_path;
  s.segments_deleted = segments_deleted_;
  s.segment_delete_failures = segment_delete_failures_;
  s.events_pruned = events_pruned_;
  s.snapshots_pruned = snapshots_pruned_;
  s.plate_reads_pruned = plate_reads_pruned_;
  s.audit_pruned = audit_pruned_;
  s.evidence_pruned = evidence_pruned_;
  s.retention_applied_ms = retention_applied_ms_;
  s.store = store_->health();
  if (s.state == "ok" || s.state == "low_space") {  // the store's trouble shows even between passes
    if (!s.store.ok) s.state = s.store.full ? "full" : "error";
  }
  return s;
}

void Node::apply_retention() {
  std::lock_guard pass_lock(retention_m_);
  const std::int64_t now_ms = core::wall_clock_ms();
  StorageStatus st;
  const bool measured = measure_disk(st);
  const auto health = store_->health();

  // ---- Plan ------------------------------------------------------------------------------------
  constexpr int kOldestSegments = 5000;  // a pass deletes from the oldest end only
  std::vector<record::SegmentRef> refs;
  std::map<std::int64_t, record::SegmentFile> rows;
  for (const auto& r : store_->oldest_segments(kOldestSegments)) {
    refs.push_back({r.id, r.file.camera, r.file.start_ms, r.file.end_ms, r.file.bytes});
    rows[r.id] = r.file;
  }
  record::DiskState disk;
  disk.recordings_bytes = store_->recordings_bytes();
  if (measured) {
    disk.fs_size_bytes = st.fs_size_bytes;
    disk.fs_free_bytes = st.fs_free_bytes;
  }
  disk.store_full = health.full;
  const auto plan = record::plan_retention(refs, store_->keep_ranges(), disk, limits(), now_ms);

  // ---- Apply (never on a storage folder that is gone: every file would look deleted) -------------
  if (measured) delete_segments(plan.delete_segments, rows, now_ms);
  if (now_ms - last_age_prune_ms_ >= 60'000) {
    last_age_prune_ms_ = now_ms;
    prune_by_age(plan);
    prune_evidence(now_ms);
  }
  store_->retry_pending();

  // ---- Report ----------------------------------------------------------------------------------
  std::int64_t freed = 0;
  if (measured)
    for (auto id : plan.delete_segments) freed += rows[id].bytes;
  st.recordings_bytes = std::max<std::int64_t>(0, disk.recordings_bytes - freed);
  st.reserve_bytes = plan.reserve_bytes;
  if (config_.max_disk_gb) st.configured_quota_bytes = static_cast<std::int64_t>(*config_.max_disk_gb * 1e9);
  st.effective_quota_bytes = plan.effective_quota_bytes;
  st.quota_limited_by_filesystem = plan.limited_by_filesystem;
  // Low space with hysteresis: a disk held at its reserve reads "low_space" until it has twice
  // the reserve free again, rather than flipping with every segment written and deleted.
  const bool low = measured && (plan.low_space || (was_low_ && st.fs_free_bytes < 2 * plan.reserve_bytes));
  if (!measured)
    st.state = "error";
  else if (st.state != "read_only")
    st.state = plan.short_of_space ? "full" : low ? "low_space" : deletes_failing_ ? "error" : "ok";
  log_state_changes(st, low, plan.short_of_space);
  std::lock_guard lock(storage_m_);
  if (st.last_error.empty()) st.last_error = storage_.last_error;
  storage_ = st;
}

void Node::delete_segments(const std::vector<std::int64_t>& ids,
                           const std::map<std::int64_t, record::SegmentFile>& rows, std::int64_t now_ms) {
  if (ids.empty()) return;
  // Files first, then their rows: a file that cannot be deleted (read-only, permissions) keeps
  // its row and is tried again next pass, so nothing is orphaned; a row whose file is already gone
  // (a crash in between, or a row delete the full disk refused) is deleted next time it comes up.
  std::vector<std::int64_t> gone;
  std::string error;
  for (auto id : ids) {
    const auto& f = rows.at(id);
    const fs::path path = fs::path(config_.storage_path) / f.path;
    std::error_code ec;
    fs::remove(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      ++segment_delete_failures_;
      if (error.empty()) error = fmt::format("cannot delete {}: {}", path.string(), ec.message());
      continue;
    }
    gone.push_back(id);
    // Hour and day folders of the past go when empty (never the current ones: a segment may be
    // opening there right now).
    if (now_ms - f.end_ms > 2 * 3'600'000) {
      fs::remove(path.parent_path(), ec);
      if (!ec) fs::remove(path.parent_path().parent_path(), ec);
    }
  }
  if (auto st = store_->delete_segments(gone); !st) {
    if (error.empty()) error = st.error().message + " (files deleted; rows retried next pass)";
  } else {
    segments_deleted_ += static_cast<long>(gone.size());
    kLog.debug("retention deleted {} segment(s)", gone.size());
  }
  if (!error.empty()) {
    if (!deletes_failing_) kLog.error("retention: {}; retrying every pass", error);
    deletes_failing_ = true;
    std::lock_guard lock(storage_m_);
    storage_.last_error = error;
  } else if (deletes_failing_) {
    kLog.info("retention deletes again ({} failed deletion(s) in all)", segment_delete_failures_.load());
    deletes_failing_ = false;
  }
}

void Node::prune_by_age(const record::RetentionPlan& plan) {
  retention_applied_ms_ = last_age_prune_ms_;
  if (plan.plate_reads_before_ms) {
    if (auto n = store_->prune_events(*plan.plate_reads_before_ms, std::string("plate_read")); !n)
      kLog.error("retention: plate reads not pruned: {}", n.error().message);
    else if (*n > 0) {
      plate_reads_pruned_ += static_cast<long>(*n);
      kLog.info("retention deleted {} plate read(s) older than {} day(s)", *n, *config_.plate_reads_max_age_days);
    }
  }
  if (plan.audit_before_ms && audit_) {
    if (auto n = audit_->prune_audit(*plan.audit_before_ms, last_age_prune_ms_); !n)
      kLog.error("retention: audit records not pruned: {}", n.error().message);
    else if (*n > 0) {
      audit_pruned_ += static_cast<long>(*n);
      kLog.info("retention deleted {} audit record(s) older than {} day(s); the chain is anchored at the last one", *n,
                *config_.audit_max_age_days);
    }
  }
  if (plan.events_before_ms) {
    if (auto n = store_->prune_events(*plan.events_before_ms); !n)
      kLog.error("retention: events not pruned: {}", n.error().message);
    else if (*n > 0) {
      events_pruned_ += static_cast<long>(*n);
      kLog.info("retention deleted {} event(s) older than {} day(s)", *n, *config_.events_max_age_days);
    }
  }
  if (plan.snapshots_before_ms) {
    const fs::path dir = fs::path(config_.storage_path) / "snapshots";
    std::error_code ec;
    long n = 0;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const auto t = std::chrono::file_clock::to_sys(it->last_write_time(ec));
      if (ec) continue;
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
      std::error_code rm;
      if (ms < *plan.snapshots_before_ms && fs::remove(it->path(), rm)) ++n;
    }
    if (n > 0) {
      snapshots_pruned_ += n;
      kLog.info("retention deleted {} snapshot(s) older than {} day(s)", n, *config_.snapshots_max_age_days);
    }
  }
}

void Node::prune_evidence(std::int64_t now_ms) {
  if (!config_.evidence_max_age_days) return;
  const std::int64_t before = now_ms - static_cast<std::int64_t>(*config_.evidence_max_age_days * 86'400'000.0);
  const fs::path dir = fs::path(config_.storage_path) / "evidence";
  std::error_code ec;
  long n = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    // A pack's age is its manifest's (sealed once the pack is complete).
    const auto t = std::chrono::file_clock::to_sys(fs::last_write_time(it->path() / evidence::kManifestName, ec));
    if (ec) {
      ec.clear();
      continue;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    std::error_code rm;
    if (ms < before && fs::remove_all(it->path(), rm) > 0) ++n;
  }
  if (n > 0) {
    evidence_pruned_ += n;
    kLog.info("retention deleted {} evidence pack(s) older than {} day(s)", n, *config_.evidence_max_age_days);
  }
}

std::vector<std::string> Node::signal_names() const {
  std::set<std::string> names;
  for (const auto& c : config_.cameras)
    for (const auto& s : c.camera.signals) names.insert(s.name);
  return {names.begin(), names.end()};
}

core::Result<road::SignalReading> Node::update_signal(const std::string& name, const std::string& body,
                                                      const std::string& source, std::int64_t received_ms,
                                                      std::optional<std::int64_t> max_age_ms) {
  auto count = [&](const std::string& result) {
    std::lock_guard lk(signal_stats_m_);
    ++signal_updates_[{source, result}];
  };
  auto refuse = [&](core::Error e) -> core::Result<road::SignalReading> {
    count(e.code);
    std::lock_guard lk(signal_stats_m_);
    // Once per new kind of refusal per signal: a controller repeating a bad message every
    // second logs one line, and the counter says how many followed.
    auto& last = signal_last_problem_[e.code == "unknown_signal" ? std::string("*") : name];  // bounded
    if (last != e.code) {
      last = e.code;
      kLog.warn("signal {}: {} update refused: {} ({})", name, source, e.message, e.code);
    }
    return e;
  };
  const auto names = signal_names();
  if (std::find(names.begin(), names.end(), name) == names.end())
    return refuse(core::make_error(
        "unknown_signal", fmt::format("no camera declares a signal named '{}' (cameras[].signals)", name), "name"));
  auto u = road::parse_signal_update(body, received_ms, max_age_ms);
  if (!u) return refuse(u.error());
  const auto before = signals_->at(name, u->at_ms);
  signals_->set(name, u->state, u->at_ms, source);
  {
    std::lock_guard lk(signal_stats_m_);
    signal_last_problem_.erase(name);
  }
  if (before.state == u->state) {
    count("repeat");
  } else {
    count("applied");
    kLog.info("signal {}: {} at {} (from {}, was {})", name, road::to_string(u->state),
              events::format_rfc3339_ms(u->at_ms), source, road::to_string(before.state));
  }
  return signals_->at(name, u->at_ms);
}

core::Result<std::string> Node::evidence_file(const std::string& event_id, const std::string& file) const {
  // Packs are named by event id: hex digits and dashes only (no path can be smuggled in).
  const bool id_ok = !event_id.empty() && event_id.size() <= 64 &&
                     std::all_of(event_id.begin(), event_id.end(),
                                 [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == '-'; });
  const fs::path dir = fs::path(config_.storage_path) / "evidence" / event_id;
  std::error_code ec;
  if (!id_ok || !fs::is_directory(dir, ec))
    return core::make_error("unknown_evidence", fmt::format("no evidence pack for event '{}'", event_id), "id");
  if (file.empty() || file[0] == '.' || file.find_first_of("/\\") != std::string::npos ||
      !fs::is_regular_file(dir / file, ec))
    return core::make_error("unknown_file", fmt::format("no file '{}' in the pack", file), "file");
  return (dir / file).string();
}

std::string Node::evidence_public_key() const { return signer_ ? signer_->public_key_hex() : std::string(); }

void Node::finish_evidence_clips(std::int64_t now_ms) {
  std::vector<EvidenceClipRequest> due;
  {
    std::lock_guard lk(clips_m_);
    // Due when the recording surely covers the range: its end plus a segment and a margin.
    const auto wait_ms = static_cast<std::int64_t>((config_.segment_s + 3) * 1000);
    for (auto it = clip_queue_.begin(); it != clip_queue_.end();)
      if (now_ms >= it->end_ms + wait_ms) {
        due.push_back(*it);
        it = clip_queue_.erase(it);
      } else {
        ++it;
      }
  }
  for (const auto& r : due) {
    std::vector<record::SegmentFile> files;
    for (const auto& row : store_->segments(r.camera, r.start_ms - 10'000, r.end_ms, true)) files.push_back(row.file);
    if (files.empty()) {
      kLog.warn("evidence {}: no recording of camera {} covers the clip's range", r.event_id, r.camera);
    } else {
      // Written under a temporary name (which a seal ignores), renamed, then sealed at once.
      const std::string tmp = (fs::path(r.pack_dir) / ".tmp-clip.mp4").string();
      if (auto st = record::export_clip(config_.storage_path, files, r.start_ms, r.end_ms, tmp); !st) {
        kLog.warn("evidence {}: no clip: {}", r.event_id, st.error().message);
      } else {
        std::error_code ec;
        fs::rename(tmp, r.out_path, ec);
        if (ec) kLog.warn("evidence {}: {}", r.event_id, ec.message());
      }
    }
    if (auto st = evidence::seal(r.pack_dir, r.event_id, r.event_ms, *signer_); !st)
      kLog.error("evidence {}: cannot re-seal: {}", r.event_id, st.error().message);
  }
}

void Node::log_state_changes(const StorageStatus& st, bool low, bool short_of_space) {
  constexpr double kMB = 1e6;
  if (st.state == "error" && !st.last_error.empty() && st.fs_size_bytes == 0) {
    if (!disk_unmeasurable_) kLog.error("{}", st.last_error);
    disk_unmeasurable_ = true;
    return;
  }
  if (disk_unmeasurable_) kLog.info("storage filesystem measurable again");
  disk_unmeasurable_ = false;
  if (!logged_first_pass_ || st.quota_limited_by_filesystem != was_fs_limited_) {
    if (st.quota_limited_by_filesystem)
      kLog.info(
          "retention: the filesystem of {} ({:.1f} MB, {:.1f} MB free) limits recordings to {:.1f} MB, keeping {:.1f} "
          "MB free{}",
          config_.storage_path, st.fs_size_bytes / kMB, st.fs_free_bytes / kMB,
          st.effective_quota_bytes.value_or(0) / kMB, st.reserve_bytes / kMB,
          st.configured_quota_bytes
              ? fmt::format(" (below the configured quota of {:.1f} MB)", *st.configured_quota_bytes / kMB)
              : std::string());
    else
      kLog.info(
          "retention: recordings limited to the configured {:.1f} MB; the filesystem ({:.1f} MB) keeps {:.1f} MB free",
          st.effective_quota_bytes.value_or(0) / kMB, st.fs_size_bytes / kMB, st.reserve_bytes / kMB);
  }
  logged_first_pass_ = true;
  was_fs_limited_ = st.quota_limited_by_filesystem;
  if (low && !was_low_)
    kLog.warn(
        "storage low: {:.1f} MB free, below the reserve of {:.1f} MB: the oldest recordings are deleted to keep it",
        st.fs_free_bytes / kMB, st.reserve_bytes / kMB);
  if (!low && was_low_) kLog.info("storage no longer low ({:.1f} MB free, twice the reserve)", st.fs_free_bytes / kMB);
  was_low_ = low;
  if (short_of_space && !was_short_)
    kLog.error("storage full: every recording retention may delete is gone and {:.1f} MB are free",
               st.fs_free_bytes / kMB);
  if (!short_of_space && was_short_) kLog.info("storage no longer short of space");
  was_short_ = short_of_space;
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
    // A camera with privacy masks exports re-encoded with the masks burned in: every export (the
    // API's raw and blurred ones, the center's) starts from this file, so none can unmask them.
    // The masks are the camera's current ones (the rule editor may have changed them since).
    privacy::StaticMask mask;
    if (auto* worker = this->camera(camera)) {
      std::vector<core::Polygon> polys;
      for (const auto& m : worker->rules().rules.privacy_masks) polys.push_back(m.polygon);
      mask = privacy::StaticMask(std::move(polys));
    }
    const std::string remux = mask.empty() ? path : path + ".unmasked.mp4";
    if (auto st = record::export_clip(config_.storage_path, files, start_ms, end_ms, remux); !st) return st.error();
    if (!mask.empty()) {
      auto st = privacy::mask_video(remux, path, mask);
      std::error_code rm;
      fs::remove(remux, rm);
      if (!st) return st.error();
    }
    if (auto st = store_->add_export(camera, start_ms, end_ms, rel, core::wall_clock_ms()); !st) {
      // Unprotected, the range could be deleted under the clip's feet: no clip rather than a false promise.
      std::error_code ec;
      fs::remove(path, ec);
      return st.error();
    }
  }
  return path;
}

std::string Node::metrics_text() {
  // Read from the components' status at scrape time, serialised by prometheus-cpp with the
  // histograms (detector latency, event delay, segment write time).
  Exposition e;
  auto add = [&](const char* name, const char* type, const char* help, const Exposition::Labels& labels, double v) {
    if (std::string_view(type) == "counter")
      e.counter(name, help, labels, v);
    else
      e.gauge(name, help, labels, v);
  };
  const auto cams = cameras();
  auto per_camera = [&](const char* name, const char* type, const char* help, auto get) {
    for (const auto& c : cams) add(name, type, help, {{"camera", c.name}}, static_cast<double>(get(c)));
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
  per_camera("vsp_packets_record_failed_total", "counter",
             "packets not recorded: a failed write, or skipped until the next keyframe after one",
             [](const CameraStatus& c) { return c.packets_record_failed; });
  per_camera("vsp_recording_failing", "gauge", "1 while recording writes fail (retried at each keyframe)",
             [](const CameraStatus& c) { return c.recording == "failing" ? 1 : 0; });
  per_camera("vsp_segment_index_errors_total", "counter", "segment index writes that failed (retried by the store)",
             [](const CameraStatus& c) { return c.index_errors; });
  per_camera("vsp_events_total", "counter", "events emitted", [](const CameraStatus& c) { return c.events; });
  per_camera("vsp_corrupt_packets_total", "counter", "packets the decoder rejected",
             [](const CameraStatus& c) { return c.corrupt_packets; });
  per_camera("vsp_camera_fps_in", "gauge", "record-stream packets per second",
             [](const CameraStatus& c) { return c.fps_in; });
  per_camera("vsp_camera_fps_analysed", "gauge", "analysed frames per second",
             [](const CameraStatus& c) { return c.fps_analysed; });
  add("vsp_detector_inferences_total", "counter", "detector forward passes", {},
      static_cast<double>(detectors_.inferences()));
  add("vsp_detector_inference_seconds_total", "counter", "time spent in detector forward passes", {},
      static_cast<double>(detectors_.inference_seconds()));
  add("vsp_outbox_pending", "gauge", "events waiting for the uplink", {}, static_cast<double>(store_->outbox_size()));
  if (uplink_) {
    const auto up = uplink_->status();
    add("vsp_uplink_connected", "gauge", "1 when the uplink is connected to NATS", {}, up.connected ? 1 : 0);
    add("vsp_uplink_published_total", "counter", "events acknowledged by JetStream", {},
        static_cast<double>(up.published_total));
    add("vsp_uplink_publish_failures_total", "counter", "event publishes not acknowledged (retried)", {},
        static_cast<double>(up.publish_failures_total));
    add("vsp_outbox_dropped_total", "counter", "outbox events dropped above uplink.max_outbox_events", {},
        static_cast<double>(up.outbox_dropped_total));
  }
  add("vsp_recordings_bytes", "gauge", "bytes of recorded segments", {},
      static_cast<double>(store_->recordings_bytes()));
  add("vsp_retention_segments_deleted_total", "counter", "segments deleted by retention", {},
      static_cast<double>(segments_deleted_.load()));
  const auto st = storage();
  auto gauge = [&](const char* name, const char* type, const char* help, auto v) {
    add(name, type, help, {}, static_cast<double>(v));
  };
  gauge("vsp_retention_segment_delete_failures_total", "counter", "segment files retention could not delete",
        st.segment_delete_failures);
  gauge("vsp_retention_events_pruned_total", "counter", "events deleted by age", st.events_pruned);
  gauge("vsp_retention_snapshots_pruned_total", "counter", "snapshot files deleted by age", st.snapshots_pruned);
  gauge("vsp_retention_evidence_pruned_total", "counter", "evidence packs deleted by evidence_max_age_days",
        st.evidence_pruned);
  {
    std::lock_guard lk(signal_stats_m_);
    for (const auto& [k, n] : signal_updates_)
      add("vsp_signal_updates_total", "counter",
          "external signal updates by source (api, nats) and result (applied, repeat, or the refusal's code)",
          {{"source", k.first}, {"result", k.second}}, static_cast<double>(n));
  }
  gauge("vsp_storage_filesystem_bytes", "gauge", "size of the storage folder's filesystem", st.fs_size_bytes);
  gauge("vsp_storage_free_bytes", "gauge", "free space on the storage folder's filesystem", st.fs_free_bytes);
  gauge("vsp_storage_reserve_bytes", "gauge", "free space retention keeps (min_free_gb / min_free_percent)",
        st.reserve_bytes);
  if (st.configured_quota_bytes)
    gauge("vsp_retention_configured_quota_bytes", "gauge", "storage.retention.max_disk_gb in bytes",
          *st.configured_quota_bytes);
  if (st.effective_quota_bytes)
    gauge("vsp_retention_effective_quota_bytes", "gauge",
          "what recordings may use now: the configured quota or what the filesystem holds above the reserve",
          *st.effective_quota_bytes);
  gauge("vsp_retention_quota_limited_by_filesystem", "gauge", "1 when the filesystem, not the quota, sets the limit",
        st.quota_limited_by_filesystem ? 1 : 0);
  for (const char* s : {"ok", "low_space", "full", "read_only", "error"})
    add("vsp_storage_state", "gauge", "1 for the storage's current state", {{"state", s}}, st.state == s ? 1 : 0);
  gauge("vsp_store_ok", "gauge", "1 when the database takes writes and nothing waits for a retry", st.store.ok ? 1 : 0);
  gauge("vsp_events_received_total", "counter", "events handed to the store", st.store.events_received);
  gauge("vsp_events_stored_total", "counter", "events committed to the database", st.store.events_stored);
  gauge("vsp_event_write_failures_total", "counter", "failed attempts to commit an event (retries included)",
        st.store.event_write_failures);
  gauge("vsp_events_pending", "gauge", "events kept in memory until the database takes them", st.store.events_pending);
  gauge("vsp_events_dropped_total", "counter", "events lost: the pending queue was full", st.store.events_dropped);
  gauge("vsp_store_index_write_failures_total", "counter", "segment index writes that failed",
        st.store.index_write_failures);
  gauge("vsp_store_index_pending", "gauge", "segment rows waiting for a retry", st.store.index_pending);
  e.add(histograms_.collect());
  return e.text();
}

}  // namespace vsp::pipeline

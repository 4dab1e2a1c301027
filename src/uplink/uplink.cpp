#include "uplink/uplink.hpp"

#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "events/event.hpp"
#include "events/nats_security.hpp"
#include "events/subjects.hpp"

namespace vsp::uplink {

namespace {
const core::Logger kLog("uplink");

}  // namespace

/// The connection and the acks of the round in flight (filled by the library's callback thread).
struct Uplink::Nats {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  natsSubscription* evidence_sub = nullptr;
  natsSubscription* rules_sub = nullptr;
  std::vector<natsSubscription*> subs;  ///< Uplink::subscribe()'s
  std::mutex m;
  std::condition_variable cv;
  int callbacks = 0;
  std::vector<std::string> acked;
  std::string last_error;

  ~Nats() {
    if (evidence_sub) natsSubscription_Destroy(evidence_sub);
    if (rules_sub) natsSubscription_Destroy(rules_sub);
    for (auto* sub : subs) natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    if (nc) natsConnection_Destroy(nc);
  }

  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<Nats*>(closure);
    const char* id = nullptr;
    natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
    {
      std::lock_guard lock(self->m);
      ++self->callbacks;
      if (pa && id)
        self->acked.emplace_back(id);
      else if (pae)
        self->last_error = pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err);
    }
    self->cv.notify_all();
    natsMsg_Destroy(msg);
  }
};

Uplink::Uplink(UplinkOptions options, store::Store& store, CameraStates cameras)
    : opt_(std::move(options)), store_(store), cameras_(std::move(cameras)) {}

Uplink::~Uplink() { stop(); }

std::string Uplink::subject_for(const std::string& site, const std::string& node, const std::string& camera,
                                const std::string& type) {
  return events::event_subject(site, node, camera, type);
}

std::string Uplink::evidence_subject(const std::string& site, const std::string& node) {
  return events::evidence_subject(site, node);
}

std::string Uplink::answer_evidence(const std::string& request) {
  using nlohmann::json;
  auto refuse = [](const std::string& code, const std::string& message) {
    return json{{"ok", false}, {"code", code}, {"message", message}}.dump();
  };
  json q = json::parse(request, nullptr, false);
  if (!q.is_object()) return refuse("bad_request", "not a JSON object");
  const std::string op = q.value("op", "");
  if (op == "read") {
    std::string path;
    {
      std::lock_guard lock(files_m_);
      auto it = files_.find(q.value("file", ""));
      if (it == files_.end()) return refuse("unknown_file", "open the file first");
      path = it->second;
    }
    const auto offset = q.value("offset", std::int64_t{0});
    const auto length = std::clamp<std::int64_t>(q.value("length", std::int64_t{0}), 0, 512 * 1024);
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return {};
    std::string buf(static_cast<size_t>(length), '\0');
    std::fseek(f, static_cast<long>(offset), SEEK_SET);
    buf.resize(std::fread(buf.data(), 1, buf.size(), f));
    std::fclose(f);
    return buf;
  }
  if (op != "open") return refuse("bad_request", fmt::format("unknown op '{}'", op));
  const std::string kind = q.value("kind", "");
  core::Result<std::string> path = core::make_error("bad_request", fmt::format("unknown kind '{}'", kind));
  std::string type = "application/octet-stream";
  if (kind == "clip" && evidence_.export_clip) {
    path = evidence_.export_clip(q.value("camera", ""), q.value("start_ms", std::int64_t{0}),
                                 q.value("end_ms", std::int64_t{0}));
    type = "video/mp4";
  } else if (kind == "snapshot" && evidence_.snapshot_path) {
    path = evidence_.snapshot_path(q.value("event_id", ""));
    type = "image/jpeg";
  } else if (kind == "evidence" && evidence_.evidence_file) {
    const std::string file = q.value("file", "");
    path = evidence_.evidence_file(q.value("event_id", ""), file);
    const auto ends = [&](const char* ext) {
      const std::string e = ext;
      return file.size() >= e.size() && file.compare(file.size() - e.size(), e.size(), e) == 0;
    };
    type = ends(".json") ? "application/json" : ends(".jpg") ? "image/jpeg" : ends(".mp4") ? "video/mp4" : type;
  }
  if (!path) return refuse(path.error().code, path.error().message);
  std::FILE* f = std::fopen(path->c_str(), "rb");
  if (!f) return refuse("not_found", "the file is gone");
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fclose(f);
  const std::string token = events::make_uuid_v7(core::wall_clock_ms());
  {
    std::lock_guard lock(files_m_);
    if (files_.size() > 256) files_.erase(files_.begin());  // uuidv7: the oldest token first
    files_[token] = *path;
  }
  return json{{"ok", true}, {"file", token}, {"size", size}, {"content_type", type}}.dump();
}

std::string Uplink::answer_rules(const std::string& request) {
  std::lock_guard lock(rules_m_);
  if (rules_) return rules_(request);
  return nlohmann::json{
      {"status", 503}, {"body", {{"code", "not_ready"}, {"message", "the node is starting or stopping"}, {"path", ""}}}}
      .dump();
}

void Uplink::start() {
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void Uplink::stop() {
  if (stop_.exchange(true)) return;
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  nats_.reset();
}

UplinkStatus Uplink::status() const {
  std::lock_guard lock(status_m_);
  return status_;
}

bool Uplink::connect() {
  natsOptions* o = nullptr;
  if (natsOptions_Create(&o) != NATS_OK) return false;
  std::vector<const char*> urls;
  for (const auto& s : opt_.servers) urls.push_back(s.c_str());
  natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
  natsOptions_SetNoRandomize(o, true);
  natsOptions_SetMaxReconnect(o, -1);
  natsOptions_SetReconnectWait(o, 500);
  natsOptions_SetTimeout(o, 2000);
  const std::string name = fmt::format("vsp-node {}/{}", opt_.site, opt_.node);
  natsOptions_SetName(o, name.c_str());
  if (auto st = events::apply_nats_auth(o, opt_.auth, "uplink.nats"); !st) {
    natsOptions_Destroy(o);
    std::lock_guard lock(status_m_);
    status_.last_error = st.error().message;
    return false;
  }
  auto n = std::make_unique<Nats>();
  natsStatus s = natsConnection_Connect(&n->nc, o);
  natsOptions_Destroy(o);
  if (s != NATS_OK) {
    std::lock_guard lock(status_m_);
    status_.last_error = fmt::format("cannot connect to {}: {}", fmt::join(opt_.servers, ","), natsStatus_GetText(s));
    return false;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = opt_.ack_wait_ms;
  jo.PublishAsync.MaxPending = opt_.batch * 2;
  jo.PublishAsync.AckHandler = &Nats::on_ack;
  jo.PublishAsync.AckHandlerClosure = n.get();
  if (natsConnection_JetStream(&n->js, n->nc, &jo) != NATS_OK) return false;
  if (evidence_.export_clip || evidence_.snapshot_path) {
    const std::string subject = evidence_subject(opt_.site, opt_.node);
    natsConnection_Subscribe(
        &n->evidence_sub, n->nc, subject.c_str(),
        [](natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
          const char* reply = natsMsg_GetReply(msg);
          if (reply) {
            const std::string answer = static_cast<Uplink*>(closure)->answer_evidence(
                std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
            natsConnection_Publish(nc, reply, answer.data(), static_cast<int>(answer.size()));
          }
          natsMsg_Destroy(msg);
        },
        this);
  }
  bool rules_wanted = false;
  {
    std::lock_guard lock(rules_m_);
    rules_wanted = rules_wanted_;
  }
  if (rules_wanted) {
    // Only the center publishes here: NATS permissions enforce it (docs/security.md).
    const std::string subject = events::rules_subject(opt_.site, opt_.node);
    natsConnection_Subscribe(
        &n->rules_sub, n->nc, subject.c_str(),
        [](natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
          if (const char* reply = natsMsg_GetReply(msg)) {
            const std::string answer = static_cast<Uplink*>(closure)->answer_rules(
                std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
            natsConnection_Publish(nc, reply, answer.data(), static_cast<int>(answer.size()));
          }
          natsMsg_Destroy(msg);
        },
        this);
  }
  for (auto& sub : subscriptions_) {
    natsSubscription* ns = nullptr;
    const natsStatus st = natsConnection_Subscribe(
        &ns, n->nc, sub.subject.c_str(),
        [](natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
          const char* data = natsMsg_GetData(msg);
          static_cast<Subscription*>(closure)->handler(
              natsMsg_GetSubject(msg), std::string(data ? data : "", static_cast<size_t>(natsMsg_GetDataLength(msg))));
          natsMsg_Destroy(msg);
        },
        &sub);
    if (st == NATS_OK)
      n->subs.push_back(ns);
    else
      kLog.error("cannot subscribe to {}: {}", sub.subject, natsStatus_GetText(st));
  }
  nats_ = std::move(n);
  kLog.info("connected to {}", fmt::join(opt_.servers, ","));
  return true;
}

int Uplink::drain_once() {
  const auto batch = store_.outbox_batch(opt_.batch);
  if (batch.empty()) return 0;
  auto& n = *nats_;
  {
    std::lock_guard lock(n.m);
    n.callbacks = 0;
    n.acked.clear();
    n.last_error.clear();
  }
  // ---- Publish the batch in outbox order, asynchronously --------------------------------------
  int sent = 0;
  std::string send_error;
  for (const auto& item : batch) {
    const std::string subject = subject_for(opt_.site, opt_.node, item.camera, item.type);
    natsMsg* msg = nullptr;
    if (natsMsg_Create(&msg, subject.c_str(), nullptr, item.json.data(), static_cast<int>(item.json.size())) != NATS_OK)
      break;
    natsMsgHeader_Set(msg, "Nats-Msg-Id", item.event_id.c_str());
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = opt_.ack_wait_ms;
    const natsStatus s = js_PublishMsgAsync(n.js, &msg, &po);
    natsMsg_Destroy(msg);  // no-op when the library took it
    if (s != NATS_OK) {
      send_error = natsStatus_GetText(s);
      break;
    }
    ++sent;
  }
  // ---- Wait for the acks; what is not back is taken back and retried next round ----------------
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = opt_.ack_wait_ms;
  js_PublishAsyncComplete(n.js, &po);
  natsMsgList pending{};
  int taken_back = 0;
  if (js_PublishAsyncGetPendingList(&pending, n.js) == NATS_OK) {
    taken_back = pending.Count;
    natsMsgList_Destroy(&pending);
  }
  std::vector<std::string> acked;
  std::string ack_error;
  {
    std::unique_lock lock(n.m);
    n.cv.wait_for(lock, std::chrono::seconds(1), [&] { return n.callbacks >= sent - taken_back; });
    acked.swap(n.acked);
    ack_error = n.last_error;
  }
  store_.outbox_delete(acked);
  const int failed = static_cast<int>(batch.size()) - static_cast<int>(acked.size());
  {
    std::lock_guard lock(status_m_);
    status_.published_total += static_cast<std::int64_t>(acked.size());
    status_.publish_failures_total += failed;
    if (failed > 0)
      status_.last_error = !send_error.empty()  ? send_error
                           : !ack_error.empty() ? ack_error
                                                : "publish acknowledgement timed out";
  }
  if (failed > 0) return -1;
  return static_cast<int>(acked.size());
}

void Uplink::heartbeat(std::int64_t now_ms) {
  using nlohmann::json;
  const auto st = status();
  json cams = json::array();
  for (const auto& c : cameras_ ? cameras_() : std::vector<CameraState>{})
    cams.push_back({{"name", c.name}, {"state", c.state}, {"last_error", c.last_error}});
  const auto oldest = store_.outbox_oldest_ms();
  json hb = {{"site", opt_.site},
             {"node", opt_.node},
             {"ts_utc", events::format_rfc3339_ms(now_ms)},
             {"cameras", cams},
             {"outbox_pending", store_.outbox_size()},
             {"outbox_dropped_total", st.outbox_dropped_total},
             {"published_total", st.published_total},
             {"lag_s", oldest ? static_cast<double>(std::max<std::int64_t>(0, now_ms - *oldest)) / 1000.0 : 0.0}};
  if (!opt_.evidence_public_key.empty()) hb["evidence_public_key"] = opt_.evidence_public_key;
  const std::string body = hb.dump();
  const std::string subject = events::heartbeat_subject(opt_.site, opt_.node);
  natsConnection_Publish(nats_->nc, subject.c_str(), body.data(), static_cast<int>(body.size()));
}

void Uplink::run() {
  core::RateLimit warn_limit(std::chrono::seconds(30));
  std::int64_t next_heartbeat_ms = 0;
  int connect_backoff_ms = 250;
  bool failing = false;
  auto sleep_for = [&](int ms) {
    std::unique_lock lock(wake_m_);
    wake_cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stop_.load(); });
  };
  while (!stop_) {
    // ---- Bound the outbox: above the limit the oldest rows go (counted, never silently) --------
    if (const auto dropped = store_.outbox_trim(opt_.max_outbox_events); dropped > 0) {
      std::lock_guard lock(status_m_);
      status_.outbox_dropped_total += dropped;
      if (warn_limit.allow())
        kLog.warn("outbox above {} events: dropped the {} oldest (they stay in the node's store)",
                  opt_.max_outbox_events, dropped);
    }
    if (!nats_ && !connect()) {
      if (warn_limit.allow()) kLog.warn("{}; retrying", status().last_error);
      sleep_for(connect_backoff_ms);
      connect_backoff_ms = std::min(connect_backoff_ms * 2, 5000);
      continue;
    }
    connect_backoff_ms = 250;
    const bool up = natsConnection_Status(nats_->nc) == NATS_CONN_STATUS_CONNECTED;
    {
      std::lock_guard lock(status_m_);
      status_.connected = up;
    }
    const std::int64_t now = core::wall_clock_ms();
    if (up && now >= next_heartbeat_ms) {
      heartbeat(now);
      next_heartbeat_ms = now + static_cast<std::int64_t>(opt_.heartbeat_s * 1000);
    }
    if (!up) {
      sleep_for(250);
      continue;
    }
    const int n = drain_once();
    if (n < 0) {
      if (!failing || warn_limit.allow())
        kLog.warn("publish failed: {}; events stay in the outbox", status().last_error);
      failing = true;
      sleep_for(500);
    } else {
      if (failing) kLog.info("publishing again; outbox draining");
      failing = false;
      if (n == 0) sleep_for(200);
    }
  }
  // A clean stop drains what it can in a few seconds; the rest waits in the outbox for the next run.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (nats_ && natsConnection_Status(nats_->nc) == NATS_CONN_STATUS_CONNECTED &&
         std::chrono::steady_clock::now() < deadline && drain_once() > 0) {
  }
  if (nats_) natsConnection_FlushTimeout(nats_->nc, 1000);
}

}  // namespace vsp::uplink

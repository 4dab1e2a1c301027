#include "center/alerts.hpp"

#include <civetweb.h>
#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "center/pg_store.hpp"
#include "core/log.hpp"
#include "events/nats_security.hpp"

namespace vsp::center {

namespace {
const core::Logger kLog("center.alerts");

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

struct Url {
  std::string host, path;
  int port = 80;
};

std::optional<Url> parse_http_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return std::nullopt;
  const std::string rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const std::string hostport = rest.substr(0, slash);
  Url u;
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = hostport.rfind(':');
  u.host = hostport.substr(0, colon);
  if (colon != std::string::npos) {
    try {
      u.port = std::stoi(hostport.substr(colon + 1));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (u.host.empty() || u.port <= 0 || u.port > 65535) return std::nullopt;
  return u;
}
}  // namespace

std::vector<const AlertRule*> match_alerts(const std::vector<AlertRule>& rules, const events::Event& e) {
  std::vector<const AlertRule*> out;
  auto is = [](const std::optional<std::string>& want, const std::string& have) { return !want || *want == have; };
  for (const auto& r : rules) {
    if (!is(r.type, e.type) || !is(r.site, e.site) || !is(r.node, e.node) || !is(r.camera, e.camera) ||
        !is(r.rule, e.rule) || !is(r.class_name, e.class_name))
      continue;
    if (!r.plates.empty() &&
        (e.text.empty() || std::find(r.plates.begin(), r.plates.end(), upper(e.text)) == r.plates.end()))
      continue;
    out.push_back(&r);
  }
  return out;
}

struct AlertDispatcher::Nats {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ~Nats() {
    jsCtx_Destroy(js);
    if (nc) natsConnection_Destroy(nc);
  }
};

AlertDispatcher::AlertDispatcher(std::vector<std::string> nats_servers, PgStore& store, core::NatsAuth nats_auth)
    : servers_(std::move(nats_servers)), nats_auth_(std::move(nats_auth)), store_(store) {}

AlertDispatcher::~AlertDispatcher() { stop(); }

void AlertDispatcher::start() {
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void AlertDispatcher::stop() {
  if (stop_.exchange(true)) return;
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  nats_.reset();
}

DispatcherStatus AlertDispatcher::status() const {
  std::lock_guard lock(status_m_);
  return status_;
}

bool AlertDispatcher::deliver(const std::string& channel, const std::string& target, const std::string& key,
                              const std::string& subject, const std::string& body, std::string& error) {
  if (channel == "nats") {
    if (!nats_) {
      natsOptions* o = nullptr;
      natsOptions_Create(&o);
      std::vector<const char*> urls;
      for (const auto& s : servers_) urls.push_back(s.c_str());
      natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
      natsOptions_SetMaxReconnect(o, -1);
      natsOptions_SetTimeout(o, 2000);
      if (auto st = events::apply_nats_auth(o, nats_auth_, "nats"); !st) {
        natsOptions_Destroy(o);
        error = st.error().message;
        return false;
      }
      auto n = std::make_unique<Nats>();
      const natsStatus s = natsConnection_Connect(&n->nc, o);
      natsOptions_Destroy(o);
      if (s != NATS_OK) {
        error = fmt::format("nats: {}", natsStatus_GetText(s));
        return false;
      }
      if (natsConnection_JetStream(&n->js, n->nc, nullptr) != NATS_OK) {
        error = "nats: no JetStream context";
        return false;
      }
      nats_ = std::move(n);
    }
    // Into the VSP_ALERTS stream (created by the consumer): the ack means stored, the key dedups.
    natsMsg* m = nullptr;
    natsMsg_Create(&m, subject.c_str(), nullptr, body.data(), static_cast<int>(body.size()));
    natsMsgHeader_Set(m, "Idempotency-Key", key.c_str());
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = key.c_str();
    po.MaxWait = 5000;
    jsPubAck* pa = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    const natsStatus s = js_PublishMsg(&pa, nats_->js, m, &po, &jerr);
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(m);
    if (s != NATS_OK)
      error = fmt::format("nats: {} (jetstream error {})", natsStatus_GetText(s), static_cast<int>(jerr));
    return s == NATS_OK;
  }
  const auto url = parse_http_url(target);
  if (!url) {
    error = fmt::format("webhook: not an http:// URL: {}", target);
    return false;
  }
  char ebuf[256] = {0};
  mg_connection* c = mg_connect_client(url->host.c_str(), url->port, 0, ebuf, sizeof(ebuf));
  if (!c) {
    error = fmt::format("webhook {}: {}", target, ebuf);
    return false;
  }
  mg_printf(c,
            "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nIdempotency-Key: %s\r\n"
            "Content-Length: %zu\r\nConnection: close\r\n\r\n",
            url->path.c_str(), url->host.c_str(), url->port, key.c_str(), body.size());
  mg_write(c, body.data(), body.size());
  const int got = mg_get_response(c, ebuf, sizeof(ebuf), 5000);
  const mg_response_info* ri = got >= 0 ? mg_get_response_info(c) : nullptr;
  const int status = ri ? ri->status_code : 0;
  mg_close_connection(c);
  if (status >= 200 && status < 300) return true;
  error = status ? fmt::format("webhook {}: HTTP {}", target, status) : fmt::format("webhook {}: {}", target, ebuf);
  return false;
}

void AlertDispatcher::run() {
  core::RateLimit warn_limit(std::chrono::seconds(30));
  mg_init_library(0);
  while (!stop_) {
    auto jobs = store_.claim_alerts(50, 30);
    if (!jobs || jobs->empty()) {
      std::unique_lock lock(wake_m_);
      wake_cv_.wait_for(lock, std::chrono::milliseconds(jobs ? 200 : 2000), [&] { return stop_.load(); });
      continue;
    }
    for (const auto& j : *jobs) {
      const std::string key = j.alert + ":" + j.event_id;
      std::string error;
      if (deliver(j.channel, j.target, key, j.target, j.payload_json, error)) {
        (void)store_.alert_delivered(j.id);
        std::lock_guard lock(status_m_);
        ++status_.delivered_total;
        continue;
      }
      if (warn_limit.allow())
        kLog.warn("alert {} ({}) not delivered, attempt {}: {}", key, j.channel, j.attempts, error);
      (void)store_.alert_failed(j.id, j.attempts, error);
      std::lock_guard lock(status_m_);
      ++status_.failed_attempts_total;
      status_.last_error = error;
    }
  }
}

}  // namespace vsp::center

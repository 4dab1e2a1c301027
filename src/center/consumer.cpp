#include "center/consumer.hpp"

#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "center/event_fields.hpp"
#include "core/log.hpp"
#include "events/nats_security.hpp"

namespace vsp::center {

namespace {
const core::Logger kLog("center");
constexpr const char* kEventSubjects = "vsp.events.>";
constexpr const char* kHeartbeatSubjects = "vsp.heartbeat.>";
constexpr const char* kAlertSubjects = "vsp.alerts.>";
constexpr const char* kAlertStream = "VSP_ALERTS";
constexpr std::int64_t kNsPerS = 1'000'000'000;
}  // namespace

struct Consumer::Nats {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  natsSubscription* sub = nullptr;
  natsSubscription* hb_sub = nullptr;
  ~Nats() {
    if (hb_sub) natsSubscription_Destroy(hb_sub);
    if (sub) natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    if (nc) natsConnection_Destroy(nc);
  }
};

Consumer::Consumer(CenterConfig config, PgStore& store) : cfg_(std::move(config)), store_(store) {}

Consumer::~Consumer() { stop(); }

void Consumer::start() {
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void Consumer::stop() {
  if (stop_.exchange(true)) return;
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  nats_.reset();
}

ConsumerStatus Consumer::status() const {
  std::lock_guard lock(status_m_);
  return status_;
}

void Consumer::set_error(const std::string& e) {
  std::lock_guard lock(status_m_);
  status_.last_error = e;
}

void Consumer::handle_heartbeat(const std::string& data) {
  try {
    const auto j = nlohmann::json::parse(data);
    const auto site = j.at("site").get<std::string>(), node = j.at("node").get<std::string>();
    const auto ts = events::parse_rfc3339_ms(j.at("ts_utc").get<std::string>());
    if (!ts) throw std::invalid_argument("ts_utc is not RFC 3339");
    if (auto st = store_.upsert_node(site, node, *ts, data); !st) {
      set_error(st.error().message);
      return;
    }
    std::lock_guard lock(status_m_);
    ++status_.heartbeats_total;
  } catch (const std::exception& e) {
    kLog.warn("malformed heartbeat ignored: {}", e.what());
  }
}

bool Consumer::setup() {
  auto n = std::make_unique<Nats>();
  natsOptions* o = nullptr;
  if (natsOptions_Create(&o) != NATS_OK) return false;
  std::vector<const char*> urls;
  for (const auto& s : cfg_.nats_servers) urls.push_back(s.c_str());
  natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
  natsOptions_SetNoRandomize(o, true);
  natsOptions_SetMaxReconnect(o, -1);
  natsOptions_SetReconnectWait(o, 500);
  natsOptions_SetTimeout(o, 2000);
  natsOptions_SetName(o, "vsp-center");
  if (auto st = events::apply_nats_auth(o, cfg_.nats_auth, "nats"); !st) {
    natsOptions_Destroy(o);
    set_error(st.error().message);
    return false;
  }
  natsStatus s = natsConnection_Connect(&n->nc, o);
  natsOptions_Destroy(o);
  if (s != NATS_OK) {
    set_error(fmt::format("nats.servers: cannot connect to {}: {}", fmt::join(cfg_.nats_servers, ","),
                          natsStatus_GetText(s)));
    return false;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  if (natsConnection_JetStream(&n->js, n->nc, &jo) != NATS_OK) return false;

  // ---- The stream: created when missing, updated to the configured replicas otherwise ---------
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  const char* subjects[] = {kEventSubjects};
  sc.Name = cfg_.stream.c_str();
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  sc.Retention = js_LimitsPolicy;
  sc.Replicas = cfg_.replicas;
  sc.Duplicates = 120 * kNsPerS;  // publish retries inside this window are dropped by JetStream
  sc.MaxAge = static_cast<std::int64_t>(cfg_.max_age_days * 86400.0) * kNsPerS;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  s = js_GetStreamInfo(&si, n->js, cfg_.stream.c_str(), nullptr, &jerr);
  jsStreamInfo_Destroy(si);
  si = nullptr;
  if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    s = js_AddStream(&si, n->js, &sc, nullptr, &jerr);
    if (s == NATS_OK) kLog.info("created stream {} (R{})", cfg_.stream, cfg_.replicas);
  } else if (s == NATS_OK) {
    s = js_UpdateStream(&si, n->js, &sc, nullptr, &jerr);
    if (s != NATS_OK) {
      kLog.warn("stream {}: update refused ({}); using it as it is", cfg_.stream, nats_GetLastError(nullptr));
      s = NATS_OK;
    }
  }
  jsStreamInfo_Destroy(si);
  if (s != NATS_OK) {
    set_error(fmt::format("nats: cannot create stream {}: {} (jetstream error {})", cfg_.stream, natsStatus_GetText(s),
                          static_cast<int>(jerr)));
    return false;
  }

  // ---- The alerts stream (vsp.alerts.<rule>), same replicas, for durable alert consumers --------
  {
    jsStreamConfig ac;
    jsStreamConfig_Init(&ac);
    const char* alert_subjects[] = {kAlertSubjects};
    ac.Name = kAlertStream;
    ac.Subjects = alert_subjects;
    ac.SubjectsLen = 1;
    ac.Storage = js_FileStorage;
    ac.Replicas = cfg_.replicas;
    ac.Duplicates = 120 * kNsPerS;
    ac.MaxAge = sc.MaxAge;
    jsStreamInfo* ai = nullptr;
    if (js_GetStreamInfo(&ai, n->js, kAlertStream, nullptr, &jerr) != NATS_OK) {
      jsStreamInfo_Destroy(ai);
      ai = nullptr;
      if (js_AddStream(&ai, n->js, &ac, nullptr, &jerr) != NATS_OK)
        kLog.warn("cannot create stream {} (alerts to NATS will be retried): {}", kAlertStream,
                  nats_GetLastError(nullptr));
    }
    jsStreamInfo_Destroy(ai);
  }

  // ---- The durable pull consumer, shared by every center process ------------------------------
  jsConsumerInfo* ci = nullptr;
  s = js_GetConsumerInfo(&ci, n->js, cfg_.stream.c_str(), cfg_.consumer.c_str(), nullptr, &jerr);
  jsConsumerInfo_Destroy(ci);
  ci = nullptr;
  if (s != NATS_OK) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = cfg_.consumer.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.DeliverPolicy = js_DeliverAll;
    cc.AckWait = static_cast<std::int64_t>(cfg_.ack_wait_s * 1e9);
    cc.MaxAckPending = 50'000;
    cc.MaxDeliver = -1;
    cc.FilterSubject = kEventSubjects;
    s = js_AddConsumer(&ci, n->js, cfg_.stream.c_str(), &cc, nullptr, &jerr);
    jsConsumerInfo_Destroy(ci);
    if (s != NATS_OK) {
      set_error(fmt::format("nats: cannot create consumer {}: {} (jetstream error {})", cfg_.consumer,
                            natsStatus_GetText(s), static_cast<int>(jerr)));
      return false;
    }
    kLog.info("created durable consumer {} on {}", cfg_.consumer, cfg_.stream);
  }
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = cfg_.stream.c_str();
  so.Consumer = cfg_.consumer.c_str();
  s = js_PullSubscribe(&n->sub, n->js, kEventSubjects, cfg_.consumer.c_str(), nullptr, &so, &jerr);
  if (s != NATS_OK) {
    set_error(fmt::format("nats: cannot bind to consumer {}: {}", cfg_.consumer, natsStatus_GetText(s)));
    return false;
  }
  // ---- Heartbeats: one center of the group records each -----------------------------------------
  s = natsConnection_QueueSubscribe(
      &n->hb_sub, n->nc, kHeartbeatSubjects, "vsp-center",
      [](natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
        static_cast<Consumer*>(closure)->handle_heartbeat(
            std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
        natsMsg_Destroy(msg);
      },
      this);
  if (s != NATS_OK) {
    set_error(fmt::format("nats: cannot subscribe to heartbeats: {}", natsStatus_GetText(s)));
    return false;
  }
  nats_ = std::move(n);
  kLog.info("consuming {} from stream {} as {}", kEventSubjects, cfg_.stream, cfg_.consumer);
  return true;
}

void Consumer::sleep_for(int ms) {
  std::unique_lock lock(wake_m_);
  wake_cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stop_.load(); });
}

/// A fetched batch on its way to PostgreSQL; owns its messages until it is committed (and acked)
/// or dropped (redelivered after ack_wait_s).
struct Consumer::Batch {
  natsMsgList list{};
  std::vector<IncomingEvent> events;
  std::vector<natsMsg*> msgs;  ///< the message of each event, same order
  int rejected = 0;
  ~Batch() { natsMsgList_Destroy(&list); }
};

void Consumer::wait_commits_idle() {
  std::unique_lock lock(q_m_);
  q_cv_.wait(lock, [&] { return (queue_.empty() && committing_ == 0) || workers_left_ == 0; });
}

void Consumer::run() {
  // This thread only fetches; `postgres.workers` threads each parse a batch and insert it in their
  // own transaction, so fetching, parsing and several PostgreSQL transactions (and their commit
  // waits) overlap. At most one fetched batch per worker waits; the fetch blocks beyond that.
  // Exactly once holds whatever the interleaving: a message is acked only after its batch's
  // commit, and the insert keeps only ids not yet in the table (concurrent inserts of the same id
  // wait for each other on the primary key), rollups counting only the rows actually inserted.
  const int workers = std::max(1, cfg_.workers);
  {
    std::lock_guard lock(q_m_);
    commit_stop_ = false;
    workers_left_ = workers;
  }
  std::vector<std::thread> committers;
  for (int i = 0; i < workers; ++i) committers.emplace_back([this] { commit_loop(); });
  core::RateLimit warn_limit(std::chrono::seconds(30));
  int backoff_ms = 250;
  int fetch_errors = 0;
  auto reset = [&] {
    wait_commits_idle();  // acks of messages from this connection must be done before it goes
    nats_.reset();
  };
  while (!stop_) {
    if (!nats_) {
      if (!setup()) {
        if (warn_limit.allow()) kLog.warn("{}; retrying", status().last_error);
        sleep_for(backoff_ms);
        backoff_ms = std::min(backoff_ms * 2, 5000);
        continue;
      }
      backoff_ms = 250;
      fetch_errors = 0;
    }
    const bool up = natsConnection_Status(nats_->nc) == NATS_CONN_STATUS_CONNECTED;
    {
      std::lock_guard lock(status_m_);
      status_.connected = up;
    }
    if (!up) {
      sleep_for(250);
      continue;
    }
    auto b = std::make_unique<Batch>();
    jsErrCode jerr = static_cast<jsErrCode>(0);
    const natsStatus s = natsSubscription_Fetch(&b->list, nats_->sub, cfg_.batch, 1000, &jerr);
    if (b->list.Count == 0) {
      if (s != NATS_OK && s != NATS_TIMEOUT) {
        // The consumer may be gone (stream deleted, cluster lost its state): set up again.
        if (++fetch_errors >= 5) {
          kLog.warn("fetch failing ({}); reconnecting", natsStatus_GetText(s));
          b.reset();
          reset();
        }
        sleep_for(250);
      } else {
        fetch_errors = 0;
      }
      continue;
    }
    fetch_errors = 0;
    {
      std::lock_guard lock(status_m_);
      status_.received_total += b->list.Count;
    }
    std::unique_lock lock(q_m_);
    q_cv_.wait(lock, [&] { return static_cast<int>(queue_.size()) < workers || stop_ || workers_left_ == 0; });
    if (stop_ || workers_left_ == 0) break;
    queue_.push_back(std::move(b));
    q_cv_.notify_all();
  }
  {
    std::lock_guard lock(q_m_);
    commit_stop_ = true;
  }
  q_cv_.notify_all();
  for (auto& t : committers) t.join();
  std::lock_guard lock(q_m_);
  queue_.clear();  // not committed: redelivered after ack_wait_s
}

void Consumer::parse(Batch& b, core::RateLimit& warn_limit) {
  // Only the indexed fields are read (the payload is stored as sent); malformed messages are
  // terminated (never redelivered).
  b.events.reserve(static_cast<size_t>(b.list.Count));
  b.msgs.reserve(static_cast<size_t>(b.list.Count));
  for (int i = 0; i < b.list.Count; ++i) {
    natsMsg* m = b.list.Msgs[i];
    std::string data(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
    auto e = parse_indexed_fields(data);
    if (!e || e->id.empty()) {
      if (warn_limit.allow())
        kLog.warn("malformed message on {} terminated: {}", natsMsg_GetSubject(m), e ? "empty id" : e.error().message);
      natsMsg_Term(m, nullptr);
      ++b.rejected;
      continue;
    }
    b.events.push_back({std::move(*e), std::move(data)});
    b.msgs.push_back(m);
  }
}

void Consumer::commit_loop() {
  core::RateLimit warn_limit(std::chrono::seconds(30));
  while (true) {
    std::unique_ptr<Batch> b;
    {
      std::unique_lock lock(q_m_);
      q_cv_.wait(lock, [&] { return !queue_.empty() || commit_stop_; });
      if (queue_.empty()) break;
      b = std::move(queue_.front());
      queue_.pop_front();
      ++committing_;
      q_cv_.notify_all();
    }
    parse(*b, warn_limit);
    commit(*b, warn_limit);
    b.reset();
    std::lock_guard lock(q_m_);
    --committing_;
    q_cv_.notify_all();
  }
  std::lock_guard lock(q_m_);
  --workers_left_;
  q_cv_.notify_all();
}

void Consumer::commit(Batch& b, core::RateLimit& warn_limit) {
  // ---- Insert, retrying while PostgreSQL is away; ack only after the commit -------------------
  int inserted = 0, rejected = b.rejected;
  bool committed = false;
  int pg_backoff_ms = 250;
  std::vector<natsMsg*> good = b.msgs;
  while (!stop_) {
    auto r = store_.insert_batch(b.events);
    if (r) {
      inserted = *r;
      committed = true;
      break;
    }
    {
      std::lock_guard lock(status_m_);
      ++status_.batches_failed_total;
      status_.last_error = r.error().message;
    }
    if (r.error().code == "pg_rejected") {
      // Some event in the batch is refused: isolate it, keep the rest.
      kLog.warn("batch refused ({}); inserting one by one", r.error().message);
      std::vector<natsMsg*> kept;
      for (size_t i = 0; i < b.events.size(); ++i) {
        auto one = store_.insert_batch({b.events[i]});
        if (one) {
          inserted += *one;
        } else if (one.error().code == "pg_rejected") {
          kLog.warn("event {} refused by PostgreSQL and terminated: {}", b.events[i].event.id, one.error().message);
          natsMsg_Term(b.msgs[i], nullptr);
          ++rejected;
          continue;
        } else {
          break;  // connection lost half way: the rest is redelivered
        }
        kept.push_back(b.msgs[i]);
      }
      good = kept;
      committed = true;
      break;
    }
    if (warn_limit.allow()) kLog.warn("{}; retrying the batch", r.error().message);
    for (auto* m : good) natsMsg_InProgress(m, nullptr);  // keep them ours while we retry
    sleep_for(pg_backoff_ms);
    pg_backoff_ms = std::min(pg_backoff_ms * 2, 5000);
  }
  if (committed)
    for (auto* m : good) natsMsg_Ack(m, nullptr);
  std::lock_guard lock(status_m_);
  status_.inserted_total += inserted;
  status_.rejected_total += rejected;
}

}  // namespace vsp::center

#pragma once
/// The node's uplink: drains the SQLite outbox to NATS JetStream, in outbox order, one message per
/// event on `vsp.events.<site>.<node>.<camera>.<type>` with `Nats-Msg-Id` = event id, and deletes
/// an outbox row only after JetStream acknowledged it (at-least-once; the id deduplicates at every
/// hop). While the broker is away the outbox grows up to `max_outbox_events` (the oldest rows are
/// dropped above it and counted). Every `heartbeat_s` it publishes the node's state on
/// `vsp.heartbeat.<site>.<node>`.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "core/secret.hpp"
#include "store/store.hpp"

namespace vsp::uplink {

struct UplinkOptions {
  std::vector<std::string> servers;  ///< nats://host:port, tried in order
  core::NatsAuth auth;               ///< credentials and TLS (secrets read at each connect)
  std::string site = "local", node = "local";
  std::int64_t max_outbox_events = 1000000;
  double heartbeat_s = 5;
  int batch = 512;                  ///< events published per round before waiting for acks
  std::int64_t ack_wait_ms = 5000;  ///< a round's acks not back by then are retried next round
  std::string evidence_public_key;  ///< the key sealing the node's evidence packs (heartbeat), if any
};

/// A camera's state as the heartbeat reports it.
struct CameraState {
  std::string name, state, last_error;
};

/// Counters for /metrics and the heartbeat; read at any time.
struct UplinkStatus {
  bool connected = false;
  std::int64_t published_total = 0;         ///< events acknowledged by JetStream
  std::int64_t publish_failures_total = 0;  ///< publishes not acknowledged (retried later)
  std::int64_t outbox_dropped_total = 0;    ///< outbox rows dropped by the bound
  std::string last_error;
};

/// Where the node's evidence comes from (set by the node before start()). The center reads it over
/// NATS request-reply on `vsp.evidence.<site>.<node>` (the node needs no inbound port):
/// `{"op":"open","kind":"clip","camera","start_ms","end_ms"}` or `{"op":"open","kind":"snapshot",
/// "event_id"}` answers `{"ok":true,"file":TOKEN,"size":N,"content_type"}` (or `{"ok":false,"code",
/// "message"}`); `{"op":"read","file":TOKEN,"offset","length"}` answers the raw bytes (≤ 512 KiB).
struct EvidenceSource {
  /// Absolute path of an MP4 of the range (remuxed from the recordings).
  std::function<core::Result<std::string>(const std::string& camera, std::int64_t start_ms, std::int64_t end_ms)>
      export_clip;
  /// Absolute path of the event's snapshot.
  std::function<core::Result<std::string>(const std::string& event_id)> snapshot_path;
  /// Absolute path of one file of an evidence pack: `{"op":"open","kind":"evidence","event_id",
  /// "file"}` (the center lists a pack by reading its manifest.json this way).
  std::function<core::Result<std::string>(const std::string& event_id, const std::string& file)> evidence_file;
};

/// Answers the center's rule requests on `vsp.rules.<site>.<node>` (request JSON text in, reply
/// JSON text out; the node's API implements it, see api::HttpServer). Runs on the NATS library's
/// delivery thread.
using RulesHandler = std::function<std::string(const std::string& request)>;
/// Messages on a subject the node listens to (subject, body), called on the NATS library's thread.
using MessageHandler = std::function<void(const std::string& subject, const std::string& body)>;

class Uplink {
 public:
  using CameraStates = std::function<std::vector<CameraState>()>;
  /// `store` must outlive the uplink. Nothing connects until start().
  Uplink(UplinkOptions options, store::Store& store, CameraStates cameras);
  ~Uplink();
  /// Starts the drain thread; it connects (and reconnects) in the background.
  void start();
  /// Makes one last drain attempt (bounded by ack_wait_ms), then disconnects.
  void stop();
  UplinkStatus status() const;

  /// `vsp.events.<site>.<node>.<camera>.<type>`; characters NATS reserves in a token ('.', '*',
  /// '>', spaces) become '_'.
  /// Serves evidence to the center (see EvidenceSource); call before start().
  void set_evidence_source(EvidenceSource source) { evidence_ = std::move(source); }
  static std::string evidence_subject(const std::string& site, const std::string& node);
  /// Serves the center's rule requests; set before start() to subscribe. Reset with an empty
  /// handler (waits for a request being answered): later requests get a 503 reply.
  void set_rules_handler(RulesHandler handler) {
    std::lock_guard lock(rules_m_);
    rules_ = std::move(handler);
    rules_wanted_ = rules_wanted_ || static_cast<bool>(rules_);
  }
  /// Subscribes `handler` to `subject` (wildcards allowed) at every connect; call before start().
  void subscribe(std::string subject, MessageHandler handler) {
    subscriptions_.push_back({std::move(subject), std::move(handler)});
  }

  static std::string subject_for(const std::string& site, const std::string& node, const std::string& camera,
                                 const std::string& type);

 private:
  struct Nats;
  void run();
  bool connect();
  /// Publishes one batch; returns the number of events acknowledged, -1 on a failed round.
  int drain_once();
  void heartbeat(std::int64_t now_ms);
  /// Answers one evidence request (runs on the NATS library's delivery thread).
  std::string answer_evidence(const std::string& request);
  /// Answers one rule request through the handler (NATS delivery thread).
  std::string answer_rules(const std::string& request);

  UplinkOptions opt_;
  store::Store& store_;
  CameraStates cameras_;
  std::unique_ptr<Nats> nats_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex wake_m_;
  std::condition_variable wake_cv_;
  mutable std::mutex status_m_;
  UplinkStatus status_;
  EvidenceSource evidence_;
  struct Subscription {
    std::string subject;
    MessageHandler handler;
  };
  std::vector<Subscription> subscriptions_;  ///< set before start(), read-only after
  std::mutex files_m_;
  std::map<std::string, std::string> files_;  ///< evidence tokens handed out -> absolute paths
  std::mutex rules_m_;                        ///< held while a rule request is answered
  RulesHandler rules_;
  bool rules_wanted_ = false;  ///< a handler was set: subscribe at connect
};

}  // namespace vsp::uplink

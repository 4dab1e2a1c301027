#pragma once
/// Alerts: rules in the center config (an event filter, optionally a plate list) whose matches are
/// written to `alert_outbox` in the same transaction that inserts the event (so each new event
/// alerts once, never for a redelivered duplicate), then delivered at least once by the
/// dispatcher: a webhook POST (JSON, `Idempotency-Key: <alert>:<event id>`, retries with
/// exponential backoff) and/or a JetStream message on `vsp.alerts.<name>` (stream VSP_ALERTS,
/// `Nats-Msg-Id` and `Idempotency-Key` = the same key).
/// Plate lists are for vehicles (stolen cars, permits); there are no person watchlists.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/secret.hpp"
#include "events/event.hpp"

namespace vsp::center {

class PgStore;

struct AlertRule {
  std::string name;  ///< [A-Za-z0-9_-]+, unique; also the NATS subject's last token
  std::optional<std::string> type, site, node, camera, rule, class_name;  ///< exact filters
  std::vector<std::string> plates;  ///< upper case; non-empty: the event's plate text must be one
  std::int64_t min_count = 1;       ///< fire when this many matching events fall within window_s
  double window_s = 60;             ///< the window ending at the event, s (event time)
  double cooldown_s = 0;            ///< minimum event time between two firings of this rule, s
  std::string webhook;              ///< http://host:port/path; empty: none
  bool nats = true;                 ///< publish on vsp.alerts.<name>
};

/// Pure: the rules an event matches, in config order.
std::vector<const AlertRule*> match_alerts(const std::vector<AlertRule>& rules, const events::Event& e);

struct DispatcherStatus {
  std::int64_t delivered_total = 0, failed_attempts_total = 0;
  std::string last_error;
};

class AlertDispatcher {
 public:
  AlertDispatcher(std::vector<std::string> nats_servers, PgStore& store, core::NatsAuth nats_auth = {});
  ~AlertDispatcher();
  void start();
  void stop();
  DispatcherStatus status() const;

 private:
  struct Nats;
  void run();
  bool deliver(const std::string& channel, const std::string& target, const std::string& key,
               const std::string& subject, const std::string& body, std::string& error);

  std::vector<std::string> servers_;
  core::NatsAuth nats_auth_;
  PgStore& store_;
  std::unique_ptr<Nats> nats_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex wake_m_;
  std::condition_variable wake_cv_;
  mutable std::mutex status_m_;
  DispatcherStatus status_;
};

}  // namespace vsp::center

#pragma once
/// The center's ingest: creates/updates the JetStream stream and the durable pull consumer (shared
/// by every center process on the same stream), fetches batches, writes them to PostgreSQL and
/// acks only after the commit: at-least-once delivery + idempotent insert = each event once.
/// Also records node heartbeats. NATS or PostgreSQL going away is retried with backoff.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "center/center_config.hpp"
#include "center/pg_store.hpp"
#include "core/log.hpp"

namespace vsp::center {

struct ConsumerStatus {
  bool connected = false;           ///< to NATS, with the consumer bound
  std::int64_t received_total = 0;  ///< messages fetched (redeliveries included)
  std::int64_t inserted_total = 0;  ///< new rows (duplicates are not counted)
  std::int64_t rejected_total = 0;  ///< malformed messages terminated
  std::int64_t heartbeats_total = 0;
  std::int64_t batches_failed_total = 0;  ///< PostgreSQL errors (batch retried)
  std::string last_error;
};

class Consumer {
 public:
  Consumer(CenterConfig config, PgStore& store);
  ~Consumer();
  void start();
  void stop();
  ConsumerStatus status() const;

 private:
  struct Nats;
  struct Batch;
  void run();
  void commit_loop();
  void parse(Batch& b, core::RateLimit& warn_limit);
  void commit(Batch& b, core::RateLimit& warn_limit);
  void wait_commits_idle();
  void sleep_for(int ms);
  bool setup();
  void handle_heartbeat(const std::string& data);
  void set_error(const std::string& e);

  CenterConfig cfg_;
  PgStore& store_;
  std::unique_ptr<Nats> nats_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex wake_m_;
  std::condition_variable wake_cv_;
  std::mutex q_m_;  ///< guards the fetched batches waiting for the commit workers
  std::condition_variable q_cv_;
  std::deque<std::unique_ptr<Batch>> queue_;
  int committing_ = 0;    ///< batches a worker holds
  int workers_left_ = 0;  ///< commit workers still running
  bool commit_stop_ = false;
  mutable std::mutex status_m_;
  ConsumerStatus status_;
};

}  // namespace vsp::center

#pragma once
/// The center's HTTP API (civetweb, the node's conventions from docs/api.md): `GET /api/events`
/// across nodes, `GET /api/counts` from the rollups, `GET /api/nodes`, `/metrics`, `/healthz`.
/// Errors are `{code, message, path}` with an HTTP status.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "center/alerts.hpp"
#include "center/consumer.hpp"
#include "center/pg_store.hpp"
#include "core/result.hpp"

struct mg_context;
struct mg_connection;

namespace vsp::center {

class CenterApi {
 public:
  /// Binds `listen`; errors when the port is taken. `consumer` may be null (API only).
  static core::Result<std::unique_ptr<CenterApi>> start(const std::string& listen, PgStore& store,
                                                        const Consumer* consumer,
                                                        const AlertDispatcher* alerts = nullptr);
  ~CenterApi();
  /// NATS servers used to fetch evidence from the nodes (request-reply); set before start.
  void set_nats_servers(std::vector<std::string> servers) {
    std::lock_guard lock(nats_m_);
    nats_servers_ = std::move(servers);
  }
  void stop();
  int handle(mg_connection* conn);

 private:
  CenterApi(PgStore& store, const Consumer* consumer, const AlertDispatcher* alerts);
  std::string metrics_text();
  /// Streams one evidence file from a node to the client; returns the HTTP status sent.
  int relay_evidence(mg_connection* conn, const std::string& site, const std::string& node,
                     const std::string& open_request);
  struct Nats;
  std::mutex nats_m_;
  std::unique_ptr<Nats> nats_;
  std::vector<std::string> nats_servers_;
  PgStore& store_;
  const Consumer* consumer_;
  const AlertDispatcher* alerts_;
  mg_context* ctx_ = nullptr;
  std::atomic<bool> stopping_{false};
};

}  // namespace vsp::center

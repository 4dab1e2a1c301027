#pragma once
/// The center's HTTP API (civetweb, the node's conventions from docs/api.md): `GET /api/events`
/// across nodes, `GET /api/counts` from the rollups, `GET /api/nodes`, `/metrics`, `/healthz`.
/// Errors are `{code, message, path}` with an HTTP status.
#include <atomic>
#include <functional>
#include <memory>
#include <string>

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
  void stop();
  int handle(mg_connection* conn);

 private:
  CenterApi(PgStore& store, const Consumer* consumer, const AlertDispatcher* alerts)
      : store_(store), consumer_(consumer), alerts_(alerts) {}
  std::string metrics_text();
  PgStore& store_;
  const Consumer* consumer_;
  const AlertDispatcher* alerts_;
  mg_context* ctx_ = nullptr;
  std::atomic<bool> stopping_{false};
};

}  // namespace vsp::center

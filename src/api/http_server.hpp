#pragma once
/// The node's HTTP API (JSON over HTTP, civetweb): cameras, events, counts, recordings, clips,
/// snapshots, the MJPEG live view, /metrics, /healthz and the built-in page at /.
/// Errors are `{code, message, path}` with an HTTP status.
#include <atomic>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "pipeline/node.hpp"

struct mg_context;
struct mg_connection;

namespace vsp::api {

class HttpServer {
 public:
  /// Binds `listen` ("127.0.0.1:8080"); errors when the port is taken.
  static core::Result<std::unique_ptr<HttpServer>> start(const std::string& listen, pipeline::Node& node);
  ~HttpServer();
  /// Stops accepting, ends live streams, waits for handlers.
  void stop();
  int handle(mg_connection* conn);

 private:
  explicit HttpServer(pipeline::Node& node) : node_(node) {}
  pipeline::Node& node_;
  mg_context* ctx_ = nullptr;
  std::atomic<bool> stopping_{false};
};

}  // namespace vsp::api

#include <fmt/format.h>
#include <signal.h>

#include <chrono>

#include "api/http_server.hpp"
#include "app/commands.hpp"
#include "config/serve_config.hpp"
#include "pipeline/node.hpp"

namespace vsp::app {

int cmd_serve(const std::string& config_path) {
  // SIGINT/SIGTERM are taken by this thread with sigwait: block them before any thread starts so
  // every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto parsed = config::load_serve_config(config_path);
  if (auto* errs = std::get_if<config::ConfigErrors>(&parsed)) {
    for (const auto& e : *errs) fmt::print(stderr, "{}\n", e.to_string());
    fmt::print(stderr, "vsp serve: {} error(s) in the config; not started\n", errs->size());
    return 1;
  }
  const auto& cfg = std::get<config::ServeConfig>(parsed);
  auto node = pipeline::Node::create(cfg);
  if (!node) {
    fmt::print(stderr, "vsp serve: {}\n", node.error().message);
    return 1;
  }
  auto server = api::HttpServer::start(cfg.listen, **node);
  if (!server) {
    fmt::print(stderr, "vsp serve: {}\n", server.error().message);
    return 1;
  }
  (*node)->start();
  fmt::print(stderr,
             "vsp serve: {} camera(s); web page and API on http://{}/ (loopback only until authentication "
             "arrives); storage in {}\n",
             cfg.cameras.size(), cfg.listen, cfg.storage_path);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  const auto t0 = std::chrono::steady_clock::now();
  fmt::print(stderr, "vsp serve: {} received, stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  (*server)->stop();  // stop accepting and end live views first
  (*node)->stop();    // then close segments and flush the store
  fmt::print(stderr, "vsp serve: stopped cleanly in {:.1f} s\n",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}

}  // namespace vsp::app

#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

#include "api/http_server.hpp"
#include "app/cli_util.hpp"
#include "app/commands.hpp"
#include "auth/auth_store.hpp"
#include "config/serve_config.hpp"
#include "pipeline/node.hpp"
#include "privacy/jpeg_blur.hpp"
#include "privacy/video_blur.hpp"

namespace vsp::app {

int cmd_serve(const std::string& config_path) {
  const sigset_t stop_signals = block_stop_signals();  // before any thread starts

  auto parsed = config::load_serve_config(config_path);
  if (auto* errs = std::get_if<config::ConfigErrors>(&parsed)) {
    print_config_errors(*errs, "vsp serve", "not started");
    return 1;
  }
  const auto& cfg = std::get<config::ServeConfig>(parsed);
  auto node = pipeline::Node::create(cfg);
  if (!node) {
    fmt::print(stderr, "vsp serve: {}\n", node.error().message);
    return 1;
  }
  auto accounts = auth::AuthStore::open((std::filesystem::path(cfg.storage_path) / "vsp.db").string());
  if (!accounts) {
    fmt::print(stderr, "vsp serve: {}\n", accounts.error().message);
    return 1;
  }
  const bool loopback = config::is_loopback_listen(cfg.listen);
  const bool users = (*accounts)->has_users();
  if (!users) {
    fmt::print(stderr,
               "vsp serve: no user accounts yet. Create the first admin with\n"
               "  vsp user add NAME --role admin --config {}\n",
               config_path);
    if (!loopback) {
      fmt::print(stderr, "vsp serve: refusing to listen on {} (not loopback) without any user\n", cfg.listen);
      return 1;
    }
  }
  api::ServerOptions opts;
  opts.listen = cfg.listen;
  if (cfg.tls) {
    opts.tls_cert = cfg.tls->cert;
    opts.tls_key = cfg.tls->key;
  }
  opts.auth = accounts->get();
  opts.open_without_users = loopback;
  if (cfg.privacy.blur_faces) {
    auto blur = privacy::make_jpeg_blur(privacy::default_face_model_path());
    if (!blur) {
      fmt::print(stderr, "vsp serve: privacy.blur_faces: {}\n", blur.error().message);
      return 1;
    }
    opts.blur = std::move(blur).value();
    auto export_det = privacy::FaceDetector::load(privacy::default_face_model_path(), 640);
    if (!export_det) {
      fmt::print(stderr, "vsp serve: privacy.blur_faces: {}\n", export_det.error().message);
      return 1;
    }
    // Exports get their own detector (a long export does not stall live views) and run one at a time.
    auto export_blur = std::make_shared<privacy::FaceBlur>(std::move(export_det).value(), privacy::BlurOptions{});
    auto export_m = std::make_shared<std::mutex>();
    opts.blur_clip = [export_blur, export_m](const std::string& clip) -> core::Result<std::string> {
      std::lock_guard lk(*export_m);
      const std::string out = clip.substr(0, clip.rfind('.')) + ".blurred.mp4";
      if (std::filesystem::exists(out)) return out;
      auto st = privacy::blur_video(clip, out, *export_blur, "export:" + clip);
      export_blur->forget("export:" + clip);
      if (!st) return st.error();
      return out;
    };
  }
  auto server = api::HttpServer::start(opts, **node);
  if (!server) {
    fmt::print(stderr, "vsp serve: {}\n", server.error().message);
    return 1;
  }
  (*node)->start();
  fmt::print(stderr, "vsp serve: {} camera(s); web page and API on {}://{}/ ({}); faces {}; storage in {}\n",
             cfg.cameras.size(), cfg.tls ? "https" : "http", cfg.listen,
             users ? "login required" : "OPEN to anyone on this machine until a user exists",
             cfg.privacy.blur_faces ? "blurred" : "NOT blurred (privacy.blur_faces: false)", cfg.storage_path);
  const char* sig = wait_stop_signal(stop_signals);
  const auto t0 = std::chrono::steady_clock::now();
  fmt::print(stderr, "vsp serve: {} received, stopping\n", sig);
  (*server)->stop();  // stop accepting and end live views first
  (*node)->stop();    // then close segments and flush the store
  fmt::print(stderr, "vsp serve: stopped cleanly in {:.1f} s\n",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}

}  // namespace vsp::app

#include <fmt/format.h>
#include <signal.h>

#include <chrono>

#include "app/cli_util.hpp"
#include "app/commands.hpp"
#include "auth/auth_store.hpp"
#include "center/alerts.hpp"
#include "center/center_api.hpp"
#include "center/center_config.hpp"
#include "center/consumer.hpp"
#include "center/pg_auth_store.hpp"
#include "center/pg_store.hpp"

namespace vsp::app {

int cmd_center(const std::string& config_path) {
  const sigset_t stop_signals = block_stop_signals();  // before any thread starts

  auto parsed = center::load_center_config(config_path);
  if (auto* errs = std::get_if<config::ConfigErrors>(&parsed)) {
    print_config_errors(*errs, "vsp center", "not started");
    return 1;
  }
  const auto& cfg = std::get<center::CenterConfig>(parsed);
  // A wrong DSN or an unreachable database at start is an error (a supervisor restarts us);
  // NATS away at start is retried in the background, the search API serves meanwhile.
  auto pg_password = core::read_secret(cfg.postgres_password, "postgres.password");
  if (!pg_password) {
    fmt::print(stderr, "{}: {}\nvsp center: not started\n", config_path, pg_password.error().message);
    return 1;
  }
  auto store = center::PgStore::open(cfg.postgres_dsn, *pg_password);
  if (!store) {
    fmt::print(stderr, "{}: {}\nvsp center: not started\n", config_path, store.error().message);
    return 1;
  }
  (*store)->set_alert_rules(cfg.alerts);
  center::Consumer consumer(cfg, **store);
  center::AlertDispatcher alerts(cfg.nats_servers, **store, cfg.nats_auth);
  // Accounts, tokens, sessions and the audit log: the node's `auth` policy on PostgreSQL tables,
  // shared by every center on the database (one audit chain).
  auto accounts = center::PgAuthStore::open(**store);
  if (!accounts) {
    fmt::print(stderr, "{}: {}\nvsp center: not started\n", config_path, accounts.error().message);
    return 1;
  }
  if (!(*accounts)->has_users())
    fmt::print(stderr,
               "vsp center: no user yet: the API answers every loopback client as admin. Create the first admin "
               "with\n  vsp user add NAME --role admin --config {}\n",
               config_path);
  center::CenterAuth center_auth;
  center_auth.store = accounts->get();
  auto api = center::CenterApi::start(cfg.listen, **store, &consumer, &alerts, center_auth);
  if (!api) {
    fmt::print(stderr, "{}: {}\nvsp center: not started\n", config_path, api.error().message);
    return 1;
  }
  (*api)->set_nats_servers(cfg.nats_servers, cfg.nats_auth);  // evidence from the nodes
  consumer.start();
  alerts.start();
  fmt::print(stderr, "vsp center: stream {} (R{}) -> PostgreSQL; API on http://{}/ (loopback only)\n", cfg.stream,
             cfg.replicas, cfg.listen);
  const char* sig = wait_stop_signal(stop_signals);
  const auto t0 = std::chrono::steady_clock::now();
  fmt::print(stderr, "vsp center: {} received, stopping\n", sig);
  (*api)->stop();
  consumer.stop();  // a batch in flight is either committed and acked or redelivered later
  alerts.stop();    // a delivery in flight is retried by the next center after its lease
  fmt::print(stderr, "vsp center: stopped cleanly in {:.1f} s\n",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}

}  // namespace vsp::app

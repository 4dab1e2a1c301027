#pragma once
/// `vsp center CONFIG`: where the events come from (NATS JetStream), where they go (PostgreSQL)
/// and where the search API listens. Errors read like the node's: `file:line: key: message`.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "center/alerts.hpp"
#include "config/analyze_config.hpp"
#include "core/secret.hpp"

namespace vsp::center {

struct CenterConfig {
  // nats:
  std::vector<std::string> nats_servers;  ///< nats://host:port
  core::NatsAuth nats_auth;               ///< nats.user|password_*|token_*|tls (where secrets are, not them)
  std::string stream = "VSP_EVENTS";
  int replicas = 1;                     ///< 1 or 3
  std::string consumer = "vsp-center";  ///< durable pull consumer shared by every center process
  double ack_wait_s = 30;               ///< redelivery delay of a batch a dead center did not ack
  double max_age_days = 7;              ///< how long the stream keeps events (replay window)
  int batch = 1000;                     ///< events per fetch and per PostgreSQL transaction
  // postgres:
  std::string postgres_dsn;           ///< libpq connection string or URI (sslmode, sslrootcert... go here)
  core::SecretRef postgres_password;  ///< postgres.password_file / password_env (kept out of the DSN)
  int workers = 1;                    ///< batches parsed and inserted at once, each in its own transaction
  // api:
  std::string listen = "127.0.0.1:8090";
  // alerts:
  std::vector<AlertRule> alerts;
};

std::variant<CenterConfig, config::ConfigErrors> parse_center_config(const std::string& yaml_text,
                                                                     const std::string& file_name);
std::variant<CenterConfig, config::ConfigErrors> load_center_config(const std::string& path);

/// True when the YAML text has a top-level key only a center config has (`postgres:`).
bool looks_like_center_config(const std::string& yaml_text);

}  // namespace vsp::center

#pragma once
/// Secrets named by configs (NATS passwords and tokens, PostgreSQL passwords): read from a file or
/// an environment variable when a connection is made, kept out of the config's values, logs,
/// `vsp config check` output and `/api`. Configs hold only where a secret is, never the secret.
#include <string>

#include "core/result.hpp"

namespace vsp::core {

/// Where one secret comes from: a file (its first line) or an environment variable; neither = none.
struct SecretRef {
  std::string file;
  std::string env;
  bool empty() const { return file.empty() && env.empty(); }
};

/// The secret; an empty string for an empty ref. Errors name the file or variable, never a value.
/// `key` is the config path shown in errors ("uplink.nats.password").
Result<std::string> read_secret(const SecretRef& ref, const std::string& key);

/// Credentials and TLS for a NATS connection (node uplink, center consumer, alerts, evidence).
struct NatsAuth {
  std::string user;          ///< with `password`
  SecretRef password;        ///< password_file / password_env
  SecretRef token;           ///< token_file / token_env (instead of user and password)
  std::string tls_ca;        ///< CA bundle (PEM) the server's certificate must chain to; set = TLS
  std::string tls_cert;      ///< client certificate (PEM), with tls_key, for mutual TLS
  std::string tls_key;       ///< client private key (PEM)
  bool tls_section = false;  ///< a `tls:` section was given (even empty: TLS, the system's CA store)
  bool tls() const { return tls_section || !tls_ca.empty() || !tls_cert.empty(); }
};

}  // namespace vsp::core

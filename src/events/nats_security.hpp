#pragma once
/// Applies `core::NatsAuth` (credentials, TLS) to a cnats `natsOptions`: one place for the node's
/// uplink and the center's consumer, alerts and evidence relay. Header-only: only modules that
/// link cnats include it. Secrets are read here, at connect time, and go nowhere but cnats.
#include <fmt/format.h>
#include <nats/nats.h>

#include "core/result.hpp"
#include "core/secret.hpp"

namespace vsp::events {

/// `key` is the config section ("uplink.nats", "nats") for error messages.
inline core::Status apply_nats_auth(natsOptions* o, const core::NatsAuth& a, const std::string& key) {
  if (!a.user.empty()) {
    auto pw = core::read_secret(a.password, key + ".password");
    if (!pw) return pw.error();
    if (natsOptions_SetUserInfo(o, a.user.c_str(), pw->c_str()) != NATS_OK)
      return core::make_error("nats_auth", fmt::format("{}.user: rejected by the NATS client", key));
  }
  if (!a.token.empty()) {
    auto tok = core::read_secret(a.token, key + ".token");
    if (!tok) return tok.error();
    if (natsOptions_SetToken(o, tok->c_str()) != NATS_OK)
      return core::make_error("nats_auth", fmt::format("{}.token: rejected by the NATS client", key));
  }
  if (a.tls()) {
    if (natsOptions_SetSecure(o, true) != NATS_OK)
      return core::make_error("nats_tls", fmt::format("{}.tls: this NATS client was built without TLS", key));
    if (!a.tls_ca.empty() && natsOptions_LoadCATrustedCertificates(o, a.tls_ca.c_str()) != NATS_OK)
      return core::make_error("nats_tls", fmt::format("{}.tls.ca: cannot load {}", key, a.tls_ca));
    if (!a.tls_cert.empty() && natsOptions_LoadCertificatesChain(o, a.tls_cert.c_str(), a.tls_key.c_str()) != NATS_OK)
      return core::make_error("nats_tls",
                              fmt::format("{}.tls.cert/key: cannot load {} / {}", key, a.tls_cert, a.tls_key));
  }
  return core::Ok{};
}

}  // namespace vsp::events

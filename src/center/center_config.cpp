#include "center/center_config.hpp"

#include "config/reader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace vsp::center {

namespace {

/// The declared keys of each map (unknown keys are errors).
const std::map<std::string, std::vector<std::string>> kKeys = {
    {"", {"nats", "postgres", "api", "alerts", "auth"}},
    {"auth", {"db"}},
    {"alerts[]",
     {"name", "type", "site", "node", "camera", "rule", "class", "plates", "min_count", "window_s", "cooldown_s",
      "webhook", "nats"}},
    {"nats",
     {"servers", "stream", "replicas", "consumer", "ack_wait_s", "max_age_days", "batch", "user", "password_file",
      "password_env", "token_file", "token_env", "tls"}},
    {"nats.tls", {"ca", "cert", "key"}},
    {"postgres", {"dsn", "password_file", "password_env", "workers"}},
    {"api", {"listen"}},
};

/// The config module's reader (one set of messages for every config file), with the center's
/// key lists looked up by section.
class Reader : public config::Reader {
 public:
  using config::Reader::Reader;

  bool check_map(const YAML::Node& n, const std::string& path, const std::string& section = "") {
    return config::Reader::check_map(n, path, kKeys.at(section.empty() ? path : section));
  }
  std::optional<double> number(const YAML::Node& n, const std::string& path, double lo, double hi) {
    return config::Reader::number(n, path, config::Bounds{lo, hi});
  }
};

bool valid_name(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

}  // namespace

std::variant<CenterConfig, config::ConfigErrors> parse_center_config(const std::string& text, const std::string& file) {
  config::ConfigErrors errors;
  CenterConfig cfg;
  const auto loaded = config::load_yaml(text, file, errors);
  if (!loaded) return errors;
  const YAML::Node root = *loaded;
  Reader r(file, errors);
  if (!r.check_map(root, "")) return errors;

  // ---- nats -------------------------------------------------------------------------------------
  if (const auto n = root["nats"]; !n) {
    r.error(root, "nats", "missing required key 'nats'");
  } else if (r.check_map(n, "nats")) {
    const auto servers = n["servers"];
    if (!servers || !servers.IsSequence() || servers.size() == 0)
      r.error(servers ? servers : n, "nats.servers", "expected a non-empty list of nats://HOST:PORT");
    for (size_t i = 0; servers && servers.IsSequence() && i < servers.size(); ++i) {
      const std::string p = fmt::format("nats.servers[{}]", i);
      if (auto v = r.string(servers[i], p)) {
        if (v->rfind("nats://", 0) != 0 && v->rfind("tls://", 0) != 0)
          r.error(servers[i], p, fmt::format("expected nats://HOST:PORT, got '{}'", *v));
        cfg.nats_servers.push_back(*v);
      }
    }
    if (n["stream"])
      if (auto v = r.string(n["stream"], "nats.stream")) {
        if (!valid_name(*v))
          r.error(n["stream"], "nats.stream",
                  fmt::format("'{}' is not a valid stream name (letters, digits, _ -)", *v));
        cfg.stream = *v;
      }
    if (n["consumer"])
      if (auto v = r.string(n["consumer"], "nats.consumer")) {
        if (!valid_name(*v))
          r.error(n["consumer"], "nats.consumer",
                  fmt::format("'{}' is not a valid consumer name (letters, digits, _ -)", *v));
        cfg.consumer = *v;
      }
    if (n["replicas"])
      if (auto v = r.number(n["replicas"], "nats.replicas", 1, 5)) {
        if (*v != 1 && *v != 3 && *v != 5)
          r.error(n["replicas"], "nats.replicas", fmt::format("expected 1, 3 or 5, got {}", *v));
        cfg.replicas = static_cast<int>(*v);
      }
    // Credentials and TLS: where the secrets are (files, environment), never the secrets themselves.
    auto& a = cfg.nats_auth;
    const std::pair<const char*, std::string*> creds[] = {{"user", &a.user},
                                                          {"password_file", &a.password.file},
                                                          {"password_env", &a.password.env},
                                                          {"token_file", &a.token.file},
                                                          {"token_env", &a.token.env}};
    for (const auto& [key, field] : creds)
      if (n[key])
        if (auto v = r.string(n[key], std::string("nats.") + key)) *field = *v;
    if (!a.password.file.empty() && !a.password.env.empty())
      r.error(n, "nats", "password_file and password_env: give one");
    if (!a.token.file.empty() && !a.token.env.empty()) r.error(n, "nats", "token_file and token_env: give one");
    if (!a.user.empty() && a.password.empty()) r.error(n, "nats", "user needs password_file or password_env");
    if (a.user.empty() && !a.password.empty()) r.error(n, "nats", "a password needs a user");
    if (!a.user.empty() && !a.token.empty()) r.error(n, "nats", "user and token: give one way to log in");
    if (const auto t = n["tls"]; t && r.check_map(t, "nats.tls")) {
      const std::pair<const char*, std::string*> files[] = {
          {"ca", &a.tls_ca}, {"cert", &a.tls_cert}, {"key", &a.tls_key}};
      for (const auto& [key, field] : files)
        if (t[key])
          if (auto v = r.string(t[key], std::string("nats.tls.") + key)) *field = *v;
      if (a.tls_cert.empty() != a.tls_key.empty()) r.error(t, "nats.tls", "cert and key go together (mutual TLS)");
      a.tls_section = true;
    }
    if (n["ack_wait_s"])
      if (auto v = r.number(n["ack_wait_s"], "nats.ack_wait_s", 1, 3600)) cfg.ack_wait_s = *v;
    if (n["max_age_days"])
      if (auto v = r.number(n["max_age_days"], "nats.max_age_days", 0.001, 3650)) cfg.max_age_days = *v;
    if (n["batch"])
      if (auto v = r.number(n["batch"], "nats.batch", 1, 10000)) cfg.batch = static_cast<int>(*v);
  }
  // ---- postgres ---------------------------------------------------------------------------------
  if (const auto p = root["postgres"]; !p) {
    r.error(root, "postgres", "missing required key 'postgres'");
  } else if (r.check_map(p, "postgres")) {
    if (!p["dsn"])
      r.error(p, "postgres.dsn", "missing required key 'dsn'");
    else if (auto v = r.string(p["dsn"], "postgres.dsn"))
      cfg.postgres_dsn = *v;
    if (p["password_file"])
      if (auto v = r.string(p["password_file"], "postgres.password_file")) cfg.postgres_password.file = *v;
    if (p["password_env"])
      if (auto v = r.string(p["password_env"], "postgres.password_env")) cfg.postgres_password.env = *v;
    if (!cfg.postgres_password.file.empty() && !cfg.postgres_password.env.empty())
      r.error(p, "postgres", "password_file and password_env: give one");
    if (p["workers"])
      if (auto v = r.number(p["workers"], "postgres.workers", 1, 16)) cfg.workers = static_cast<int>(*v);
  }
  // ---- api --------------------------------------------------------------------------------------
  if (const auto a = root["api"]; a && r.check_map(a, "api") && a["listen"]) {
    if (auto v = r.string(a["listen"], "api.listen")) {
      const auto colon = v->rfind(':');
      int port = 0;
      try {
        port = colon == std::string::npos ? 0 : std::stoi(v->substr(colon + 1));
      } catch (const std::exception&) {
      }
      const std::string host = colon == std::string::npos ? "" : v->substr(0, colon);
      if (port <= 0 || port > 65535)
        r.error(a["listen"], "api.listen", fmt::format("expected HOST:PORT, got '{}'", *v));
      else if (host != "127.0.0.1" && host != "localhost" && host != "::1")
        r.error(a["listen"], "api.listen",
                fmt::format("'{}' is not loopback: the center API serves plain HTTP, so it binds loopback only (put a "
                            "TLS proxy in front)",
                            host));
      else
        cfg.listen = *v;
    }
  }
  // ---- auth: the accounts and audit log moved to PostgreSQL; an old `auth.db` is named, not ignored
  if (const auto a = root["auth"]; a && r.check_map(a, "auth") && a["db"])
    r.error(a["db"], "auth.db",
            "the center keeps its accounts, sessions and audit log in PostgreSQL (postgres.dsn), shared by every "
            "center on the database; remove auth.db and re-create the accounts with vsp user add --config");
  // ---- alerts -----------------------------------------------------------------------------------
  if (const auto al = root["alerts"]; al && !al.IsSequence()) {
    r.error(al, "alerts", "expected a list of alert rules");
  } else if (al) {
    std::set<std::string> names;
    for (size_t i = 0; i < al.size(); ++i) {
      const auto a = al[i];
      std::string p = fmt::format("alerts[{}]", i);
      if (!r.check_map(a, p, "alerts[]")) continue;
      AlertRule rule;
      if (!a["name"]) {
        r.error(a, p, "missing required key 'name'");
      } else if (auto v = r.string(a["name"], p + ".name")) {
        if (!valid_name(*v))
          r.error(a["name"], p + ".name", fmt::format("'{}' is not a valid name (letters, digits, _ -)", *v));
        else if (!names.insert(*v).second)
          r.error(a["name"], p + ".name", fmt::format("duplicate alert name '{}'", *v));
        rule.name = *v;
        p = fmt::format("alerts[{}]", *v);
      }
      const std::pair<const char*, std::optional<std::string>*> filters[] = {
          {"type", &rule.type},     {"site", &rule.site}, {"node", &rule.node},
          {"camera", &rule.camera}, {"rule", &rule.rule}, {"class", &rule.class_name}};
      for (const auto& [key, field] : filters)
        if (a[key])
          if (auto v = r.string(a[key], p + "." + key)) *field = *v;
      if (const auto pl = a["plates"]) {
        if (!pl.IsSequence() || pl.size() == 0) r.error(pl, p + ".plates", "expected a non-empty list of plate texts");
        for (size_t k = 0; pl.IsSequence() && k < pl.size(); ++k)
          if (auto v = r.string(pl[k], fmt::format("{}.plates[{}]", p, k))) {
            std::string up = *v;
            for (auto& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            rule.plates.push_back(up);
          }
      }
      if (a["min_count"])
        if (auto v = r.number(a["min_count"], p + ".min_count", 1, 1e9)) rule.min_count = static_cast<std::int64_t>(*v);
      if (a["window_s"])
        if (auto v = r.number(a["window_s"], p + ".window_s", 0.001, 30 * 86400.0)) rule.window_s = *v;
      if (a["cooldown_s"])
        if (auto v = r.number(a["cooldown_s"], p + ".cooldown_s", 0, 30 * 86400.0)) rule.cooldown_s = *v;
      if (a["webhook"])
        if (auto v = r.string(a["webhook"], p + ".webhook")) {
          if (v->rfind("http://", 0) != 0)
            r.error(a["webhook"], p + ".webhook", fmt::format("expected an http:// URL, got '{}'", *v));
          rule.webhook = *v;
        }
      if (a["nats"])
        if (auto v = r.boolean(a["nats"], p + ".nats")) rule.nats = *v;
      if (rule.webhook.empty() && !rule.nats)
        r.error(a, p, "an alert needs a webhook or nats: true (it would go nowhere)");
      cfg.alerts.push_back(std::move(rule));
    }
  }
  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
    return errors;
  }
  return cfg;
}

bool looks_like_center_config(const std::string& yaml_text) {
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    return root.IsMap() && root["postgres"];
  } catch (const YAML::Exception&) {
    return false;
  }
}

std::variant<CenterConfig, config::ConfigErrors> load_center_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return config::ConfigErrors{{path, 0, "", "cannot read the config file"}};
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_center_config(ss.str(), path);
}

}  // namespace vsp::center

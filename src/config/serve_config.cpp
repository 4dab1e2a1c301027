// The keys of a `vsp serve` config (site, cameras, storage, api, uplink) declared once as typed rows;
// a camera's own fields come from camera_config.cpp.
#include "config/serve_config.hpp"

#include <fmt/format.h>

#include <set>

#include "config/rows.hpp"

namespace vsp::config {

namespace {

/// The serve config while it is read: top-level camera fields are every camera's defaults.
struct ServeRoot {
  ServeConfig cfg;
  CameraConfig defaults;
};

bool valid_camera_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

std::optional<std::string> check_camera_name(const std::string& s) {
  if (valid_camera_name(s)) return std::nullopt;
  return fmt::format("'{}' is not a valid name (letters, digits, '_' and '-')", s);
}

std::optional<std::string> check_listen(const std::string& v) {
  const auto colon = v.rfind(':');
  const std::string host = colon == std::string::npos ? "" : v.substr(0, colon);
  int port = 0;
  try {
    port = colon == std::string::npos ? 0 : std::stoi(v.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (port <= 0 || port > 65535) return fmt::format("expected HOST:PORT, got '{}'", v);
  if (host.empty()) return fmt::format("expected HOST:PORT, got '{}'", v);
  return std::nullopt;
}

std::optional<std::string> check_nats_urls(const std::vector<std::string>& urls) {
  for (const auto& u : urls)
    if (u.rfind("nats://", 0) != 0 && u.rfind("tls://", 0) != 0)
      return fmt::format("'{}' is not a NATS URL (expected nats://HOST:PORT or tls://HOST:PORT)", u);
  return std::nullopt;
}

const Table<CameraEntry>& camera_table() {
  using E = CameraEntry;
  static const Table<E> t = [] {
    Table<E> tab{
        {"camera",
         "cameras[]",
         "One camera. Its detector, tracker, motion, anpr and detect_fps start from the top-level values "
         "and override them key by key.",
         {}},
        {
            field<E>(
                {.key = "name",
                 .pattern = "^[A-Za-z0-9_-]{1,64}$",
                 .description = "camera name in events, API, paths and error messages",
                 .notes = "[A-Za-z0-9_-]+, unique",
                 .required = true},
                [](E & e) -> auto& { return e.name; }, check_camera_name),
            field<E>(
                {.key = "record_url",
                 .description = "stream recorded as is",
                 .notes = "rtsp://, rtsps://, http(s):// or a file",
                 .required = true},
                [](E & e) -> auto& { return e.record_url; }),
            field<E>(
                {.key = "detect_url",
                 .description = "stream analysed (e.g. a sub-stream)",
                 .default_text = "record_url"},
                [](E & e) -> auto& { return e.detect_url; }),
            choice<E>(
                {.key = "rtsp_transport", .description = "RTSP transport"},
                std::vector<std::pair<std::string, bool>>{{"tcp", true}, {"udp", false}},
                [](E & e) -> auto& { return e.rtsp_tcp; }),
            field<E>(
                {.key = "record", .description = "write recording segments"}, [](E & e) -> auto& { return e.record; }),
            field<E>(
                {.key = "detect_width",
                 .bounds = {64.0, 3840.0},
                 .unit = "px",
                 .description = "analysis frames are scaled to this width"},
                [](E & e) -> auto& { return e.detect_width; }),
        },
        [](Reader&, const YAML::Node&, const std::string&, E& e) {
          if (e.detect_url.empty()) e.detect_url = e.record_url;
        }};
    for (const auto& row : camera_rows(true))
      tab.rows.push_back(lift<E>(row, [](E& e) -> CameraConfig& { return e.camera; }));
    return tab;
  }();
  return t;
}

const Table<ServeConfig>& retention_table() {
  using S = ServeConfig;
  static const Table<S> t = {
      {"retention", "storage.retention", "Retention limits; the oldest data goes first.", {}},
      {
          field<S>(
              {.key = "max_age_days",
               .bounds = {0.0, 1e5, true},
               .unit = "days",
               .description = "delete recordings older than this"},
              [](S & s) -> auto& { return s.max_age_days; }),
          field<S>(
              {.key = "max_disk_gb",
               .bounds = {0.0, 1e9, true},
               .unit = "GB",
               .description = "delete the oldest recordings above this"},
              [](S & s) -> auto& { return s.max_disk_gb; }),
          field<S>(
              {.key = "min_free_gb",
               .bounds = {0.0, 1e9},
               .unit = "GB",
               .description = "free space kept on the storage filesystem: the oldest "
                              "recordings go first (at most half the filesystem)"},
              [](S & s) -> auto& { return s.min_free_gb; }),
          field<S>(
              {.key = "min_free_percent",
               .bounds = {0.0, 50.0},
               .unit = "%",
               .description = "free space kept, as a share of the filesystem, when min_free_gb is not set "
                              "(at least min(256 MiB, 20 %))"},
              [](S & s) -> auto& { return s.min_free_percent; }),
          field<S>(
              {.key = "events_max_age_days",
               .bounds = {0.0, 1e5, true},
               .unit = "days",
               .description = "delete events (and their outbox rows) older than this"},
              [](S & s) -> auto& { return s.events_max_age_days; }),
          field<S>(
              {.key = "snapshots_max_age_days",
               .bounds = {0.0, 1e5, true},
               .unit = "days",
               .description = "delete snapshot images older than this"},
              [](S & s) -> auto& { return s.snapshots_max_age_days; }),
          field<S>(
              {.key = "plate_reads_max_age_days",
               .bounds = {0.0, 1e5, true},
               .unit = "days",
               .description = "delete plate_read events older than this (events_max_age_days applies too)"},
              [](S & s) -> auto& { return s.plate_reads_max_age_days; }),
          field<S>(
              {.key = "audit_max_age_days",
               .bounds = {0.0, 1e5, true},
               .unit = "days",
               .description = "delete audit records older than this; must be the longest age (the chain is "
                              "anchored where it was cut)",
               .default_text = "kept forever"},
              [](S & s) -> auto& { return s.audit_max_age_days; }),
      },
      [](Reader& r, const YAML::Node& n, const std::string& p, S& s) {
        // The audit log outlives what it is about: who looked at a clip is known while the clip is.
        if (!s.audit_max_age_days) return;
        const double audit = *s.audit_max_age_days;
        const std::pair<const char*, std::optional<double>> kinds[] = {
            {"max_age_days", s.max_age_days},
            {"events_max_age_days", s.events_max_age_days},
            {"snapshots_max_age_days", s.snapshots_max_age_days},
            {"plate_reads_max_age_days", s.plate_reads_max_age_days}};
        for (const auto& [key, age] : kinds) {
          if (age && *age <= audit) continue;
          r.error(n["audit_max_age_days"], Reader::join(p, "audit_max_age_days"),
                  age ? fmt::format("the audit log must be kept at least as long as every other kind: {} days is "
                                    "shorter than {} ({} days)",
                                    format_number(audit), key, format_number(*age))
                      : fmt::format("the audit log must be kept at least as long as every other kind: {} days is "
                                    "shorter than {} (not set: no age limit); set {} or remove audit_max_age_days",
                                    format_number(audit), key, key));
        }
      }};
  return t;
}

const Table<ServeConfig>& storage_table() {
  using S = ServeConfig;
  static const Table<S> t = {
      {"storage", "storage", "Recordings, database and retention.", {}},
      {
          field<S>(
              {.key = "path", .description = "folder for recordings/, snapshots/, exports/ and vsp.db"},
              [](S & s) -> auto& { return s.storage_path; }),
          field<S>(
              {.key = "segment_s", .bounds = {1.0, 60.0}, .unit = "s", .description = "recording segment length"},
              [](S & s) -> auto& { return s.segment_s; }),
          field<S>(
              {.key = "max_pending_events",
               .bounds = {0.0, 10000000.0},
               .unit = "events",
               .description = "events kept in memory (and retried) while the database cannot be written"},
              [](S & s) -> auto& { return s.max_pending_events; }),
          section<S>({.key = "retention", .description = "retention limits"}, retention_table(),
                     [](S& s) -> S& { return s; }),
      },
      nullptr};
  return t;
}

const Table<TlsConfig>& tls_table() {
  using T = TlsConfig;
  static const Table<T> t = {{"tls", "api.tls", "HTTPS for the API: PEM certificate chain and private key.", {}},
                             {
                                 field<T>(
                                     {.key = "cert", .description = "certificate chain (PEM file)", .required = true},
                                     [](T & t) -> auto& { return t.cert; }),
                                 field<T>(
                                     {.key = "key", .description = "private key (PEM file)", .required = true},
                                     [](T & t) -> auto& { return t.key; }),
                             },
                             nullptr};
  return t;
}

const Table<ServeConfig>& api_table() {
  using S = ServeConfig;
  static const Table<S> t = {
      {"api", "api", "The HTTP API and web page.", {}},
      {
          field<S>(
              {.key = "listen",
               .description = "HTTP API address",
               .notes = "HOST:PORT; a non-loopback host needs api.tls and at least one user"},
              [](S & s) -> auto& { return s.listen; }, check_listen),
          section<S>(
              {.key = "tls", .description = "HTTPS (cert, key)", .default_text = "off"}, tls_table(),
              [](S & s) -> auto& { return s.tls; }),
      },
      [](Reader& r, const YAML::Node& n, const std::string& p, S& s) {
        if (!is_loopback_listen(s.listen) && !s.tls)
          r.error(
              n["listen"] ? n["listen"] : n, p + ".listen",
              fmt::format("'{}' is not loopback: a non-loopback listen needs api.tls (cert, key) and users", s.listen));
      }};
  return t;
}

const Table<PrivacyConfig>& privacy_table() {
  using P = PrivacyConfig;
  static const Table<P> t = {
      {"privacy", "privacy", "What the node hides from every viewer by default.", {}},
      {
          field<P>(
              {.key = "blur_faces",
               .description = "blur faces in live view and snapshots for every role (unmasking is audited)"},
              [](P & p) -> auto& { return p.blur_faces; }),
      },
      nullptr};
  return t;
}

/// A user needs a password (file or env, not both); a token excludes a user; each secret has one source.
void check_credentials(Reader& r, const YAML::Node& n, const std::string& p, const core::NatsAuth& a) {
  if (!a.password.file.empty() && !a.password.env.empty()) r.error(n, p, "password_file and password_env: give one");
  if (!a.token.file.empty() && !a.token.env.empty()) r.error(n, p, "token_file and token_env: give one");
  if (!a.user.empty() && a.password.empty()) r.error(n, p, "user needs password_file or password_env");
  if (a.user.empty() && !a.password.empty()) r.error(n, p, "a password needs a user");
  if (!a.user.empty() && !a.token.empty()) r.error(n, p, "user and token: give one way to log in");
}

const Table<UplinkConfig>& nats_tls_table() {
  using U = UplinkConfig;
  static const Table<U> t = {
      {"nats_tls", "uplink.nats.tls", "TLS to the NATS servers; an empty section trusts the system CA store.", {}},
      {
          field<U>(
              {.key = "ca",
               .description = "CA bundle the servers' certificates must chain to (PEM file)",
               .default_text = "none"},
              [](U & u) -> auto& { return u.auth.tls_ca; }),
          field<U>(
              {.key = "cert", .description = "client certificate for mutual TLS (PEM file)", .default_text = "none"},
              [](U & u) -> auto& { return u.auth.tls_cert; }),
          field<U>(
              {.key = "key", .description = "client private key (PEM file)", .default_text = "none"},
              [](U & u) -> auto& { return u.auth.tls_key; }),
      },
      [](Reader& r, const YAML::Node& n, const std::string& p, U& u) {
        if (u.auth.tls_cert.empty() != u.auth.tls_key.empty()) r.error(n, p, "cert and key go together (mutual TLS)");
        u.auth.tls_section = true;
      }};
  return t;
}

const Table<UplinkConfig>& nats_table() {
  using U = UplinkConfig;
  static const Table<U> t = {
      {"nats", "uplink.nats", "The NATS JetStream servers events are published to, and how to log in.", {}},
      {
          field<U>(
              {.key = "servers",
               .pattern = "^(nats|tls)://.+",
               .description = "server URLs, tried in turn",
               .notes = "nats:// or tls:// URLs, at least one",
               .required = true},
              [](U & u) -> auto& { return u.servers; }, check_nats_urls),
          field<U>(
              {.key = "user", .description = "NATS user (with password_file or password_env)", .default_text = "none"},
              [](U & u) -> auto& { return u.auth.user; }),
          field<U>(
              {.key = "password_file",
               .description = "file whose first line is the password (never logged)",
               .default_text = "none"},
              [](U & u) -> auto& { return u.auth.password.file; }),
          field<U>(
              {.key = "password_env",
               .description = "environment variable holding the password",
               .default_text = "none"},
              [](U & u) -> auto& { return u.auth.password.env; }),
          field<U>(
              {.key = "token_file",
               .description = "file whose first line is a NATS token (instead of a user)",
               .default_text = "none"},
              [](U & u) -> auto& { return u.auth.token.file; }),
          field<U>(
              {.key = "token_env", .description = "environment variable holding a NATS token", .default_text = "none"},
              [](U & u) -> auto& { return u.auth.token.env; }),
          section<U>({.key = "tls", .description = "TLS (ca, cert, key)", .default_text = "off"}, nats_tls_table(),
                     [](U& u) -> U& { return u; }),
      },
      [](Reader& r, const YAML::Node& n, const std::string& p, U& u) { check_credentials(r, n, p, u.auth); }};
  return t;
}

const Table<UplinkConfig>& uplink_table() {
  using U = UplinkConfig;
  static const Table<U> t = {
      {"uplink",
       "uplink",
       "Events drained from the node's outbox to NATS JetStream (at least once; the event id is the "
       "message id). Absent: events stay on the node.",
       {}},
      {
          section<U>({.key = "nats", .description = "NATS connection", .required = true}, nats_table(),
                     [](U& u) -> U& { return u; }),
          field<U>(
              {.key = "max_outbox_events",
               .bounds = {1.0, 1e12},
               .unit = "events",
               .description = "events kept in the outbox for the uplink at most"},
              [](U & u) -> auto& { return u.max_outbox_events; }),
          field<U>(
              {.key = "heartbeat_s",
               .bounds = {0.0, 3600.0, true},
               .unit = "s",
               .description = "heartbeat interval to the center"},
              [](U & u) -> auto& { return u.heartbeat_s; }),
      },
      nullptr};
  return t;
}

/// `cameras:` — each camera's path names it (`cameras[gate]`) as soon as it has a valid, unique
/// name, even for errors in keys before `name:`; the index only when it has none.
Row<ServeRoot> cameras_row() {
  Row<ServeRoot> row;
  row.info = {.key = "cameras",
              .kind = ValueKind::list,
              .bounds = {1.0, std::nullopt},
              .description = "the cameras",
              .required = true,
              .child = "camera"};
  row.read = [](Reader& r, const YAML::Node& n, const std::string& p, ServeRoot& root) {
    if (!n.IsSequence() || n.size() == 0) {
      r.error(n, p, "expected a non-empty list of cameras");
      return;
    }
    std::set<std::string> names;
    for (size_t i = 0; i < n.size(); ++i) {
      const YAML::Node c = n[i];
      const YAML::Node name = c.IsMap() ? c["name"] : YAML::Node();
      const std::string s = name && name.IsScalar() ? name.Scalar() : "";
      std::string item = fmt::format("{}[{}]", p, i);
      if (valid_camera_name(s)) {
        if (names.insert(s).second)
          item = fmt::format("{}[{}]", p, s);
        else
          r.error(name, item + ".name", fmt::format("duplicate camera name '{}'", s));
      }
      CameraEntry e;
      e.camera = root.defaults;
      if (read_table(r, camera_table(), c, item, e)) root.cfg.cameras.push_back(std::move(e));
    }
  };
  row.show = [](const ServeRoot& root) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : root.cfg.cameras) a.push_back(dump_table(camera_table(), e));
    return a;
  };
  return row;
}

const Table<ServeRoot>& serve_table() {
  using R = ServeRoot;
  static const Table<R> t = [] {
    Table<R> tab{{"serve",
                  "Serve config (top level)",
                  "A `vsp serve` config. The camera fields given here (detector, detect_fps, tracker, motion, "
                  "anpr) are the defaults of every camera.",
                  {}},
                 {
                     field<R>(
                         {.key = "site", .description = "site name carried by every event"},
                         [](R & r) -> auto& { return r.cfg.site; }),
                     field<R>(
                         {.key = "node", .description = "node name carried by every event"},
                         [](R & r) -> auto& { return r.cfg.node; }),
                 },
                 nullptr};
    for (const auto& row : camera_rows(false))
      tab.rows.push_back(lift<R>(row, [](R& r) -> CameraConfig& { return r.defaults; }));
    Row<R> rules;  // a common mistake gets its own message
    rules.info = {.key = "rules", .kind = ValueKind::section, .hidden = true};
    rules.read = [](Reader& r, const YAML::Node& n, const std::string& p, R&) {
      r.error(n, p, "rules belong to a camera (cameras[...].rules)");
    };
    rules.show = [](const R&) { return nlohmann::json(); };
    tab.rows.push_back(rules);
    tab.rows.push_back(cameras_row());
    auto cfg = [](R& r) -> ServeConfig& { return r.cfg; };
    tab.rows.push_back(
        section<R>({.key = "storage", .description = "recordings, database, retention"}, storage_table(), cfg));
    tab.rows.push_back(section<R>({.key = "api", .description = "HTTP API"}, api_table(), cfg));
    tab.rows.push_back(section<R>(
        {.key = "privacy", .description = "face blurring"}, privacy_table(),
        [](R & r) -> auto& { return r.cfg.privacy; }));
    tab.rows.push_back(section<R>(
        {.key = "uplink", .description = "events to a center over NATS", .default_text = "off"}, uplink_table(),
        [](R & r) -> auto& { return r.cfg.uplink; }));
    return tab;
  }();
  return t;
}

}  // namespace

std::vector<TableInfo> serve_table_infos() {
  return {serve_table().info(), camera_table().info(),  storage_table().info(), retention_table().info(),
          api_table().info(),   tls_table().info(),     privacy_table().info(), uplink_table().info(),
          nats_table().info(),  nats_tls_table().info()};
}

bool is_loopback_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

bool looks_like_serve_config(const std::string& text) {
  // A key only a serve config has (cameras, storage, api, uplink, site, node) makes it one, so a serve
  // config that lacks `cameras:` is told so instead of being read as an analyze config.
  std::set<std::string> serve_only;
  for (const auto& k : serve_table().keys()) serve_only.insert(k);
  for (const auto& k : analyze_table().keys()) serve_only.erase(k);
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return false;
    for (const auto& kv : root)
      if (kv.first.IsScalar() && serve_only.count(kv.first.Scalar())) return true;
    return false;
  } catch (const YAML::Exception&) {
    return false;
  }
}

std::variant<ServeConfig, ConfigErrors> parse_serve_config(const std::string& text, const std::string& file) {
  ConfigErrors errors;
  const auto root = load_yaml(text, file, errors);
  if (!root) return errors;
  Reader r(file, errors);
  ServeRoot sr;
  read_table(r, serve_table(), *root, "", sr);
  if (!errors.empty()) {
    sort_errors(errors);
    return errors;
  }
  return sr.cfg;
}

std::variant<ServeConfig, ConfigErrors> load_serve_config(const std::string& path) {
  auto text = read_config_file(path);
  if (auto* e = std::get_if<ConfigErrors>(&text)) return *e;
  return parse_serve_config(std::get<std::string>(text), path);
}

std::string effective_json(const ServeConfig& config) {
  auto j = dump_table(serve_table(), ServeRoot{config, CameraConfig{}});
  // Top-level camera fields were folded into every camera; showing struct defaults here would mislead.
  for (const auto& row : camera_rows(false)) j.erase(row.info.key);
  return j.dump(2);
}

}  // namespace vsp::config

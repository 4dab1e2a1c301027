#pragma once
/// `vsp serve` configuration: cameras (each with the same fields as an analyze config), storage,
/// retention, uplink and the API. Parsed by the same declarations and reader as the analyze config.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/analyze_config.hpp"
#include "core/secret.hpp"

namespace vsp::config {

struct CameraEntry {
  std::string name;
  std::string record_url;
  std::string detect_url;  ///< defaults to record_url
  bool rtsp_tcp = true;    ///< rtsp_transport: tcp | udp
  bool record = true;      ///< write segments of the record stream
  int detect_width = 640;  ///< analysis frames are scaled once to this width
  CameraConfig camera;     ///< detector, detect_fps, tracker, rules, anpr, motion
};

/// `uplink:`: events drained from the outbox to NATS JetStream.
struct UplinkConfig {
  std::vector<std::string> servers;  ///< `uplink.nats.servers`: nats:// or tls:// URLs, at least one
  core::NatsAuth auth;               ///< `uplink.nats.user|password_*|token_*|tls`: where secrets are, not them
  std::int64_t max_outbox_events = 1000000;
  double heartbeat_s = 5;
};

/// `api.tls:`: HTTPS on api.listen. PEM files; the key is read once at start and never logged.
struct TlsConfig {
  std::string cert;  ///< certificate chain (PEM)
  std::string key;   ///< private key (PEM)
};

/// `privacy:`: what the node hides from every viewer by default.
struct PrivacyConfig {
  bool blur_faces = true;  ///< faces blurred in live view, snapshots (and exports)
};

struct ServeConfig {
  std::string site = "local";
  std::string node = "local";
  std::vector<CameraEntry> cameras;
  std::string storage_path = "vsp-data";
  double segment_s = 4;
  std::optional<double> max_age_days;
  std::optional<double> max_disk_gb;
  std::optional<double> min_free_gb;               ///< storage.retention.min_free_gb: free space kept
  double min_free_percent = 5;                     ///< storage.retention.min_free_percent (without min_free_gb)
  std::optional<double> events_max_age_days;       ///< storage.retention.events_max_age_days
  std::optional<double> snapshots_max_age_days;    ///< storage.retention.snapshots_max_age_days
  std::optional<double> plate_reads_max_age_days;  ///< storage.retention.plate_reads_max_age_days
  std::optional<double> audit_max_age_days;        ///< storage.retention.audit_max_age_days (the longest)
  int max_pending_events = 10000;                  ///< storage.max_pending_events: kept in memory when the DB fails
  std::string listen = "127.0.0.1:8080";
  std::optional<UplinkConfig> uplink;  ///< absent = events stay on the node
  std::optional<TlsConfig> tls;        ///< api.tls; required for a non-loopback api.listen
  PrivacyConfig privacy;
};

/// True for 127.0.0.1, localhost and ::1 listen addresses ("HOST:PORT").
bool is_loopback_listen(const std::string& listen);

std::variant<ServeConfig, ConfigErrors> parse_serve_config(const std::string& yaml_text, const std::string& file_name);
/// Parses a serve config file (via read_config_file).
std::variant<ServeConfig, ConfigErrors> load_serve_config(const std::string& path);

/// True when the YAML text has a top-level key only a serve config has (`cameras:`, `storage:`, ...).
bool looks_like_serve_config(const std::string& yaml_text);

}  // namespace vsp::config

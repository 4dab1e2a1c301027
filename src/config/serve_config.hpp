#pragma once
/// `vsp serve` configuration: cameras (each with the same fields as an analyze config), storage,
/// retention and the API. Parsed by the same declarations and reader as the analyze config.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/analyze_config.hpp"
#include "detect/motion_gate.hpp"

namespace vsp::config {

struct CameraEntry {
  std::string name;
  std::string record_url;
  std::string detect_url;  ///< defaults to record_url
  bool rtsp_tcp = true;    ///< rtsp_transport: tcp | udp
  bool record = true;      ///< write segments of the record stream
  int detect_width = 640;  ///< analysis frames are scaled once to this width
  detect::MotionOptions motion;
  double max_detect_interval_s = 1.0;  ///< detector runs at least this often, motion or not
  CameraConfig camera;                 ///< detector, detect_fps, tracker, rules
};

/// `uplink:`: where the node sends its events (NATS JetStream) and how much it keeps while the
/// broker is away.
struct UplinkConfig {
  std::vector<std::string> servers;
  std::int64_t max_outbox_events = 1000000;
  double heartbeat_s = 5;
};

struct ServeConfig {
  std::string site = "local";
  std::string node = "local";
  std::vector<CameraEntry> cameras;
  std::string storage_path = "vsp-data";
  double segment_s = 4;
  std::optional<double> max_age_days;
  std::optional<double> max_disk_gb;
  std::string listen = "127.0.0.1:8080";
  std::optional<UplinkConfig> uplink;  ///< absent: events stay on the node
};

std::variant<ServeConfig, ConfigErrors> parse_serve_config(const std::string& yaml_text, const std::string& file_name);
std::variant<ServeConfig, ConfigErrors> load_serve_config(const std::string& path);

/// True when the YAML text has a top-level `cameras:` key (a serve config).
bool looks_like_serve_config(const std::string& yaml_text);

}  // namespace vsp::config

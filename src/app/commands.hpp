#pragma once
/// The `vsp` subcommands. Each returns the process exit code:
/// 0 ok, 1 error (nothing written), 2 usage, 3 partial results (input damaged; outputs written).
#include <optional>
#include <string>
#include <vector>

namespace vsp::app {

struct AnalyzeArgs {
  std::string video;                      ///< a video file, or empty with `detections` (replay)
  std::optional<std::string> detections;  ///< replay: MOTChallenge detections instead of a video
  std::optional<std::string> seqinfo;     ///< replay: the sequence's seqinfo.ini (size, rate, length)
  std::string det_class = "person";       ///< replay: the class of every detection
  std::optional<std::string> tracks_out;  ///< MOTChallenge results of the tracks the rules saw
  std::optional<std::string> config;
  std::string out_dir = "vsp-out";
  std::optional<std::string> annotate;
  std::optional<std::string> model;    ///< overrides detector.model
  std::optional<std::string> heatmap;  ///< PNG of where `heatmap_class` stood and walked
  std::string heatmap_class = "person";
  bool quiet = false;
};
int cmd_analyze(const AnalyzeArgs& a);

int cmd_config_check(const std::string& file);
int cmd_serve(const std::string& config_path);
int cmd_center(const std::string& config_path);

struct PlatesArgs {
  std::string region = "auto";
  std::vector<std::string> inputs;  ///< images or folders
  std::optional<std::string> json;
};
int cmd_plates(const PlatesArgs& a);
int cmd_config_reference();

/// `vsp count [--mode auto|boxes|dense] IMAGE_OR_DIR... [--json FILE]`: people in still images.
struct CountArgs {
  std::string mode = "auto";
  std::vector<std::string> inputs;  ///< images or folders (searched recursively)
  std::optional<std::string> json;
  std::optional<std::string> model;  ///< person detector; default picodet_s_416
  bool quiet = false;
};
int cmd_count(const CountArgs& a);
/// `kind`: analyze or serve.
int cmd_config_schema(const std::string& kind);

struct TrackArgs {
  std::string dets, seqinfo, out;
  std::optional<std::string> config;  ///< analyze YAML: its `tracker` section is used
};
int cmd_track(const TrackArgs& a);

struct EvalMotArgs {
  std::string benchmark = "mot17";
  std::string gt_dir, res_dir;
  std::optional<std::string> json;
  std::vector<std::string> seqs;  ///< empty = every sequence in gt_dir
};
int cmd_eval_mot(const EvalMotArgs& a);

/// `vsp user add|list|disable|enable|passwd`.
struct UserArgs {
  std::string action, name, role, config;
  std::optional<std::string> password_file;  ///< else a prompt without echo
};
int cmd_user(const UserArgs& a);

/// `vsp token create|list|revoke`.
struct TokenArgs {
  std::string action, role, config, id, label;
  double ttl_days = 90;  ///< 0 = never expires
};
int cmd_token(const TokenArgs& a);

/// `vsp audit verify`: 0 intact, 1 naming the first bad record.
int cmd_audit_verify(const std::string& config_path);

}  // namespace vsp::app

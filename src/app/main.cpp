// vsp: the command-line entry point. Parses arguments and dispatches; nothing else.
#include <unistd.h>

#include <fmt/format.h>
#include <cstdlib>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"

int main(int argc, char** argv) {
  // The fast inference backend runs on OpenMP. libgomp's default is to spin ~300k iterations between
  // kernels, which on a node sharing its cores with decode and HTTP made 2-thread inference 5-10x
  // slower; sleeping at once (passive, spin 0) pays a futex wake-up at every one of a model's ~150
  // kernels, so 2 threads were no faster than 1 even on an idle machine. A short spin, then sleep:
  // GOMP_SPINCOUNT=3000 with passive (measured, docs/performance.md "Threads and a busy machine").
  // libgomp reads both when it loads, so set them once and re-execute; a user's own settings win.
  if (!std::getenv("OMP_WAIT_POLICY") && setenv("OMP_WAIT_POLICY", "passive", 1) == 0) {
    if (!std::getenv("GOMP_SPINCOUNT")) setenv("GOMP_SPINCOUNT", "3000", 1);
    execv("/proc/self/exe", argv);
  }
  CLI::App app{"VSP - video stream processing: detection, tracking, counting and events"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "vsp 0.1.0");

  vsp::app::AnalyzeArgs an;
  auto* analyze = app.add_subcommand("analyze", "run the pipeline over a video file");
  analyze->add_option("video", an.video, "video file (any container/codec FFmpeg reads)");
  analyze->add_option("--detections", an.detections,
                      "replay MOTChallenge detections (frame,-1,x,y,w,h,score,...) instead of a video");
  analyze->add_option("--seqinfo", an.seqinfo, "replay: seqinfo.ini with the frame size, rate and length");
  analyze->add_option("--det-class", an.det_class, "replay: COCO class of every detection")->capture_default_str();
  analyze->add_option("--tracks-out", an.tracks_out,
                      "write the tracks the rules saw as MOTChallenge results (frame,id,x,y,w,h,score,-1,-1,-1)");
  analyze->add_option("-c,--config", an.config, "YAML config (detector, tracker, rules)");
  analyze->add_option("-o,--out", an.out_dir, "output folder for events.jsonl and summary.json")->capture_default_str();
  analyze->add_option("--annotate", an.annotate, "write an annotated MP4 here");
  analyze->add_option("--model", an.model, "override detector.model");
  analyze->add_option("--heatmap", an.heatmap, "write a PNG of where people (or --heatmap-class) stood and walked");
  analyze->add_option("--heatmap-class", an.heatmap_class, "COCO class of the heatmap")->capture_default_str();
  analyze->add_option("--signals", an.signals,
                      "signal timeline for the road rules: JSON lines {\"pts_s\": 12.5, \"signal\": \"main\", "
                      "\"state\": \"red\"}");
  analyze->add_option(
      "--evidence-key", an.evidence_key,
      "Ed25519 key (created when absent, mode 0600) sealing evidence packs; default OUT/keys/node_ed25519.key");
  analyze->add_flag("-q,--quiet", an.quiet, "no summary table");

  std::string serve_config;
  auto* serve = app.add_subcommand("serve", "run the live node: cameras, recording, analysis, API");
  serve->add_option("config", serve_config, "serve config (YAML)")->required();

  std::string center_config;
  auto* center = app.add_subcommand(
      "center", "run the center: events from every node (NATS JetStream) into PostgreSQL, search API");
  center->add_option("config", center_config, "center config (YAML)")->required();

  vsp::app::PlatesArgs pl;
  auto* plates = app.add_subcommand("plates", "read licence plates in still photos");
  plates->add_option("inputs", pl.inputs, "images or folders of images")->required();
  plates->add_option("--region", pl.region, "plate grammar: us, eu, br, ru or auto")
      ->check(CLI::IsMember({"us", "eu", "br", "ru", "auto"}))
      ->capture_default_str();
  plates->add_option("--json", pl.json, "also write the results as JSON here");

  vsp::app::CountArgs cn;
  auto* count = app.add_subcommand("count", "count people in still images (also dense crowds)");
  count->add_option("inputs", cn.inputs, "images or folders of images")->required();
  count->add_option("--mode", cn.mode, "boxes (person detector), dense (tiles + heads, fused) or auto")
      ->check(CLI::IsMember({"auto", "boxes", "dense"}))
      ->capture_default_str();
  count->add_option("--json", cn.json, "also write {\"results\": [{\"image\", \"count\"}]} here");
  count->add_option("--model", cn.model, "person detector (default picodet_s_416)");
  count->add_flag("-q,--quiet", cn.quiet, "no table");

  std::string config_file;
  auto* config = app.add_subcommand("config", "configuration tools");
  config->require_subcommand(1);
  auto* check = config->add_subcommand("check", "validate a config and print every error");
  check->add_option("file", config_file, "config file")->required();
  auto* reference = config->add_subcommand("reference", "print the reference of every option (Markdown)");
  std::string schema_kind;
  auto* schema = config->add_subcommand("schema", "print the JSON Schema of a config kind (for editors)");
  schema->add_option("kind", schema_kind, "analyze or serve")->required()->check(CLI::IsMember({"analyze", "serve"}));

  vsp::app::TrackArgs tr;
  auto* track = app.add_subcommand("track", "run the tracker on MOTChallenge detections");
  track->add_option("--dets", tr.dets, "detections, frame,-1,x,y,w,h,score,...")->required();
  track->add_option("--seqinfo", tr.seqinfo, "seqinfo.ini of the sequence")->required();
  track->add_option("--out", tr.out, "MOTChallenge results file to write")->required();
  track->add_option("-c,--config", tr.config, "YAML config as for vsp analyze: its tracker section is used");

  vsp::app::EvalMotArgs ev;
  auto* eval = app.add_subcommand("eval", "evaluation tools");
  eval->require_subcommand(1);
  auto* mot = eval->add_subcommand("mot", "HOTA, CLEAR and Identity metrics in MOTChallenge layout");
  mot->add_option("--benchmark", ev.benchmark, "mot15 or mot17")
      ->check(CLI::IsMember({"mot15", "mot17"}))
      ->capture_default_str();
  mot->add_option("--gt-dir", ev.gt_dir, "GT/<SEQ>/gt/gt.txt and GT/<SEQ>/seqinfo.ini")->required();
  mot->add_option("--res-dir", ev.res_dir, "RES/<SEQ>.txt")->required();
  mot->add_option("--json", ev.json, "also write the scores as JSON here");
  mot->add_option("--seq", ev.seqs, "only these sequences");

  vsp::app::UserArgs us;
  auto* user = app.add_subcommand("user", "accounts on this node: add, list, disable, enable, passwd");
  user->require_subcommand(1);
  for (const char* act : {"add", "list", "disable", "enable", "passwd"}) {
    auto* sc = user->add_subcommand(act, fmt::format("{} user(s)", act));
    sc->add_option("-c,--config", us.config, "the node's serve config (its storage.path holds the accounts)")
        ->required();
    sc->callback([&us, act] { us.action = act; });
    if (std::string(act) == "list") continue;
    sc->add_option("name", us.name, "user name")->required();
    if (std::string(act) == "add")
      sc->add_option("--role", us.role, "viewer, operator, admin or auditor")
          ->required()
          ->check(CLI::IsMember({"viewer", "operator", "admin", "auditor"}));
    if (std::string(act) == "add" || std::string(act) == "passwd")
      sc->add_option("--password-file", us.password_file, "read the password from this file (else a prompt)");
  }
  vsp::app::TokenArgs tk;
  auto* token = app.add_subcommand("token", "API tokens for machines: create, list, revoke");
  token->require_subcommand(1);
  for (const char* act : {"create", "list", "revoke"}) {
    auto* sc = token->add_subcommand(act, fmt::format("{} API token(s)", act));
    sc->add_option("-c,--config", tk.config, "the node's serve config")->required();
    sc->callback([&tk, act] { tk.action = act; });
    if (std::string(act) == "create") {
      sc->add_option("--role", tk.role, "viewer, operator, admin or auditor")
          ->required()
          ->check(CLI::IsMember({"viewer", "operator", "admin", "auditor"}));
      sc->add_option("--ttl-days", tk.ttl_days, "days until it expires (0 = never)")->capture_default_str();
      sc->add_option("--label", tk.label, "what the token is for");
    }
    if (std::string(act) == "revoke") sc->add_option("id", tk.id, "the token's id (vsp token list)")->required();
  }
  std::string audit_config;
  auto* audit = app.add_subcommand("audit", "the audit log");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand("verify", "check the hash chain; names the first bad record (exit 1)");
  verify->add_option("-c,--config", audit_config, "the node's serve config, or a center config (its PostgreSQL)")
      ->required();

  std::vector<std::string> evidence_dirs;
  std::optional<std::string> evidence_pubkey;
  auto* evidence = app.add_subcommand("evidence", "violation evidence packs");
  evidence->require_subcommand(1);
  auto* ev_verify = evidence->add_subcommand(
      "verify", "check a pack's signed manifest and every file; names the first altered or missing file (exit 1)");
  ev_verify->add_option("pack", evidence_dirs, "evidence folder(s): evidence/<event id>/")->required();
  ev_verify->add_option("--public-key", evidence_pubkey, "hex Ed25519 public key the pack must be signed with");

  vsp::app::CalibrateArgs cal;
  auto* calibrate = app.add_subcommand("calibrate", "ground-plane calibration tools");
  calibrate->require_subcommand(1);
  auto* cal_check =
      calibrate->add_subcommand("check", "print each calibration's residual and draw its metric grid on a frame (PNG)");
  cal_check->add_option("config", cal.config, "analyze or serve config")->required();
  cal_check->add_option("--image", cal.image, "a still of the camera to draw on");
  cal_check->add_option("--video", cal.video, "a video of the camera: its first frame is drawn on");
  cal_check->add_option("--camera", cal.camera, "serve config: only this camera");
  cal_check->add_option("--png", cal.png, "picture to write (serve: one per camera, NAME inserted)")
      ->capture_default_str();
  cal_check->add_option("--grid-m", cal.grid_m, "grid spacing on the road, metres")->capture_default_str();

  // Usage errors exit 2 (README, CONTRACTS.md), not CLI11's own codes; --help and --version exit 0.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (analyze->parsed()) return vsp::app::cmd_analyze(an);
  if (plates->parsed()) return vsp::app::cmd_plates(pl);
  if (count->parsed()) return vsp::app::cmd_count(cn);
  if (serve->parsed()) return vsp::app::cmd_serve(serve_config);
  if (center->parsed()) return vsp::app::cmd_center(center_config);
  if (check->parsed()) return vsp::app::cmd_config_check(config_file);
  if (reference->parsed()) return vsp::app::cmd_config_reference();
  if (schema->parsed()) return vsp::app::cmd_config_schema(schema_kind);
  if (track->parsed()) return vsp::app::cmd_track(tr);
  if (mot->parsed()) return vsp::app::cmd_eval_mot(ev);
  if (user->parsed()) return vsp::app::cmd_user(us);
  if (token->parsed()) return vsp::app::cmd_token(tk);
  if (verify->parsed()) return vsp::app::cmd_audit_verify(audit_config);
  if (ev_verify->parsed()) return vsp::app::cmd_evidence_verify(evidence_dirs, evidence_pubkey);
  if (cal_check->parsed()) return vsp::app::cmd_calibrate_check(cal);
  return 2;
}

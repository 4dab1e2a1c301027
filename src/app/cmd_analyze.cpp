#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "app/cli_util.hpp"
#include "app/commands.hpp"
#include "app/progress_bar.hpp"
#include "config/analyze_config.hpp"
#include "core/coco.hpp"
#include "events/event_json.hpp"
#include "pipeline/file_analyzer.hpp"

namespace vsp::app {

namespace fs = std::filesystem;

namespace {
void print_summary(const pipeline::AnalyzeResult& r) {
  fmt::print("{}: {} frames ({} analysed) in {:.1f} s, {:.1f} fps, model {}\n", r.camera, r.frames, r.frames_analysed,
             r.wall_s, r.wall_s > 0 ? static_cast<double>(r.frames) / r.wall_s : 0.0, r.model);
  if (!r.lines.empty()) {
    fmt::print("\n{:<20} {:>6} {:>6}   by class\n", "line", "in", "out");
    for (const auto& [name, t] : r.lines) {
      std::string by;
      for (const auto& [cls, io] : t.by_class) by += fmt::format("{} {}/{}  ", cls, io.first, io.second);
      fmt::print("{:<20} {:>6} {:>6}   {}\n", name, t.in, t.out, by);
    }
  }
  if (!r.zones.empty()) {
    fmt::print("\n{:<20} {:>8} {:>8} {:>8} {:>8}\n", "zone", "entries", "exits", "max occ", "mean occ");
    for (const auto& [name, t] : r.zones)
      fmt::print("{:<20} {:>8} {:>8} {:>8} {:>8.2f}\n", name, t.entries, t.exits, t.max_occupancy, t.mean_occupancy());
  }
  if (!r.tracks_by_class.empty()) {
    std::string s;
    for (const auto& [cls, n] : r.tracks_by_class) s += fmt::format("{} {}  ", cls, n);
    fmt::print("\ntracks by class: {}\n", s);
  }
}
}  // namespace

int cmd_analyze(const AnalyzeArgs& a) {
  // ---- Usage: a video, or detections with their seqinfo (exit 2, as every usage error) ---------
  const bool replay = a.detections.has_value();
  if (replay == !a.video.empty()) {
    fmt::print(stderr, "vsp analyze: give a video file or --detections FILE --seqinfo FILE (not both)\n");
    return 2;
  }
  if (replay && !a.seqinfo) {
    fmt::print(stderr, "vsp analyze: --detections needs --seqinfo (frame size, rate and length)\n");
    return 2;
  }
  if (!replay && (a.seqinfo || a.det_class != "person")) {
    fmt::print(stderr, "vsp analyze: --seqinfo and --det-class go with --detections\n");
    return 2;
  }
  const auto det_class = core::coco_id(a.det_class);
  if (!det_class) {
    fmt::print(stderr, "vsp analyze: --det-class {}: not a COCO class name (person, car, bicycle, ...)\n", a.det_class);
    return 2;
  }
  const auto heat_class = core::coco_id(a.heatmap_class);
  if (a.heatmap && (replay || !heat_class)) {
    fmt::print(stderr, "vsp analyze: {}\n",
               replay ? "--heatmap needs a video (replay has no pixels to draw on)"
                      : fmt::format("--heatmap-class {}: not a COCO class name", a.heatmap_class));
    return 2;
  }
  config::AnalyzeConfig cfg = config::default_analyze_config();
  if (a.config) {
    auto parsed = config::load_analyze_config(*a.config);
    if (auto* errs = std::get_if<config::ConfigErrors>(&parsed)) {
      print_config_errors(*errs, "vsp analyze", "nothing analysed");
      return 1;
    }
    cfg = std::get<config::AnalyzeConfig>(parsed);
  }
  if (a.model) cfg.camera.detector.model = *a.model;
  std::error_code ec;
  for (const auto& input : {replay ? *a.detections : a.video, replay ? *a.seqinfo : a.video})
    if (!fs::exists(input, ec)) {
      fmt::print(stderr, "vsp analyze: {}: no such file\n", input);
      return 1;
    }
  fs::create_directories(a.out_dir, ec);
  if (ec) {
    fmt::print(stderr, "vsp analyze: {}: cannot create the output folder: {}\n", a.out_dir, ec.message());
    return 1;
  }
  const std::string events_path = (fs::path(a.out_dir) / "events.jsonl").string();
  auto writer = events::JsonLinesWriter::open(events_path);
  if (!writer) {
    fmt::print(stderr, "vsp analyze: {}\n", writer.error().message);
    return 1;
  }
  ProgressBar bar(fs::path(replay ? *a.detections : a.video).filename().string());
  auto on_progress = [&](const pipeline::Progress& p) {
    bar.update(p.frames_done, p.frames_total, p.fps, p.elapsed_s);
  };
  core::Result<pipeline::AnalyzeResult> result = core::Error{};
  if (replay) {
    pipeline::ReplayOptions opts;
    opts.detections_path = *a.detections;
    opts.seqinfo_path = *a.seqinfo;
    opts.class_id = *det_class;
    opts.camera = cfg.camera;
    opts.tracks_out = a.tracks_out;
    opts.on_progress = on_progress;
    result = pipeline::run_replay(opts, **writer);
  } else {
    pipeline::AnalyzeOptions opts;
    opts.video_path = a.video;
    opts.camera = cfg.camera;
    opts.annotate_path = a.annotate;
    opts.snapshot_dir = (fs::path(a.out_dir) / "snapshots").string();
    opts.tracks_out = a.tracks_out;
    opts.heatmap_path = a.heatmap;
    opts.heatmap_class = heat_class.value_or(0);
    opts.on_progress = on_progress;
    result = pipeline::run_analyze(opts, **writer);
  }
  bar.finish();
  if (!result) {
    fmt::print(stderr, "vsp analyze: {}\n", result.error().message);
    return 1;
  }
  const std::string summary_path = (fs::path(a.out_dir) / "summary.json").string();
  std::ofstream(summary_path) << pipeline::summary_json(*result);
  if (!a.quiet) {
    print_summary(*result);
    fmt::print("\nwrote {} and {}\n", events_path, summary_path);
  }
  if (result->damage) {
    fmt::print(stderr, "vsp analyze: input damaged: {}; results cover the {} frames before the damage\n",
               *result->damage, result->frames);
    return 3;
  }
  if (result->frames == 0) {
    fmt::print(stderr, "vsp analyze: {}: no frame could be {}\n", replay ? *a.seqinfo : a.video,
               replay ? "replayed (length 0?)" : "decoded");
    return 1;
  }
  return 0;
}

}  // namespace vsp::app

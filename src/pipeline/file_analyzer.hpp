#pragma once
/// `vsp analyze`: the per-camera pipeline over a file, with stream timestamps.
///
///   reader thread: demux ─► decode ─► sample at detect_fps ─► detector.prepare ─┐ (bounded queue,
///   main thread:   detector.infer ─► tracker ─► rules ─► EventSink / annotator ◄┘  lossless)
///
/// Decode and pre-processing overlap inference; tracking and rules cost next to nothing.
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "analytics/line_counter.hpp"
#include "analytics/zone_monitor.hpp"
#include "config/analyze_config.hpp"
#include "core/result.hpp"
#include "events/event.hpp"

namespace vsp::pipeline {

struct Progress {
  long frames_done = 0;
  long frames_total = 0;  ///< estimate from the container; 0 when unknown
  double fps = 0;         ///< frames per second of wall time so far
  double elapsed_s = 0;
};

struct AnalyzeOptions {
  std::string video_path;
  config::CameraConfig camera;
  std::optional<std::string> annotate_path;          ///< write an annotated MP4 here
  std::function<void(const Progress&)> on_progress;  ///< called from the main thread
  std::string snapshot_dir;                          ///< plate snapshot crops go here (anpr); empty = none
};

struct AnalyzeResult {
  std::string camera;        ///< the file's stem
  long frames = 0;           ///< decoded frames
  long frames_analysed = 0;  ///< frames the detector ran on
  double duration_s = 0;     ///< stream time covered
  double wall_s = 0;
  int width = 0, height = 0;
  double fps = 0;
  std::string model;
  long events = 0;
  long corrupt_packets = 0;
  std::optional<std::string> damage;  ///< set when the input ended in an error; results cover up to it
  std::vector<std::pair<std::string, analytics::LineTotals>> lines;
  std::vector<std::pair<std::string, analytics::ZoneTotals>> zones;
  std::map<std::string, long> tracks_by_class;                                 ///< confirmed tracks per voted class
  std::map<std::string, std::map<std::string, long>> vehicles_by_class_color;  ///< anpr only
  long plates_reported = 0;
};

core::Result<AnalyzeResult> run_analyze(const AnalyzeOptions& options, events::EventSink& sink);

/// summary.json text (schema in CONTRACTS.md).
std::string summary_json(const AnalyzeResult& r);

}  // namespace vsp::pipeline

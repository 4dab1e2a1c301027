#pragma once
/// `vsp analyze`: a thin driver of the per-camera analysis core (CameraAnalysis) over a file with
/// stream timestamps, and over MOTChallenge detections with no video (replay).
///
///   reader thread: demux ─► decode ─► sample at detect_fps ─► detector.prepare ─┐ (bounded queue,
///   main thread:   core.offer (gate) ─► detector.infer ─► core.update ─► sink ◄──┘  lossless)
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
  std::optional<std::string> tracks_out;             ///< MOTChallenge results of the tracks the rules saw
  std::optional<std::string> heatmap_path;           ///< PNG: where `heatmap_class` stood and walked
  int heatmap_class = 0;                             ///< COCO id (person)
};

/// Replay: MOTChallenge detections (`frame,-1,x,y,w,h,score,...`, frames from 1) through the same
/// core, no video, no model. Frame size and rate come from the sequence's seqinfo.ini.
struct ReplayOptions {
  std::string detections_path;
  std::string seqinfo_path;
  int class_id = 0;  ///< every detection is of this class (COCO id; person by default)
  config::CameraConfig camera;
  std::optional<std::string> tracks_out;
  std::function<void(const Progress&)> on_progress;
};

struct AnalyzeResult {
  std::string camera;        ///< the file's stem
  long frames = 0;           ///< decoded frames (replay: frames of the sequence)
  long frames_sampled = 0;   ///< frames taken at detect_fps and offered to the motion gate
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
core::Result<AnalyzeResult> run_replay(const ReplayOptions& options, events::EventSink& sink);

/// summary.json text (schema in CONTRACTS.md).
std::string summary_json(const AnalyzeResult& r);

}  // namespace vsp::pipeline

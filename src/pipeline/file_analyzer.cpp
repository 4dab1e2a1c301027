#include "pipeline/file_analyzer.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/bounded_queue.hpp"
#include "core/coco.hpp"
#include "core/log.hpp"
#include "decode/decoder.hpp"
#include "detect/detector.hpp"
#include "eval/mot_metrics.hpp"
#include "ingest/source.hpp"
#include "pipeline/annotator.hpp"
#include "pipeline/camera_analysis.hpp"
#include "pipeline/frame_sampler.hpp"
#include "pipeline/plate_stage.hpp"
#include "record/segmenter.hpp"

namespace vsp::pipeline {

namespace {

double co_fps(const eval::SeqInfo& info) { return info.frame_rate > 0 ? info.frame_rate : kFallbackFps; }

/// One decoded frame on its way from the reader thread to the analysis thread.
struct Work {
  core::Image image;
  std::optional<detect::PreparedInput> prepared;  ///< set when the detector runs on this frame
};

/// What the reader thread reports when it stops.
struct ReaderEnd {
  std::optional<std::string> damage;
  long corrupt_packets = 0;
};

std::int64_t file_mtime_ms(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

/// Writes the tracks the rules saw as MOTChallenge results (`frame,id,x,y,w,h,score,-1,-1,-1`,
/// frames from 1): confirmed tracks matched in the frame, and lost ones as track::reported() says
/// (as `vsp track` does).
class TracksWriter {
 public:
  static core::Result<std::unique_ptr<TracksWriter>> open(const std::string& path, const track::TrackerOptions& o,
                                                          int width, int height) {
    std::unique_ptr<TracksWriter> w(new TracksWriter());
    w->f_ = std::fopen(path.c_str(), "w");
    if (!w->f_) return core::Error{"io_error", fmt::format("{}: cannot write: {}", path, std::strerror(errno)), path};
    w->options_ = o;
    w->width_ = width;
    w->height_ = height;
    return w;
  }
  ~TracksWriter() {
    if (f_) std::fclose(f_);
  }
  void write(core::Timestamp ts, const core::Tracks& tracks) {
    for (const auto& t : tracks) {
      if (!track::reported(t, options_, width_, height_)) continue;
      fmt::print(f_, "{},{},{:.2f},{:.2f},{:.2f},{:.2f},{:.4f},-1,-1,-1\n", ts.frame + 1, t.id, t.box_px.x1,
                 t.box_px.y1, t.box_px.width(), t.box_px.height(), t.score);
    }
  }

 private:
  TracksWriter() = default;
  std::FILE* f_ = nullptr;
  track::TrackerOptions options_;
  int width_ = 0, height_ = 0;
};

core::Result<std::unique_ptr<TracksWriter>> open_tracks_writer(const std::optional<std::string>& path,
                                                               CameraAnalysisOptions& core_options, int width,
                                                               int height) {
  if (!path) return std::unique_ptr<TracksWriter>{};
  const auto topt = config::make_tracker_options(core_options.config.tracker, core_options.nominal_fps);
  auto w = TracksWriter::open(*path, topt, width, height);
  if (!w) return w.error();
  TracksWriter* raw = w->get();
  core_options.on_tracks = [raw](core::Timestamp ts, const core::Tracks& tracks) { raw->write(ts, tracks); };
  return w;
}

/// The core's totals into the result (shared by video and replay).
void collect(const CameraAnalysis& core, AnalyzeResult& result) {
  result.frames_analysed = core.stats().frames_detected;
  result.events = core.stats().events;
  for (const auto& l : core.lines()) result.lines.emplace_back(l.options().name, l.totals());
  for (const auto& z : core.zones()) result.zones.emplace_back(z.options().name, z.totals());
  for (const auto& [id, cls] : core.confirmed_classes()) ++result.tracks_by_class[std::string(core::coco_name(cls))];
  result.evidence_packs = core.evidence_packs();
  if (const auto* plates = core.plates()) {
    result.vehicles_by_class_color = plates->vehicles_by_class_color();
    result.plates_reported = plates->plates_reported();
  }
}

void report_progress(const std::function<void(const Progress&)>& cb, long done, long total, double elapsed_s) {
  if (!cb) return;
  Progress p;
  p.frames_done = done;
  p.frames_total = total;
  p.elapsed_s = elapsed_s;
  p.fps = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0;
  cb(p);
}

}  // namespace

core::Result<AnalyzeResult> run_analyze(const AnalyzeOptions& options, events::EventSink& sink) {
  auto source = ingest::Source::open({options.video_path});
  if (!source) return source.error();
  const auto info = (*source)->info();
  auto decoder = decode::Decoder::create(**source, {});
  if (!decoder) return decoder.error();
  auto detector = detect::Detector::create(options.camera.detector);
  if (!detector) return detector.error();

  AnalyzeResult result;
  result.camera = std::filesystem::path(options.video_path).stem().string();
  result.width = info.width;
  result.height = info.height;
  result.fps = info.fps;
  result.model = (*detector)->spec().name;
  const std::int64_t epoch_ms = info.creation_time_unix_ms.value_or(file_mtime_ms(options.video_path));

  std::unique_ptr<Annotator> annotator;
  if (options.annotate_path) {
    auto a = Annotator::open(*options.annotate_path, info.width, info.height, info.fps);
    if (!a) return a.error();
    annotator = std::move(a.value());
  }

  CameraAnalysisOptions co;
  co.camera = result.camera;
  co.config = options.camera;
  co.nominal_fps = options.camera.detect_fps.value_or(info.fps > 0 ? info.fps : kFallbackFps);
  co.snapshot_dir = options.snapshot_dir;
  co.snapshot_prefix = "snapshots/";
  co.heatmap = options.heatmap_path.has_value();
  co.signal_timeline = options.signal_timeline;
  co.evidence.root = options.evidence_root;
  co.evidence.signer = options.signer;
  // Clips come from the input file itself: [start, end] of stream time, remuxed.
  co.evidence.clip = [video = std::filesystem::absolute(options.video_path).string()](const EvidenceClipRequest& r) {
    record::SegmentFile f;
    f.path = video;
    return record::export_clip("", {f}, static_cast<std::int64_t>(r.start_pts_s * 1000),
                               static_cast<std::int64_t>(r.end_pts_s * 1000), r.out_path);
  };
  auto tracks_writer = open_tracks_writer(options.tracks_out, co, info.width, info.height);
  if (!tracks_writer) return tracks_writer.error();
  auto core = CameraAnalysis::create(std::move(co), sink);
  if (!core) return core.error();
  CameraAnalysis& analysis = **core;
  analysis.start_stream(info.width, info.height, epoch_ms, "file opened");

  // ---- Reader thread: demux, decode, sample, prepare ------------------------------------------
  core::BoundedQueue<Work> queue(4, core::OverflowPolicy::block);
  ReaderEnd reader_end;
  const detect::Detector& det_const = **detector;
  std::thread reader([&] {
    const core::Logger log("analyze");
    core::RateLimit corrupt_log(std::chrono::seconds(5));
    FrameSampler sampler(options.camera.detect_fps);
    auto emit = [&](core::Image img) {
      analysis.mask(img);  // privacy masks: before the detector, the motion gate and the annotated video
      Work w;
      if (sampler.take(img.ts.pts_s)) w.prepared = det_const.prepare(img);
      w.image = std::move(img);
      return queue.push(std::move(w));
    };
    bool open = true;
    while (open) {
      auto pkt = (*source)->read();
      if (!pkt) {
        reader_end.damage = pkt.error().message;
        break;
      }
      if (!*pkt) break;  // end of stream
      if (auto st = (*decoder)->send(**pkt); !st && corrupt_log.allow())
        log.warn("{} (skipped; {} more suppressed)", st.error().message, corrupt_log.suppressed());
      while (auto img = (*decoder)->receive())
        if (!emit(std::move(*img))) open = false;
    }
    (*decoder)->flush();
    while (auto img = (*decoder)->receive()) emit(std::move(*img));
    reader_end.corrupt_packets = (*decoder)->corrupt_packets();
    queue.close();
  });

  // ---- Main thread: gate, infer, hand the detections to the core -------------------------------
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  core::Timestamp last_ts;
  core::Image heat_background;  ///< the heatmap is drawn on the first frame
  while (auto w = queue.pop()) {
    last_ts = w->image.ts;
    ++result.frames;
    if (options.heatmap_path && heat_background.bgr.empty()) heat_background = w->image;
    if (w->prepared) {
      ++result.frames_sampled;
      if (analysis.offer(w->image)) analysis.update((*detector)->infer(*w->prepared), w->image.ts, &w->image);
    }
    if (annotator) annotator->write(w->image, analysis.tracks(), analysis.lines(), analysis.zones());
    if (result.frames % 10 == 0) report_progress(options.on_progress, result.frames, info.frame_count, elapsed());
  }
  reader.join();
  analysis.finish();
  if (options.heatmap_path) {
    const auto& totals = analysis.heatmap()->totals();
    const auto it = totals.find(options.heatmap_class);
    const auto png = crowd::render_heatmap_png(it == totals.end() ? crowd::HeatGrid{} : it->second, heat_background.bgr,
                                               heat_background.width, heat_background.height);
    std::ofstream out(*options.heatmap_path, std::ios::binary);
    if (!out || !out.write(png.data(), static_cast<std::streamsize>(png.size())))
      return core::make_error("io_error", fmt::format("{}: cannot write the heatmap", *options.heatmap_path),
                              *options.heatmap_path);
  }

  result.wall_s = elapsed();
  result.duration_s = result.frames > 0 ? last_ts.pts_s + (info.fps > 0 ? 1.0 / info.fps : 0.0) : 0.0;
  result.damage = reader_end.damage;
  result.corrupt_packets = reader_end.corrupt_packets;
  if (!result.damage && result.corrupt_packets > 0)
    result.damage = fmt::format("{}: {} corrupt packet(s) skipped; {} of the {} frames decoded", options.video_path,
                                result.corrupt_packets, result.frames, info.frame_count);
  else if (!result.damage && info.frame_count > 0 && result.frames < info.frame_count * 98 / 100)
    result.damage = fmt::format("{}: stream ends early: {} of the {} frames the container announces (truncated file?)",
                                options.video_path, result.frames, info.frame_count);
  collect(analysis, result);
  report_progress(options.on_progress, result.frames, result.frames, result.wall_s);
  return result;
}

core::Result<AnalyzeResult> run_replay(const ReplayOptions& options, events::EventSink& sink) {
  auto info = eval::read_seqinfo(options.seqinfo_path);
  if (!info) return info.error();
  auto dets = eval::read_mot_file(options.detections_path, false);
  if (!dets) return dets.error();

  AnalyzeResult result;
  result.camera = info->name.empty() ? std::filesystem::path(options.detections_path).stem().string() : info->name;
  result.width = info->width;
  result.height = info->height;
  result.fps = info->frame_rate;
  result.model = "replay:" + std::filesystem::path(options.detections_path).filename().string();

  CameraAnalysisOptions co;
  co.camera = result.camera;
  co.config = options.camera;
  co.nominal_fps = co_fps(*info);
  co.signal_timeline = options.signal_timeline;
  co.evidence.root = options.evidence_root;
  co.evidence.signer = options.signer;
  auto tracks_writer = open_tracks_writer(options.tracks_out, co, info->width, info->height);
  if (!tracks_writer) return tracks_writer.error();
  auto core = CameraAnalysis::create(std::move(co), sink);
  if (!core) return core.error();
  CameraAnalysis& analysis = **core;
  analysis.start_stream(info->width, info->height, file_mtime_ms(options.detections_path), "replay opened");

  // Detections per frame; rows outside 1..length are ignored, as the MOT tools do.
  std::vector<core::Detections> per_frame(static_cast<size_t>(std::max(0, info->length)));
  for (const auto& d : *dets)
    if (d.frame >= 1 && d.frame <= info->length)
      per_frame[static_cast<size_t>(d.frame - 1)].push_back({d.box, d.conf, options.class_id});
  // detect_fps samples the sequence as it samples a video.
  FrameSampler sampler(options.camera.detect_fps);
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  for (int f = 0; f < info->length; ++f) {
    const core::Timestamp ts{f, f / co_fps(*info)};
    ++result.frames;
    if (!sampler.take(ts.pts_s)) continue;
    ++result.frames_sampled;
    if (analysis.offer(ts)) analysis.update(per_frame[static_cast<size_t>(f)], ts, nullptr);
    if (f % 100 == 0) report_progress(options.on_progress, f, info->length, elapsed());
  }
  analysis.finish();
  result.wall_s = elapsed();
  result.duration_s = info->length / co_fps(*info);
  collect(analysis, result);
  report_progress(options.on_progress, result.frames, result.frames, result.wall_s);
  return result;
}

std::string summary_json(const AnalyzeResult& r) {
  nlohmann::ordered_json j;
  j["camera"] = r.camera;
  j["frames"] = r.frames;
  j["frames_sampled"] = r.frames_sampled;
  j["frames_analysed"] = r.frames_analysed;
  j["duration_s"] = std::round(r.duration_s * 1000) / 1000;
  j["width"] = r.width;
  j["height"] = r.height;
  j["fps"] = r.fps;
  j["model"] = r.model;
  j["events"] = r.events;
  j["wall_s"] = std::round(r.wall_s * 1000) / 1000;
  j["complete"] = !r.damage.has_value();
  if (r.damage) j["damage"] = *r.damage;
  j["corrupt_packets"] = r.corrupt_packets;
  j["tracks_by_class"] = r.tracks_by_class;
  if (r.evidence_packs > 0) j["evidence_packs"] = r.evidence_packs;
  if (!r.vehicles_by_class_color.empty() || r.plates_reported > 0) {
    j["vehicles_by_class_color"] = r.vehicles_by_class_color;
    j["plates_read"] = r.plates_reported;
  }
  j["lines"] = nlohmann::ordered_json::object();
  for (const auto& [name, t] : r.lines) {
    nlohmann::ordered_json l;
    l["in"] = t.in;
    l["out"] = t.out;
    l["by_class"] = nlohmann::ordered_json::object();
    for (const auto& [cls, io] : t.by_class) l["by_class"][cls] = {{"in", io.first}, {"out", io.second}};
    j["lines"][name] = l;
  }
  j["zones"] = nlohmann::ordered_json::object();
  for (const auto& [name, t] : r.zones) {
    nlohmann::ordered_json z;
    z["max_occupancy"] = t.max_occupancy;
    z["mean_occupancy"] = std::round(t.mean_occupancy() * 1000) / 1000;
    z["entries"] = t.entries;
    z["exits"] = t.exits;
    z["by_class"] = nlohmann::ordered_json::object();
    for (const auto& [cls, pc] : t.by_class)
      z["by_class"][cls] = {{"entries", pc.entries},
                            {"exits", pc.exits},
                            {"max_occupancy", pc.max_occupancy},
                            {"mean_occupancy", std::round(pc.occupancy_sum / std::max(1L, t.updates) * 1000) / 1000}};
    j["zones"][name] = z;
  }
  return j.dump(2) + "\n";
}

}  // namespace vsp::pipeline

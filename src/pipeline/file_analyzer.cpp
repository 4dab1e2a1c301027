#include "pipeline/file_analyzer.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/bounded_queue.hpp"
#include "core/coco.hpp"
#include "core/log.hpp"
#include "decode/decoder.hpp"
#include "detect/detector.hpp"
#include "ingest/source.hpp"
#include "pipeline/annotator.hpp"
#include "pipeline/frame_sampler.hpp"
#include "pipeline/plate_stage.hpp"
#include "track/tracker.hpp"

namespace vsp::pipeline {

namespace {

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

}  // namespace

core::Result<AnalyzeResult> run_analyze(const AnalyzeOptions& options, events::EventSink& sink) {
  const core::Logger log("analyze");
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

  std::unique_ptr<PlateStage> plates;
  if (options.camera.anpr) {
    auto ps = PlateStage::create(*options.camera.anpr, options.snapshot_dir, "snapshots/");
    if (!ps) return ps.error();
    plates = std::move(ps.value());
  }

  const double analysed_fps = options.camera.detect_fps.value_or(info.fps > 0 ? info.fps : 25);
  track::Tracker tracker(config::make_tracker_options(options.camera.tracker, analysed_fps));
  std::vector<analytics::LineCounter> lines;
  for (const auto& l : options.camera.rules.lines) lines.emplace_back(l, info.width, info.height);
  std::vector<analytics::ZoneMonitor> zones;
  for (const auto& z : options.camera.rules.zones) zones.emplace_back(z, info.width, info.height);

  // ---- Reader thread: demux, decode, sample, prepare ------------------------------------------
  core::BoundedQueue<Work> queue(4, core::OverflowPolicy::block);
  ReaderEnd reader_end;
  const detect::Detector& det_const = **detector;
  std::thread reader([&] {
    core::RateLimit corrupt_log(std::chrono::seconds(5));
    FrameSampler sampler(options.camera.detect_fps);
    auto emit = [&](core::Image img) {
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

  // ---- Analysis: infer, track, rules, events ---------------------------------------------------
  const auto t0 = std::chrono::steady_clock::now();
  core::Tracks tracks;
  std::map<int, int> confirmed_class;  // track id -> voted class at its last report
  auto emit_events = [&](std::vector<events::Event> evs) {
    for (auto& e : evs) {
      e.camera = result.camera;
      e.ts_utc_ms = epoch_ms + static_cast<std::int64_t>(std::llround(e.pts_s * 1000));
      e.id = events::make_uuid_v7(e.ts_utc_ms);
      sink.write(e);
      ++result.events;
    }
  };
  core::Timestamp last_ts;
  while (auto w = queue.pop()) {
    last_ts = w->image.ts;
    ++result.frames;
    if (w->prepared) {
      ++result.frames_analysed;
      const auto dets = (*detector)->infer(*w->prepared);
      tracks = tracker.update(dets, w->image.ts);
      for (const auto& t : tracks)
        if (t.confirmed()) confirmed_class[t.id] = t.class_id;
      for (auto& l : lines) emit_events(l.update(tracks, w->image.ts));
      for (auto& z : zones) emit_events(z.update(tracks, w->image.ts));
      if (plates) emit_events(plates->update(w->image, tracks, w->image.ts));
    }
    if (annotator) annotator->write(w->image, tracks, lines, zones);
    if (options.on_progress && (result.frames % 10 == 0)) {
      Progress p;
      p.frames_done = result.frames;
      p.frames_total = info.frame_count;
      p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      p.fps = p.elapsed_s > 0 ? static_cast<double>(result.frames) / p.elapsed_s : 0;
      options.on_progress(p);
    }
  }
  reader.join();
  for (auto& z : zones) emit_events(z.finish());
  if (plates) {
    emit_events(plates->finish());
    result.vehicles_by_class_color = plates->vehicles_by_class_color();
    result.plates_reported = plates->plates_reported();
  }
  sink.flush();

  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  result.duration_s = result.frames > 0 ? last_ts.pts_s + (info.fps > 0 ? 1.0 / info.fps : 0.0) : 0.0;
  result.damage = reader_end.damage;
  result.corrupt_packets = reader_end.corrupt_packets;
  if (!result.damage && result.corrupt_packets > 0)
    result.damage = fmt::format("{}: {} corrupt packet(s) skipped; {} of the {} frames decoded", options.video_path,
                                result.corrupt_packets, result.frames, info.frame_count);
  else if (!result.damage && info.frame_count > 0 && result.frames < info.frame_count * 98 / 100)
    result.damage = fmt::format("{}: stream ends early: {} of the {} frames the container announces (truncated file?)",
                                options.video_path, result.frames, info.frame_count);
  for (const auto& l : lines) result.lines.emplace_back(l.options().name, l.totals());
  for (const auto& z : zones) result.zones.emplace_back(z.options().name, z.totals());
  for (const auto& [id, cls] : confirmed_class) ++result.tracks_by_class[std::string(core::coco_name(cls))];
  if (options.on_progress) {
    Progress p;
    p.frames_done = result.frames;
    p.frames_total = result.frames;
    p.elapsed_s = result.wall_s;
    p.fps = result.wall_s > 0 ? static_cast<double>(result.frames) / result.wall_s : 0;
    options.on_progress(p);
  }
  return result;
}

std::string summary_json(const AnalyzeResult& r) {
  nlohmann::ordered_json j;
  j["camera"] = r.camera;
  j["frames"] = r.frames;
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

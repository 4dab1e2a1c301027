// End-to-end speed of `vsp analyze` against the physical limits measured in the same run:
//   1. FFmpeg's own decode rate of the clip (the ffmpeg CLI, 1 thread and auto threads) and ours;
//   2. the model's raw inference rate (forward() alone on prepared inputs);
//   3. `vsp analyze` end to end (decode + prepare + infer + track + rules), detecting every frame.
//   analyze_bench VIDEO [MODEL ...]
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "decode/decoder.hpp"
#include "detect/detector.hpp"
#include "events/event.hpp"
#include "ingest/source.hpp"
#include "pipeline/file_analyzer.hpp"

using namespace vsp;
using Clock = std::chrono::steady_clock;

namespace {
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct NullSink final : events::EventSink {
  void write(const events::Event&) override {}
};

std::vector<core::Image> decode_all(const std::string& path, double& fps_out, int threads) {
  auto src = ingest::Source::open({path});
  auto dec = decode::Decoder::create(**src, {0, 0, threads});
  std::vector<core::Image> frames;
  const auto t0 = Clock::now();
  while (auto p = (*src)->read()) {
    if (!*p) break;
    (void)(*dec)->send(**p);
    while (auto img = (*dec)->receive()) frames.push_back(std::move(*img));
  }
  (*dec)->flush();
  while (auto img = (*dec)->receive()) frames.push_back(std::move(*img));
  fps_out = static_cast<double>(frames.size()) / seconds_since(t0);
  return frames;
}

double ffmpeg_cli_fps(const std::string& path, long frames, const char* threads) {
  const std::string cmd =
      fmt::format("ffmpeg -nostdin -loglevel error -threads {} -i '{}' -f null - 2>/dev/null", threads, path);
  const auto t0 = Clock::now();
  if (std::system(cmd.c_str()) != 0) return 0;
  return static_cast<double>(frames) / seconds_since(t0);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: analyze_bench VIDEO [MODEL ...]\n");
    return 2;
  }
  const std::string video = argv[1];
  std::vector<std::string> models;
  for (int i = 2; i < argc; ++i) models.push_back(argv[i]);
  if (models.empty()) models = {"yolox_nano"};

  double our_decode_fps = 0;
  const auto frames = decode_all(video, our_decode_fps, 1);
  if (frames.empty()) {
    fmt::print(stderr, "{}: no frames\n", video);
    return 1;
  }
  const long n = static_cast<long>(frames.size());
  const double ff1 = ffmpeg_cli_fps(video, n, "1");
  const double ffa = ffmpeg_cli_fps(video, n, "0");
  fmt::print("clip: {} ({} frames, {}x{})\n", video, n, frames[0].width, frames[0].height);
  fmt::print(
      "decode  ffmpeg CLI 1 thread: {:8.1f} fps   auto threads: {:8.1f} fps   vsp decoder (BGR out, 1 thread): {:8.1f} "
      "fps\n\n",
      ff1, ffa, our_decode_fps);
  fmt::print("{:<15} {:>12} {:>14} {:>14} {:>12} {:>12}\n", "model", "raw infer fps", "analyze fps", "analyze/infer",
             "infer ms", "decode/infer");
  for (const auto& m : models) {
    detect::DetectorOptions o;
    o.model = m;
    auto det = detect::Detector::create(o);
    if (!det) {
      fmt::print(stderr, "{}\n", det.error().message);
      return 1;
    }
    // Raw inference: forward() alone on 60 already prepared frames spread over the clip.
    std::vector<detect::PreparedInput> inputs;
    for (long i = 0; i < 60; ++i) inputs.push_back((*det)->prepare(frames[static_cast<size_t>(i * n / 60)]));
    (*det)->forward_only(inputs[0]);
    const auto t0 = Clock::now();
    for (const auto& in : inputs) (*det)->forward_only(in);
    const double infer_fps = static_cast<double>(inputs.size()) / seconds_since(t0);
    // End to end.
    pipeline::AnalyzeOptions ao;
    ao.video_path = video;
    ao.camera.detector = o;
    NullSink sink;
    const auto t1 = Clock::now();
    auto r = pipeline::run_analyze(ao, sink);
    const double analyze_fps = static_cast<double>(r.ok() ? r->frames : 0) / seconds_since(t1);
    fmt::print("{:<15} {:>12.1f} {:>14.1f} {:>13.2f}x {:>12.1f} {:>11.1f}x\n", m, infer_fps, analyze_fps,
               analyze_fps / infer_fps, 1000 / infer_fps, ff1 / infer_fps);
  }
  return 0;
}

// Writes our detector's person detections on a video as a MOTChallenge detection file
// (frame,-1,x,y,w,h,score,-1,-1,-1; frames from 1 in decode order), so `vsp track` and other
// trackers can be compared on identical detections of real footage.
//   tracker_dump_dets VIDEO OUT.txt [MODEL]
#include <fmt/format.h>

#include <fstream>

#include "decode/decoder.hpp"
#include "detect/detector.hpp"
#include "ingest/source.hpp"

using namespace vsp;

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: tracker_dump_dets VIDEO OUT.txt [MODEL]\n");
    return 2;
  }
  auto source = ingest::Source::open({argv[1]});
  if (!source) return fmt::print(stderr, "{}\n", source.error().message), 1;
  auto decoder = decode::Decoder::create(**source, {});
  if (!decoder) return fmt::print(stderr, "{}\n", decoder.error().message), 1;
  detect::DetectorOptions opts;
  if (argc > 3) opts.model = argv[3];
  opts.classes = {0};  // COCO person
  auto detector = detect::Detector::create(opts);
  if (!detector) return fmt::print(stderr, "{}\n", detector.error().message), 1;
  std::ofstream out(argv[2]);
  int frame = 0;
  auto emit = [&](const core::Image& img) {
    ++frame;
    for (const auto& d : (*detector)->detect(img))
      out << fmt::format("{},-1,{:.2f},{:.2f},{:.2f},{:.2f},{:.4f},-1,-1,-1\n", frame, d.box_px.x1, d.box_px.y1,
                         d.box_px.width(), d.box_px.height(), d.score);
  };
  while (true) {
    auto pkt = (*source)->read();
    if (!pkt || !*pkt) break;
    (void)(*decoder)->send(**pkt);
    while (auto img = (*decoder)->receive()) emit(*img);
  }
  (*decoder)->flush();
  while (auto img = (*decoder)->receive()) emit(*img);
  fmt::print(stderr, "{} frames -> {}\n", frame, argv[2]);
  return 0;
}

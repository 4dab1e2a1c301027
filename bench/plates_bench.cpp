// Plate reading accuracy and speed on the OpenALPR end-to-end photos: top-1 exact match per
// region (the first plate reported must equal the label), and ms per photo.
//   plates_bench DATA_DIR/plates_openalpr_endtoend [REGION ...]
// Settings to compare (environment): PLATES_SIDES=640,320 (localiser input sizes on the whole
// photo, in order; empty = no localiser, the text-detector chain only), PLATES_FALLBACK=0 (no
// text-detector fallback), PLATES_VEHICLE_LPD=0 (no localiser on vehicle boxes), PLATES_VEHICLES=0 (vehicles only when
// the fallback needs them), PLATES_THR=0.3 (localiser score threshold), PLATES_CORNERS=1 (rectify the regressed corners
// where plausible instead of reading the plate's box), PLATES_FREQUENT=0 (no correction by frequent layouts),
// PLATES_SINGLE=0.97 (a plate's second crop is read only when the first's read fits no national layout or
// is less confident than this; 2 = always both crops, the old path),
// PLATES_BACKEND=opencv|fast|auto (engine for LPD-YuNet, PP-OCRv4 and the vehicle attributes; default auto),
// PLATES_PLAN_AHEAD=1 (LPD-YuNet plans its common input sizes at start and keeps 16 more; default 0:
// each size planned on first use, the last 6 kept),
// PLATES_SMALL=N (photos with a long side <= N px run the localiser ladder smallest size first),
// PLATES_SMALL_SIDES=256,320,640 (those photos' ladder instead; empty: PLATES_SIDES smallest first),
// VERBOSE=1 (misses), PLATES_PER_PHOTO=1 (each photo's ms and forwards). Top-1 is also printed for the two halves of a
// fixed split (FNV-1a of "region/image", even / odd), so a setting chosen on one half can be checked on the other.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "anpr/photo_reader.hpp"
#include "detect/detector.hpp"

using namespace vsp;

namespace {
int half(const std::string& key) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : key) h = (h ^ c) * 16777619u;
  return static_cast<int>(h % 2);
}
const char* env(const char* name) { return std::getenv(name); }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: plates_bench DATA_DIR [REGION ...]\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::vector<std::string> regions;
  for (int i = 2; i < argc; ++i) regions.push_back(argv[i]);
  if (regions.empty()) regions = {"us", "eu", "br"};
  std::ifstream in(dir + "/labels.csv");
  std::string line;
  std::getline(in, line);
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> items;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string region, image, x, y, w, h, text;
    std::getline(ss, region, ',');
    std::getline(ss, image, ',');
    std::getline(ss, x, ',');
    std::getline(ss, y, ',');
    std::getline(ss, w, ',');
    std::getline(ss, h, ',');
    std::getline(ss, text, ',');
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    items[region].emplace_back(image, text);
  }
  int total = 0, total_ok = 0, all_half[2] = {0, 0}, all_n[2] = {0, 0};
  for (const auto& reg : regions) {
    anpr::PlateReaderOptions o;
    o.region = *anpr::parse_region(reg);
    if (env("PLATES_THR")) o.lpd.score_threshold = std::stof(env("PLATES_THR"));
    if (env("PLATES_PLAN_AHEAD")) o.lpd.plan_ahead = std::string(env("PLATES_PLAN_AHEAD")) != "0";
    if (env("PLATES_CORNERS")) o.use_corners = std::string(env("PLATES_CORNERS")) != "0";
    if (env("PLATES_SINGLE")) o.single_crop_confidence = std::stof(env("PLATES_SINGLE"));
    if (env("PLATES_FREQUENT")) o.frequent_layouts = std::string(env("PLATES_FREQUENT")) != "0";
    if (env("PLATES_BACKEND")) {
      const std::string b = env("PLATES_BACKEND");
      o.backend = b == "opencv" ? detect::Backend::opencv
                  : b == "fast" ? detect::Backend::fast
                                : detect::Backend::automatic;
    }
    anpr::PhotoReaderOptions po;
    if (env("PLATES_SIDES")) {
      po.lpd_long_sides.clear();
      std::stringstream ss(env("PLATES_SIDES"));
      for (std::string x; std::getline(ss, x, ',');)
        if (!x.empty()) po.lpd_long_sides.push_back(std::stoi(x));
    }
    if (env("PLATES_FALLBACK")) po.text_fallback = std::string(env("PLATES_FALLBACK")) != "0";
    if (env("PLATES_VEHICLES")) po.vehicles = std::string(env("PLATES_VEHICLES")) != "0";
    if (env("PLATES_VEHICLE_LPD")) po.vehicle_lpd = std::string(env("PLATES_VEHICLE_LPD")) != "0";
    if (env("PLATES_SMALL")) po.small_photo_px = std::stoi(env("PLATES_SMALL"));
    if (env("PLATES_SMALL_SIDES")) {
      po.small_photo_sides.clear();
      std::stringstream ss(env("PLATES_SMALL_SIDES"));
      for (std::string x; std::getline(ss, x, ',');)
        if (!x.empty()) po.small_photo_sides.push_back(std::stoi(x));
    }
    auto reader = anpr::PhotoReader::create(o, po);
    if (!reader) {
      fmt::print(stderr, "{}\n", reader.error().message);
      return 1;
    }
    int ok = 0, n = 0, ok_half[2] = {0, 0}, n_half[2] = {0, 0};
    std::vector<double> ms, det_ms;
    anpr::PlateReaderUsage u0 = (*reader)->plate_usage();
    const anpr::PlateReaderUsage start = u0;
    detect::DetectorOptions dopt;
    dopt.classes = {2, 3, 5, 7};
    auto det = detect::Detector::create(dopt);
    for (const auto& [image, text] : items[reg]) {
      if (env("PLATES_ONLY") && image.find(env("PLATES_ONLY")) == std::string::npos) continue;
      auto r = (*reader)->read_file(dir + "/" + reg + "/" + image);
      ms.push_back(r.ms);
      const anpr::PlateReaderUsage u1 = (*reader)->plate_usage();
      if (env("PLATES_PER_PHOTO"))
        fmt::print(
            "  {} {} {}x{}: {:.0f} ms; localiser {}x {:.0f} ms, recogniser {}x ({} wide) {:.0f} ms, text detector "
            "{}x {:.0f} ms; read {} want {}\n",
            reg, image, r.width, r.height, r.ms, u1.localiser.forwards - u0.localiser.forwards,
            u1.localiser.ms - u0.localiser.ms, u1.recogniser.forwards - u0.recogniser.forwards,
            u1.recogniser_wide.forwards - u0.recogniser_wide.forwards, u1.recogniser.ms - u0.recogniser.ms,
            u1.text_detector.forwards - u0.text_detector.forwards, u1.text_detector.ms - u0.text_detector.ms,
            r.plates.empty() ? "-" : r.plates[0].text, text);
      u0 = u1;
      if (auto img = anpr::load_image(dir + "/" + reg + "/" + image); img && det) {
        const auto t0 = std::chrono::steady_clock::now();
        (void)(*det)->detect(*img);
        det_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      const std::string got = r.plates.empty() ? "" : r.plates[0].text;
      ++n;
      const int hf = half(reg + "/" + image);
      ++n_half[hf];
      if (got == text) {
        ++ok;
        ++ok_half[hf];
      } else if (getenv("VERBOSE"))
        fmt::print("  {} {}: want {} got {} ({})\n", reg, image, text, got, r.plates.size());
    }
    std::sort(ms.begin(), ms.end());
    std::sort(det_ms.begin(), det_ms.end());
    fmt::print(
        "{}: top-1 {}/{} = {:.1f} % (halves {}/{} | {}/{}), median {:.0f} ms per photo (the vehicle detector "
        "alone: {:.0f} ms)\n",
        reg, ok, n, 100.0 * ok / std::max(1, n), ok_half[0], n_half[0], ok_half[1], n_half[1],
        ms.empty() ? 0.0 : ms[ms.size() / 2], det_ms.empty() ? 0.0 : det_ms[det_ms.size() / 2]);
    {
      // Where the time goes: each plate model's forwards per photo and their ms (planning included);
      // the rest is pre- and post-processing, the vehicle detector where the fallback needs it.
      const anpr::PlateReaderUsage& e = u0;
      const double k = 1.0 / std::max(1, n);
      double sum = 0;
      for (double x : ms) sum += x;
      const double lpd = e.localiser.ms - start.localiser.ms, rec = e.recogniser.ms - start.recogniser.ms,
                   td = e.text_detector.ms - start.text_detector.ms;
      fmt::print(
          "{}: per photo (mean) {:.1f} ms = localiser {:.2f}x {:.1f} ms + recogniser {:.2f}x ({:.2f} wide) {:.1f} ms + "
          "text detector {:.2f}x {:.1f} ms + rest {:.1f} ms\n",
          reg, sum * k, static_cast<double>(e.localiser.forwards - start.localiser.forwards) * k, lpd * k,
          static_cast<double>(e.recogniser.forwards - start.recogniser.forwards) * k,
          static_cast<double>(e.recogniser_wide.forwards - start.recogniser_wide.forwards) * k, rec * k,
          static_cast<double>(e.text_detector.forwards - start.text_detector.forwards) * k, td * k,
          (sum - lpd - rec - td) * k);
    }
    total += n;
    total_ok += ok;
    for (int k = 0; k < 2; ++k) all_half[k] += ok_half[k], all_n[k] += n_half[k];
  }
  fmt::print("overall: {}/{} = {:.1f} % (halves {:.1f} % | {:.1f} %)\n", total_ok, total,
             100.0 * total_ok / std::max(1, total), 100.0 * all_half[0] / std::max(1, all_n[0]),
             100.0 * all_half[1] / std::max(1, all_n[1]));
  return 0;
}

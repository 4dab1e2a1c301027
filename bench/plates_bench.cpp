// Plate reading accuracy and speed on the OpenALPR end-to-end photos: top-1 exact match per
// region (the first plate reported must equal the label), and ms per photo.
//   plates_bench DATA_DIR/plates_openalpr_endtoend [REGION ...]
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "anpr/photo_reader.hpp"

using namespace vsp;

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
  int total = 0, total_ok = 0;
  for (const auto& reg : regions) {
    anpr::PlateReaderOptions o;
    o.region = *anpr::parse_region(reg);
    auto reader = anpr::PhotoReader::create(o);
    if (!reader) {
      fmt::print(stderr, "{}\n", reader.error().message);
      return 1;
    }
    int ok = 0, n = 0;
    std::vector<double> ms, det_ms;
    detect::DetectorOptions dopt;
    dopt.classes = {2, 3, 5, 7};
    auto det = detect::Detector::create(dopt);
    for (const auto& [image, text] : items[reg]) {
      auto r = (*reader)->read_file(dir + "/" + reg + "/" + image);
      ms.push_back(r.ms);
      if (auto img = anpr::load_image(dir + "/" + reg + "/" + image); img && det) {
        const auto t0 = std::chrono::steady_clock::now();
        (void)(*det)->detect(*img);
        det_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      const std::string got = r.plates.empty() ? "" : r.plates[0].text;
      ++n;
      if (got == text)
        ++ok;
      else if (getenv("VERBOSE"))
        fmt::print("  {} {}: want {} got {} ({})\n", reg, image, text, got, r.plates.size());
    }
    std::sort(ms.begin(), ms.end());
    std::sort(det_ms.begin(), det_ms.end());
    fmt::print(
        "{}: top-1 {}/{} = {:.1f} %, median {:.0f} ms per photo (of which the vehicle detector alone: {:.0f} ms)\n",
        reg, ok, n, 100.0 * ok / std::max(1, n), ms.empty() ? 0.0 : ms[ms.size() / 2],
        det_ms.empty() ? 0.0 : det_ms[det_ms.size() / 2]);
    total += n;
    total_ok += ok;
  }
  fmt::print("overall: {}/{} = {:.1f} %\n", total_ok, total, 100.0 * total_ok / std::max(1, total));
  return 0;
}

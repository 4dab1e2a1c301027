#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "anpr/photo_reader.hpp"
#include "app/commands.hpp"
#include "app/progress_bar.hpp"

namespace vsp::app {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

int cmd_plates(const PlatesArgs& a) {
  std::vector<std::string> files;
  for (const auto& in : a.inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(in, ec)) {
        std::string ext = e.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
        if (e.is_regular_file() &&
            (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp"))
          found.push_back(e.path().string());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(in);
    }
  }
  anpr::PlateReaderOptions o;
  o.region = *anpr::parse_region(a.region);
  auto reader = anpr::PhotoReader::create(o);
  if (!reader) {
    fmt::print(stderr, "vsp plates: {}\n", reader.error().message);
    return 1;
  }
  ProgressBar bar("plates");
  ordered_json results = ordered_json::array();
  int errors = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto r = (*reader)->read_file(files[i]);
    bar.update(static_cast<long>(i + 1), static_cast<long>(files.size()), 0, 0);
    ordered_json item;
    item["image"] = r.image;
    ordered_json plates = ordered_json::array();
    for (const auto& p : r.plates) {
      ordered_json cands = ordered_json::array();
      for (const auto& [t, c] : p.candidates)
        cands.push_back({{"text", t}, {"confidence", std::round(static_cast<double>(c) * 1000) / 1000}});
      plates.push_back({{"text", p.text},
                        {"confidence", std::round(static_cast<double>(p.confidence) * 1000) / 1000},
                        {"box",
                         {std::lround(p.box_px.x1), std::lround(p.box_px.y1), std::lround(p.box_px.width()),
                          std::lround(p.box_px.height())}},
                        {"valid", p.valid},
                        {"candidates", cands}});
    }
    item["plates"] = plates;
    ordered_json vehicles = ordered_json::array();
    for (const auto& v : r.vehicles)
      vehicles.push_back({{"class", v.class_name},
                          {"box",
                           {std::lround(v.box_px.x1), std::lround(v.box_px.y1), std::lround(v.box_px.width()),
                            std::lround(v.box_px.height())}},
                          {"color", v.attributes.color},
                          {"type", v.attributes.type}});
    item["vehicles"] = vehicles;
    if (!r.error.empty()) {
      item["error"] = r.error;
      ++errors;
    }
    item["ms"] = std::round(r.ms);
    results.push_back(item);
  }
  bar.finish();
  for (const auto& item : results) {
    std::string plates;
    for (const auto& p : item["plates"])
      plates += fmt::format("{} ({:.2f})  ", p["text"].get<std::string>(), p["confidence"].get<double>());
    if (item.contains("error"))
      fmt::print("{:<44} error: {}\n", item["image"].get<std::string>(), item["error"].get<std::string>());
    else
      fmt::print("{:<44} {}\n", item["image"].get<std::string>(), plates.empty() ? "no plate" : plates);
  }
  if (a.json) {
    std::ofstream out(*a.json);
    if (!out) {
      fmt::print(stderr, "vsp plates: {}: cannot write\n", *a.json);
      return 1;
    }
    out << ordered_json{{"results", results}}.dump(2) << "\n";
  }
  if (errors) fmt::print(stderr, "vsp plates: {} of {} image(s) could not be read\n", errors, files.size());
  return errors == static_cast<int>(files.size()) && !files.empty() ? 1 : 0;
}

}  // namespace vsp::app

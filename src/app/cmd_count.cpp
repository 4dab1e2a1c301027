// `vsp count`: people in still images (whole image), by plain boxes, dense fusion or auto.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/progress_bar.hpp"
#include "crowd/crowd_counter.hpp"

namespace vsp::app {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {
bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp" || ext == ".tif" ||
         ext == ".tiff";
}
}  // namespace

int cmd_count(const CountArgs& a) {
  const auto mode = crowd::parse_count_mode(a.mode);
  if (!mode) {
    fmt::print(stderr, "vsp count: --mode: expected auto, boxes or dense, got '{}'\n", a.mode);
    return 2;
  }
  // ---- Inputs: files as given; folders searched recursively, sorted
  std::vector<std::string> files;
  for (const auto& in : a.inputs) {
    std::error_code ec;
    if (!fs::is_directory(in, ec)) {
      files.push_back(in);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(in, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_regular_file(ec) && is_image_name(it->path())) found.push_back(it->path().string());
    }
    if (found.empty()) {
      fmt::print(stderr, "vsp count: {}: no images (.jpg, .png, .bmp, .webp, .tif) in this folder\n", in);
      return 1;
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  crowd::CounterOptions o;
  if (a.model) o.person_model = *a.model;
  auto counter = crowd::CrowdCounter::create(o);
  if (!counter) {
    fmt::print(stderr, "vsp count: {}\n", counter.error().message);
    return 1;
  }
  ProgressBar bar("count");
  ordered_json results = ordered_json::array();
  int errors = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < files.size(); ++i) {
    ordered_json item;
    item["image"] = files[i];
    auto image = crowd::load_image(files[i]);
    if (!image) {
      item["count"] = nullptr;
      item["error"] = image.error().message;
      ++errors;
    } else {
      const auto r = (*counter)->count(*image, *mode);
      item["count"] = r.count;
      item["mode"] = crowd::to_string(r.used);
      item["boxes_count"] = r.boxes_count;
      item["ms"] = std::round(r.ms);
    }
    results.push_back(item);
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bar.update(static_cast<long>(i + 1), static_cast<long>(files.size()), el > 0 ? (i + 1) / el : 0, el);
  }
  bar.finish();
  if (!a.quiet)
    for (const auto& item : results) {
      if (item.contains("error"))
        fmt::print("{:<44} error: {}\n", item["image"].get<std::string>(), item["error"].get<std::string>());
      else
        fmt::print("{:<44} {:4d}  ({}, {} ms)\n", item["image"].get<std::string>(), item["count"].get<int>(),
                   item["mode"].get<std::string>(), item["ms"].get<double>());
    }
  if (a.json) {
    std::ofstream out(*a.json);
    if (!out || !(out << ordered_json{{"results", results}}.dump(2) << "\n")) {
      fmt::print(stderr, "vsp count: {}: cannot write\n", *a.json);
      return 1;
    }
  }
  if (errors) fmt::print(stderr, "vsp count: {} of {} image(s) could not be counted\n", errors, files.size());
  if (errors == static_cast<int>(files.size())) return 1;
  return errors ? 3 : 0;
}

}  // namespace vsp::app

// Dense-count evaluation on head-point images: runs every detector pass once per image (cached
// in a JSON file), then sweeps the fusion grid and reports leave-one-out MAE per mode, next to the
// plain detector, and the time of each pass. Usage:
//   count_loo DATA_DIR [CACHE.json] [--upscaled]   (DATA_DIR holds counts.csv, e.g.
//   ../shared/data/crowd_headpoints_small)
// --upscaled also records the 1.5x and 2x head passes (slow; bench/count_loo_experiments.py uses them).
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include "crowd/crowd_counter.hpp"
#include "crowd/fusion.hpp"

using namespace vsp;
using nlohmann::json;

namespace {

json to_json(const core::Detections& d) {
  json a = json::array();
  for (const auto& x : d) a.push_back({x.box_px.x1, x.box_px.y1, x.box_px.x2, x.box_px.y2, x.score});
  return a;
}
core::Detections from_json(const json& a) {
  core::Detections d;
  for (const auto& x : a)
    d.push_back({{x[0].get<float>(), x[1].get<float>(), x[2].get<float>(), x[3].get<float>()}, x[4].get<float>(), 0});
  return d;
}

struct Stat {
  double mae = 0, rel = 0, bias = 0;
};
Stat stat(const std::vector<int>& counts, const std::vector<crowd::LabelledImage>& ims) {
  Stat s;
  for (size_t i = 0; i < ims.size(); ++i) {
    const double e = counts[i] - ims[i].truth;
    s.mae += std::abs(e);
    s.bias += e;
    s.rel += std::abs(e) / ims[i].truth;
  }
  const double n = static_cast<double>(ims.size());
  return {s.mae / n, s.rel / n, s.bias / n};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: count_loo DATA_DIR [CACHE.json]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const bool upscaled = std::string(argv[argc - 1]) == "--upscaled";
  const std::string cache_path = argc > 2 && std::string(argv[2]) != "--upscaled" ? argv[2] : "";
  const size_t n_scales = upscaled ? crowd::kHeadScales.size() : 4;
  auto read = crowd::read_counts_csv((dir / "counts.csv").string());
  if (!read) {
    fmt::print(stderr, "{}\n", read.error().message);
    return 1;
  }
  const auto& rows = read.value();
  json cache;
  if (!cache_path.empty()) {
    std::ifstream in(cache_path);
    if (in) cache = json::parse(in);
  }
  crowd::CounterOptions opt;
  opt.dense.head_scales = upscaled ? (1u << crowd::kHeadScales.size()) - 1 : crowd::kBaseHeadScales;
  std::unique_ptr<crowd::CrowdCounter> counter;
  std::vector<crowd::LabelledImage> ims;
  std::map<std::string, double> ms_sum;
  // The counter is made on the first image the cache lacks; nullopt after printing why.
  auto load = [&](const std::string& img) -> std::optional<core::Image> {
    if (!counter) {
      auto c = crowd::CrowdCounter::create(opt);
      if (!c) {
        fmt::print(stderr, "{}\n", c.error().message);
        return std::nullopt;
      }
      counter = std::move(c.value());
    }
    auto image = crowd::load_image((dir / img).string());
    if (!image) {
      fmt::print(stderr, "{}\n", image.error().message);
      return std::nullopt;
    }
    return std::move(*image);
  };
  for (const auto& [img, truth] : rows) {
    crowd::LabelledImage li;
    li.truth = truth;
    if (cache.contains(img)) {
      const auto& c = cache[img];
      li.raw.width = c["w"];
      li.raw.height = c["h"];
      li.raw.persons_full = from_json(c["full"]);
      li.raw.persons_tiles = from_json(c["tiles"]);
      for (size_t i = 0; i < crowd::kHeadScales.size() && i < c["heads"].size(); ++i)
        li.raw.heads[i] = from_json(c["heads"][i]);
      for (auto& [k, v] : c["ms"].items()) ms_sum[k] += v.get<double>();
    }
    // A cache without the upscaled passes when they are asked for: run the missing ones only.
    const size_t cached_scales = cache.contains(img) ? cache[img]["heads"].size() : 0;
    if (cache.contains(img) && cached_scales < n_scales) {
      auto image = load(img);
      if (!image) return 1;
      auto& c = cache[img];
      for (size_t i = cached_scales; i < n_scales; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        li.raw.heads[i] = counter->observe(*image, {false, 1u << i}, &li.raw.persons_full).heads[i];
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        const auto key = fmt::format("heads_{}x{}", crowd::kHeadScales[i][0], crowd::kHeadScales[i][1]);
        c["ms"][key] = ms;
        ms_sum[key] += ms;
        c["heads"].push_back(to_json(li.raw.heads[i]));
      }
      fmt::print(stderr, "{}: upscaled passes done\n", img);
    } else if (!cache.contains(img)) {
      auto image = load(img);
      if (!image) return 1;
      // Each pass timed on its own (the counter runs them in this order).
      json ms;
      auto timed = [&](const char* what, auto fn) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = fn();
        ms[what] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        return r;
      };
      const auto full = timed("persons_full", [&] { return counter->observe(*image, {false, 0}).persons_full; });
      li.raw = timed("persons_tiles", [&] { return counter->observe(*image, {true, 0}, &full); });
      for (size_t i = 0; i < n_scales; ++i)
        li.raw.heads[i] =
            timed(fmt::format("heads_{}x{}", crowd::kHeadScales[i][0], crowd::kHeadScales[i][1]).c_str(), [&] {
              return counter->observe(*image, {false, 1u << i}, &full).heads[i];
            });
      json heads = json::array();
      for (size_t i = 0; i < n_scales; ++i) heads.push_back(to_json(li.raw.heads[i]));
      cache[img] = {{"w", li.raw.width},
                    {"h", li.raw.height},
                    {"full", to_json(li.raw.persons_full)},
                    {"tiles", to_json(li.raw.persons_tiles)},
                    {"heads", heads},
                    {"ms", ms}};
      for (auto& [k, v] : ms.items()) ms_sum[k] += v.get<double>();
      fmt::print(stderr, "{} done\n", img);
    }
    ims.push_back(std::move(li));
  }
  if (!cache_path.empty()) std::ofstream(cache_path) << cache.dump();
  const double n = static_cast<double>(ims.size());
  fmt::print("{} images, {} people\n", ims.size(), [&] {
    int s = 0;
    for (const auto& i : ims) s += i.truth;
    return s;
  }());
  fmt::print("\nmean ms per pass, each timed alone (persons_tiles: the 4 tile windows only):\n");
  for (const auto& [k, v] : ms_sum) fmt::print("  {:<18} {:8.1f}\n", k, v / n);

  // ---- The plain detector at its counting threshold (no fitting at all)
  std::vector<int> plain;
  for (const auto& im : ims) plain.push_back(crowd::fuse_count(im.raw, {0, 0, false, 0.30f, crowd::Fusion::persons}));
  auto s = stat(plain, ims);
  fmt::print("\n{:<44} MAE {:5.2f}  rel {:5.1f} %  bias {:+5.2f}\n", "boxes (plain detector, thr 0.30)", s.mae,
             100 * s.rel, s.bias);

  // ---- Leave-one-out per family of settings
  const auto grid = crowd::default_grid();
  auto family = [&](const char* name, auto keep) {
    std::vector<crowd::CountParams> g;
    for (const auto& p : grid)
      if (keep(p)) g.push_back(p);
    const auto r = crowd::leave_one_out(ims, g);
    auto st = stat(r.loo_counts, ims);
    fmt::print("{:<44} LOO MAE {:5.2f}  rel {:5.1f} %  bias {:+5.2f}   (in-sample {:4.2f}; {} settings)\n", name,
               st.mae, 100 * st.rel, st.bias, r.in_sample_mae, g.size());
    fmt::print("    chosen on all: {}\n", crowd::describe(r.chosen_all));
    return r;
  };
  using F = crowd::Fusion;
  family("boxes, threshold by LOO", [](const auto& p) { return p.fusion == F::persons && !p.person_tiles; });
  family("boxes + tiles, threshold by LOO", [](const auto& p) { return p.fusion == F::persons; });
  family("heads only, scale+threshold by LOO", [](const auto& p) { return p.fusion == F::heads; });
  family("max(heads, persons) by LOO", [](const auto& p) { return p.fusion == F::max; });
  family("head_or_person, no tiles, by LOO",
         [](const auto& p) { return p.fusion == F::head_or_person && !p.person_tiles; });
  family("head_or_person + tiles, by LOO",
         [](const auto& p) { return p.fusion == F::head_or_person && p.person_tiles; });
  const auto all = family("dense: whole grid by LOO", [](const auto&) { return true; });
  fmt::print("\nper image (truth / plain / dense LOO):\n");
  for (size_t i = 0; i < ims.size(); ++i)
    fmt::print("  {:<34} {:3d} {:3d} {:3d}   {}\n", rows[i].first, ims[i].truth, plain[i], all.loo_counts[i],
               crowd::describe(all.per_fold[i]));
  // ---- Optional drawing of the shipped params' heads (green) and persons (blue): DRAW_DIR env
  if (const char* draw = std::getenv("DRAW_DIR")) {
    const auto p = all.chosen_all;
    for (size_t i = 0; i < ims.size(); ++i) {
      cv::Mat m = cv::imread((dir / rows[i].first).string());
      for (const auto& d : crowd::merge_persons(ims[i].raw, p.person_tiles, p.person_threshold))
        cv::rectangle(m, cv::Rect(cv::Point(d.box_px.x1, d.box_px.y1), cv::Point(d.box_px.x2, d.box_px.y2)),
                      {255, 0, 0}, 2);
      for (const auto& d : crowd::merge_heads(ims[i].raw, p.head_scales, p.head_threshold))
        cv::rectangle(m, cv::Rect(cv::Point(d.box_px.x1, d.box_px.y1), cv::Point(d.box_px.x2, d.box_px.y2)),
                      {0, 255, 0}, 2);
      cv::resize(m, m, cv::Size(), 0.6, 0.6);
      cv::imwrite(fmt::format("{}/{}.png", draw, std::filesystem::path(rows[i].first).stem().string()), m);
    }
  }
  return 0;
}

// Forward time per model: OpenCV DNN (the reference), the fast backend (src/infer, oneDNN) in fp32
// and in int8 (models with a calibration in src/detect/int8_calibration.inc), and ONNX Runtime (npm
// onnxruntime-node, the peer to beat; bench/ort), at 1 and 2 threads, random input 0..255, one run;
// with the achieved GFLOP/s next to the machine's peak from a small FMA loop.
//
//   (cd bench/ort && npm install --ignore-scripts)      # once; ONNX Runtime is a bench peer only
//   OMP_WAIT_POLICY=passive GOMP_SPINCOUNT=3000 build/bench/infer_bench [--reps N] [--models yolox_nano,nanodet_m_320]
//       [--threads 1] [--no-ort] [--int8-f32-dst] [--int8-all] [--profile] [--batch 1,2,4] [--ops|--nodes]
//
// --batch 1,2,4: instead of the engine table, the fast backend (fp32 and int8) planned for N frames
// in one forward (NCHW with N = 1, 2, 4: several cameras' frames in one run), ms per frame;
// --int8-f32-dst: int8 convolutions always write f32 (no requantising for int8 readers);
// --int8-all: the first and the head convolutions in int8 too; --profile: per-step fp32 and int8
// times; --ops: the operators each model uses; --nodes: and each node (op, outputs <- inputs).
//
// Each figure is the median and the minimum of N forwards after 3 warm-ups. On a shared machine the
// minimum is the steadier figure; docs/performance.md says which one it quotes.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "detect/int8_calibration.hpp"
#include "detect/model_registry.hpp"
#include "infer/session.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct BenchModel {
  std::string name, path;
  std::vector<int64_t> dims;
};

std::vector<BenchModel> all_models() {
  return {
      {"yolox_nano", "coco_yolox_nano/yolox_nano_416.onnx", {1, 3, 416, 416}},
      {"nanodet_m_320", "coco_nanodet_m/nanodet_m_320.onnx", {1, 3, 320, 320}},
      {"nanodet_m_416", "coco_nanodet_m/nanodet_m_416.onnx", {1, 3, 416, 416}},
      {"picodet_s_320", "coco_picodet_s/picodet_s_320_coco.onnx", {1, 3, 320, 320}},
      {"picodet_s_416", "coco_picodet_s/picodet_s_416_coco.onnx", {1, 3, 416, 416}},
      {"person_lwpd", "person_lwpd/person_lwpd_192.onnx", {1, 3, 192, 192}},
      {"yunet_s_320", "face_yunet/yunet_s_320_320.onnx", {1, 3, 320, 320}},
      {"ppocrv4_det_320", "ocr_ppocrv4/ppocrv4_det_320.onnx", {1, 3, 320, 320}},
      {"ppocrv4_rec_48x160", "ocr_ppocrv4/ppocrv4_rec_48x160.onnx", {1, 3, 48, 160}},
      {"vehicle_attributes", "vehicle_attributes/vehicle_attributes_barrier0039_72.onnx", {1, 3, 72, 72}},
      {"lpd_yunet_640x384", "plate_lpd_yunet/license_plate_detection_lpd_yunet_2023mar.onnx", {1, 3, 384, 640}},
      {"lpd_yunet_320x240", "plate_lpd_yunet/license_plate_detection_lpd_yunet_2023mar.onnx", {1, 3, 240, 320}},
      {"lpd_yunet_320x192", "plate_lpd_yunet/license_plate_detection_lpd_yunet_2023mar.onnx", {1, 3, 192, 320}},
      {"ppocrv4_rec_48x320", "ocr_ppocrv4/ppocrv4_rec_48x320.onnx", {1, 3, 48, 320}},
      {"yunet_n_320", "face_yunet/yunet_n_320_320.onnx", {1, 3, 320, 320}},
  };
}

struct Timing {
  double median = -1, min = -1;
  std::string note;
};

template <class F>
Timing time_it(F&& f, int reps) {
  for (int i = 0; i < 3; ++i) f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto a = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], t.front(), ""};
}

// ---- machine peak: independent FMA chains, dispatched at run time ---------------------------
__attribute__((target("avx512f"))) double fma_loop_avx512(long iters) {
  __m512 acc[12];
  for (auto& a : acc) a = _mm512_set1_ps(0.f);
  const __m512 x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.9999999f);
  for (long i = 0; i < iters; ++i)
    for (auto& a : acc) a = _mm512_fmadd_ps(a, x, y);
  float out[16];
  __m512 s = acc[0];
  for (int k = 1; k < 12; ++k) s = _mm512_add_ps(s, acc[k]);
  _mm512_storeu_ps(out, s);
  return static_cast<double>(out[0]);  // keeps the chains live
}
__attribute__((target("avx2,fma"))) double fma_loop_avx2(long iters) {
  __m256 acc[12];
  for (auto& a : acc) a = _mm256_set1_ps(0.f);
  const __m256 x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.9999999f);
  for (long i = 0; i < iters; ++i)
    for (auto& a : acc) a = _mm256_fmadd_ps(a, x, y);
  float out[8];
  __m256 s = acc[0];
  for (int k = 1; k < 12; ++k) s = _mm256_add_ps(s, acc[k]);
  _mm256_storeu_ps(out, s);
  return static_cast<double>(out[0]);
}

/// Peak single-precision GFLOP/s on `threads` threads and the ISA used: the best of many short runs
/// (about 1 ms each), so that a shared machine's quiet moments show the core's real rate.
std::pair<double, std::string> fma_peak(int threads) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!avx512 && !avx2) return {0, "no FMA"};
  const long iters = 200'000;
  const double flop_per_iter = 2.0 * 12 * (avx512 ? 16 : 8);
  double best = 0;
  std::atomic<double> sink{0};
  for (int r = 0; r < 200; ++r) {
    const auto a = Clock::now();
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&] { sink = sink + (avx512 ? fma_loop_avx512(iters) : fma_loop_avx2(iters)); });
    for (auto& t : ts) t.join();
    const double s = std::chrono::duration<double>(Clock::now() - a).count();
    best = std::max(best, flop_per_iter * static_cast<double>(iters) * threads / s / 1e9);
  }
  return {best, avx512 ? "AVX-512 FMA" : "AVX2 FMA"};
}

Timing ort_time(const std::string& ort_dir, const std::string& path, const std::vector<int64_t>& dims, int threads,
                int reps) {
  const std::string cmd = fmt::format("cd '{}' && node ort_bench.js '{}' {} {} {} 2>&1", ort_dir, path,
                                      fmt::join(dims, ","), threads, reps);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, -1, "popen failed"};
  char line[512];
  std::string all;
  Timing t;
  while (fgets(line, sizeof line, p)) {
    all += line;
    double med = 0, mn = 0;
    if (std::sscanf(line, "ort_ms %lf %lf", &med, &mn) == 2) t = {med, mn, ""};
  }
  pclose(p);
  if (t.median < 0) t.note = all.substr(0, 120);
  return t;
}

std::string cell(const Timing& t) {
  if (t.median < 0) return "n/a";
  return fmt::format("{:.1f} ({:.1f})", t.median, t.min);
}

/// Batching across cameras: one session planned for N frames, time per forward divided by N.
void batch_table(const std::vector<BenchModel>& models, const std::string& only, const std::string& batches,
                 int only_threads, int reps, bool f32_dst) {
  std::vector<int> ns;
  for (size_t p = 0; p < batches.size();) {
    const size_t q = std::min(batches.find(',', p), batches.size());
    if (q > p) ns.push_back(std::atoi(batches.substr(p, q - p).c_str()));
    p = q + 1;
  }
  const auto dir = vsp::detect::models_dir();
  std::printf(
      "\n| model | threads | batch | fast fp32 ms/frame | fast int8 ms/frame | fp32 vs batch 1 | int8 vs batch 1 "
      "| outputs vs batch 1 |\n|---|---|---|---|---|---|---|---|\n");
  for (const auto& m : models) {
    if (!only.empty() && ("," + only + ",").find("," + m.name + ",") == std::string::npos) continue;
    const std::string path = (dir / m.path).string();
    const auto* cal = vsp::detect::find_int8_calibration(m.name);
    for (int threads : {1, 2}) {
      if (only_threads > 0 && threads != only_threads) continue;
      double base32 = -1, base8 = -1;
      std::vector<float> single[2];  // batch 1's outputs, concatenated, per precision
      for (int n : ns) {
        std::vector<int64_t> dims = m.dims;
        dims[0] = n;
        // The same random frame n times, so each item's outputs can be checked against batch 1's.
        const size_t frame = static_cast<size_t>(dims[1] * dims[2] * dims[3]);
        std::vector<float> input(frame * static_cast<size_t>(n));
        std::mt19937 rng(1);
        std::uniform_real_distribution<float> u(0.f, 255.f);
        for (size_t k = 0; k < frame; ++k) input[k] = u(rng);
        for (size_t k = frame; k < input.size(); ++k) input[k] = input[k - frame];
        double max_diff = 0;
        Timing t32, t8;
        std::string note;
        for (int precision = 0; precision < 2; ++precision) {
          if (precision == 1 && !cal) continue;
          auto g = vsp::infer::load_onnx(path);
          if (!g) {
            note = g.error().message;
            continue;
          }
          g->model_name = m.name;
          vsp::infer::SessionOptions o{.threads = threads};
          if (precision == 1) {
            o.int8 = &cal->ranges;
            o.int8_requantise = !f32_dst;
          }
          auto s = vsp::infer::Session::create(std::move(*g), dims, o);
          if (!s) {
            note += s.error().message + " ";
            continue;
          }
          Timing t = time_it([&] { (*s)->run(input.data()); }, reps);
          t.median /= n;
          t.min /= n;
          (precision == 0 ? t32 : t8) = t;
          // Every item's outputs against batch 1's (largest difference relative to the largest value).
          std::vector<std::vector<float>> items(static_cast<size_t>(n));
          for (const auto& o : (*s)->outputs()) {
            size_t count = 1;
            for (auto d : o.dims) count *= static_cast<size_t>(d);
            const size_t per_item = count / static_cast<size_t>(n);
            for (size_t b = 0; b < static_cast<size_t>(n); ++b)
              items[b].insert(items[b].end(), o.data + b * per_item, o.data + (b + 1) * per_item);
          }
          auto& one = single[precision];
          if (n == 1) one = items[0];
          double top = 1e-12;
          for (float v : one) top = std::max(top, static_cast<double>(std::abs(v)));
          for (const auto& it : items)
            for (size_t k = 0; k < std::min(it.size(), one.size()); ++k)
              max_diff = std::max(max_diff, std::abs(static_cast<double>(it[k]) - one[k]) / top);
        }
        if (n == 1) base32 = t32.min, base8 = t8.min;
        auto gain = [](double base, const Timing& t) {
          return base > 0 && t.min > 0 ? fmt::format("{:.2f}x", base / t.min) : std::string("n/a");
        };
        std::printf("| %s | %d | %d | %s | %s | %s | %s | %.1e |\n", m.name.c_str(), threads, n, cell(t32).c_str(),
                    cell(t8).c_str(), gain(base32, t32).c_str(), gain(base8, t8).c_str(), max_diff);
        if (!note.empty()) std::printf("|   %s |\n", note.c_str());
        std::fflush(stdout);
      }
    }
  }
  std::printf("\ncells: median (min) ms per frame; ratios from the minimum (> 1: batching is faster per frame)\n");
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 30;
  bool ort = true, f32_dst = false, int8_all = false, profile = false, ops = false, nodes = false;
  int only_threads = 0;
  std::string only, batches, ort_dir = std::string(VSP_SOURCE_DIR) + "/bench/ort";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--models" && i + 1 < argc)
      only = argv[++i];
    else if (a == "--no-ort")
      ort = false;
    else if (a == "--threads" && i + 1 < argc)
      only_threads = std::atoi(argv[++i]);
    else if (a == "--int8-f32-dst")
      f32_dst = true;
    else if (a == "--int8-all")
      int8_all = true;
    else if (a == "--profile")
      profile = true;
    else if (a == "--ops")
      ops = true;
    else if (a == "--nodes")
      ops = nodes = true;
    else if (a == "--batch" && i + 1 < argc)
      batches = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: infer_bench [--reps N] [--models a,b] [--threads N] [--no-ort] [--int8-f32-dst] "
                   "[--int8-all] [--profile] [--ops] [--nodes] [--batch 1,2,4]\n");
      return 2;
    }
  }
  if (ort && system(fmt::format("test -d '{}/node_modules/onnxruntime-node'", ort_dir).c_str()) != 0) {
    std::printf("ONNX Runtime column skipped: run (cd bench/ort && npm install --ignore-scripts) first\n");
    ort = false;
  }
  if (!batches.empty()) {
    std::printf("kernel library: %s; cores available: %d; reps %d\n", vsp::infer::Session::kernel_info().c_str(),
                vsp::infer::available_cores(), reps);
    batch_table(all_models(), only, batches, only_threads, reps, f32_dst);
    return 0;
  }
  const auto dir = vsp::detect::models_dir();
  if (ops) {
    // The operators each model uses (count per op type), to see what the fast backend must cover;
    // --nodes: each node too (op, outputs <- inputs).
    for (const auto& m : all_models()) {
      if (!only.empty() && ("," + only + ",").find("," + m.name + ",") == std::string::npos) continue;
      auto g = vsp::infer::load_onnx((dir / m.path).string());
      if (!g) {
        std::printf("%s: %s\n", m.name.c_str(), g.error().message.c_str());
        continue;
      }
      std::map<std::string, int> count;
      for (const auto& n : g->nodes) {
        ++count[n.op];
        if (nodes)
          std::printf("  %s %s <- %s\n", n.op.c_str(), fmt::format("{}", fmt::join(n.outputs, ",")).c_str(),
                      fmt::format("{}", fmt::join(n.inputs, ",")).c_str());
      }
      std::string line;
      for (const auto& [op, c] : count) line += fmt::format(" {}x{}", op, c);
      std::printf("%s (%zu nodes):%s\n", m.name.c_str(), g->nodes.size(), line.c_str());
    }
    return 0;
  }
  std::printf("kernel library: %s; cores available: %d; reps %d; cells: median (min) ms per forward\n",
              vsp::infer::Session::kernel_info().c_str(), vsp::infer::available_cores(), reps);
  // vsp runs with OMP_WAIT_POLICY=passive GOMP_SPINCOUNT=3000 (src/app/main.cpp); say what this run had.
  auto env_or = [](const char* k) { return std::getenv(k) ? std::getenv(k) : "(unset)"; };
  std::printf("OpenMP: OMP_WAIT_POLICY=%s GOMP_SPINCOUNT=%s\n", env_or("OMP_WAIT_POLICY"), env_or("GOMP_SPINCOUNT"));
  double peak[3] = {0, 0, 0};
  for (int t : {1, 2}) {
    auto [gf, isa] = fma_peak(t);
    peak[t] = gf;
    std::printf("machine peak (%s, %d thread%s): %.0f GFLOP/s\n", isa.c_str(), t, t > 1 ? "s" : "", gf);
  }
  std::printf(
      "\n| model | threads | OpenCV DNN | fast fp32 | fast int8 | ONNX Runtime | fast vs OpenCV | fast vs ORT | "
      "int8 vs fp32 | GFLOP | fast GFLOP/s (%% of peak) |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& m : all_models()) {
    if (!only.empty() && ("," + only + ",").find("," + m.name + ",") == std::string::npos) continue;
    const std::string path = (dir / m.path).string();
    const size_t n = static_cast<size_t>(m.dims[0] * m.dims[1] * m.dims[2] * m.dims[3]);
    std::vector<float> input(n);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0.f, 255.f);
    for (auto& v : input) v = u(rng);
    // --profile: time per operator type, then the slowest `max_steps` steps, for one session.
    auto print_profile = [&](vsp::infer::Session& s, const char* label, int max_steps) {
      for (const auto& [op, ms] : s.profile(input.data(), reps, false))
        std::printf("|   %s session, %s: %.3f ms |\n", label, op.c_str(), ms);
      int shown = 0;
      for (const auto& [step, ms] : s.profile(input.data(), reps, true))
        if (shown++ < max_steps) std::printf("|   %s %.3f ms %s |\n", label, ms, step.c_str());
    };
    for (int threads : {1, 2}) {
      if (only_threads > 0 && threads != only_threads) continue;
      Timing ocv, fast, fast8, rt;
      std::string int8_note;
      double gflop = 0;
      std::string fast_note;
      try {
        cv::setNumThreads(threads);
        auto net = cv::dnn::readNetFromONNX(path);
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        const std::vector<int> sz(m.dims.begin(), m.dims.end());
        cv::Mat blob(4, sz.data(), CV_32F, input.data());
        const auto names = net.getUnconnectedOutLayersNames();
        std::vector<cv::Mat> outs;
        ocv = time_it(
            [&] {
              net.setInput(blob);
              net.forward(outs, names);
            },
            reps);
      } catch (const cv::Exception& e) {
        ocv.note = e.what();
      }
      auto graph = vsp::infer::load_onnx(path);
      if (graph) {
        graph->model_name = m.name;
        const auto plan0 = Clock::now();
        auto s = vsp::infer::Session::create(std::move(*graph), m.dims, {.threads = threads});
        const double plan_ms = std::chrono::duration<double, std::milli>(Clock::now() - plan0).count();
        if (s) {
          gflop = (*s)->stats().gflop;
          fast_note = fmt::format("planned in {:.0f} ms ({} steps, arena {:.1f} MB)", plan_ms, (*s)->stats().steps,
                                  static_cast<double>((*s)->stats().arena_bytes) / 1e6);
          fast = time_it([&] { (*s)->run(input.data()); }, reps);
          if (profile) print_profile(**s, "fp32", 40);
        } else {
          fast_note = s.error().message;
        }
      } else {
        fast_note = graph.error().message;
      }
      if (const auto* cal = vsp::detect::find_int8_calibration(m.name)) {
        auto g8 = vsp::infer::load_onnx(path);
        if (g8) {
          g8->model_name = m.name;
          auto s = vsp::infer::Session::create(std::move(*g8), m.dims,
                                               {.threads = threads,
                                                .int8 = &cal->ranges,
                                                .int8_first_conv_fp32 = !int8_all,
                                                .int8_head_convs_fp32 = !int8_all,
                                                .int8_requantise = !f32_dst});
          if (s) {
            fast8 = time_it([&] { (*s)->run(input.data()); }, reps);
            const auto& st = (*s)->stats();
            int8_note = fmt::format(
                "{} of {} convolutions int8 ({} with per-channel input scales), {} writing "
                "int8, {} quantise reorders",
                st.int8_convolutions, st.convolutions, st.int8_per_channel, st.int8_requantised, st.quantise_reorders);
            if (profile) print_profile(**s, "int8", 200);
          } else {
            int8_note = s.error().message;
          }
        }
      }
      if (ort) rt = ort_time(ort_dir, path, m.dims, threads, reps);
      auto ratio = [](const Timing& a, const Timing& b) {
        return a.median > 0 && b.median > 0 ? fmt::format("{:.2f}x ({:.2f}x)", a.median / b.median, a.min / b.min)
                                            : std::string("n/a");
      };
      const std::string gfs = fast.min > 0 ? fmt::format("{:.1f} ({:.0f}%)", gflop / fast.min * 1e3,
                                                         100.0 * gflop / fast.min * 1e3 / peak[threads])
                                           : "n/a";
      std::printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %.2f | %s |\n", m.name.c_str(), threads,
                  cell(ocv).c_str(), cell(fast).c_str(), cell(fast8).c_str(), cell(rt).c_str(),
                  ratio(ocv, fast).c_str(), ratio(rt, fast).c_str(), ratio(fast, fast8).c_str(), gflop, gfs.c_str());
      if (!int8_note.empty()) std::printf("|   fast int8: %s |\n", int8_note.c_str());
      if (!fast_note.empty()) std::printf("|   fast backend: %s |\n", fast_note.c_str());
      if (!rt.note.empty()) std::printf("|   ONNX Runtime: %s |\n", rt.note.c_str());
      std::fflush(stdout);
    }
  }
  std::printf("\nGFLOP/s is computed from the minimum time (convolution multiply-adds x 2).\n");
  return 0;
}

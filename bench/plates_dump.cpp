// Development aid for plate reading (docs/anpr.md): for every development photo, LPD-YuNet's boxes
// at 640 and 320 px and, for each box, the recogniser's CTC probabilities (blank, A-Z, 0-9, rest)
// on a grid of crops of the box, so that crop choice, voting and decoding can be compared offline
// on the same reads (bench/plates_replay.py).
//   plates_dump DATA_DIR/plates_openalpr_endtoend OUT_PREFIX [REGION ...]
// writes OUT_PREFIX.jsonl (one line per read: photo, box, crop, shape) and OUT_PREFIX.f32 (the
// probabilities, T x 38 float32 per read, in order). The 16 crops: four row bands x three margins,
// then the reader's two crops contrast-stretched and warped bicubic. Instead (environment):
// DUMP_PREP=0,3,4 the reader's two crops as they are, grey, unsharp-masked; DUMP_STRETCH=1,1.5 the
// two crops stretched horizontally; DUMP_ONLY=NAME one photo; DUMP_PNG=DIR write the crops as PNG
// instead of reading them.
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "anpr/model_files.hpp"
#include "anpr/photo_reader.hpp"
#include "anpr/plate_localiser.hpp"
#include "core/geometry.hpp"

using namespace vsp;

namespace {
struct Crop {
  float x0, x1, y0, y1;
  int prep;              // 0 linear, 1 contrast stretch, 2 cubic
  float stretch = 1.0f;  // width / (height x the box's aspect)
};

cv::Mat stretch(const cv::Mat& bgr) {
  cv::Mat g;
  cv::cvtColor(bgr, g, cv::COLOR_BGR2GRAY);
  std::vector<uchar> v(g.begin<uchar>(), g.end<uchar>());
  std::sort(v.begin(), v.end());
  const float lo = v[v.size() * 2 / 100], hi = v[v.size() * 98 / 100];
  cv::Mat out;
  const double a = 255.0 / std::max(8.f, hi - lo);
  bgr.convertTo(out, CV_8UC3, a, -a * lo);
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const std::string dir = argv[1], prefix = argv[2];
  std::vector<std::string> regions;
  for (int i = 3; i < argc; ++i) regions.push_back(argv[i]);
  if (regions.empty()) regions = {"us", "eu", "br"};
  auto lpd = anpr::PlateLocaliser::create();
  auto r160 = anpr::detail::load(
      {"ocr_ppocrv4/ppocrv4_rec_48x160.onnx", "25d96d425cc049e2dad8a9125329fad6350024c0ac1d0d074108822a31a465bd"});
  auto r320 = anpr::detail::load(
      {"ocr_ppocrv4/ppocrv4_rec_48x320.onnx", "37604a810af8cde8df264101bcca810a8cadb8ae2f378ab6ce48c73dd214250f"});
  auto keys = anpr::detail::verified(
      {"ocr_ppocrv4/ppocr_keys_v1.txt", "28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7"});
  if (!lpd || !r160 || !r320 || !keys) return 1;
  std::map<std::string, int> index;
  {
    std::ifstream in(*keys);
    std::string line;
    for (int i = 1; std::getline(in, line); ++i) index.emplace(line, i);
  }
  std::vector<int> alpha;
  for (char c : anpr::plate_alphabet()) alpha.push_back(index.at(std::string(1, c)));
  std::vector<Crop> crops;
  const float ys[][2] = {{0.14f, 0.88f}, {0.08f, 0.96f}, {0.f, 1.f}, {0.20f, 0.84f}};
  const float xs[][2] = {{0.f, 1.f}, {-0.04f, 1.04f}, {-0.08f, 1.08f}};
  for (auto& y : ys)
    for (auto& x : xs) crops.push_back({x[0], x[1], y[0], y[1], 0});
  for (int prep : {1, 2})
    for (int yi : {0, 1}) crops.push_back({xs[yi][0], xs[yi][1], ys[yi][0], ys[yi][1], prep});
  std::ofstream meta(prefix + ".jsonl"), bin(prefix + ".f32", std::ios::binary);
  std::ifstream in(dir + "/labels.csv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string region, image, x, y, w, h, text;
    for (auto* s : {&region, &image, &x, &y, &w, &h, &text}) std::getline(ss, *s, ',');
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    if (std::find(regions.begin(), regions.end(), region) == regions.end()) continue;
    if (const char* only = std::getenv("DUMP_ONLY"); only && image.find(only) == std::string::npos) continue;
    auto img = anpr::load_image(dir + "/" + region + "/" + image);
    if (!img) continue;
    const cv::Mat m = anpr::detail::as_mat(*img);
    const core::BoxXyxy gt{std::stof(x), std::stof(y), std::stof(x) + std::stof(w), std::stof(y) + std::stof(h)};
    const core::BoxXyxy whole{0, 0, static_cast<float>(img->width), static_cast<float>(img->height)};
    for (int side : {640, 320}) {
      anpr::PlateLocaliserOptions o;
      o.long_side = side;
      const auto quads = (*lpd)->locate(*img, whole, o);
      for (size_t qi = 0; qi < quads.size() && qi < 2; ++qi) {
        const auto& b = quads[qi].box_px;
        const cv::Point2f c[4] = {{b.x1, b.y1}, {b.x2, b.y1}, {b.x2, b.y2}, {b.x1, b.y2}};
        const cv::Point2f unit[4] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
        const cv::Mat to_image = cv::getPerspectiveTransform(unit, c);
        const float bw = b.width(), bh = b.height();
        for (size_t ci = 0; ci < crops.size(); ++ci) {
          const auto& k = crops[ci];
          const float ch = 48,
                      cw = std::max(8.f, std::round(k.stretch * 48 * (k.x1 - k.x0) * bw / ((k.y1 - k.y0) * bh)));
          cv::Mat out_to_unit =
              (cv::Mat_<double>(3, 3) << (k.x1 - k.x0) / cw, 0, k.x0, 0, (k.y1 - k.y0) / ch, k.y0, 0, 0, 1);
          cv::Mat crop;
          cv::warpPerspective(m, crop, to_image * out_to_unit, cv::Size(static_cast<int>(cw), 48),
                              (k.prep == 2 ? cv::INTER_CUBIC : cv::INTER_LINEAR) | cv::WARP_INVERSE_MAP,
                              cv::BORDER_REPLICATE);
          if (k.prep == 1) crop = stretch(crop);
          if (k.prep == 3) {
            cv::Mat g;
            cv::cvtColor(crop, g, cv::COLOR_BGR2GRAY);
            cv::cvtColor(g, crop, cv::COLOR_GRAY2BGR);
          }
          if (k.prep == 4) {
            cv::Mat blur;
            cv::GaussianBlur(crop, blur, cv::Size(0, 0), 2.0);
            cv::addWeighted(crop, 1.6, blur, -0.6, 0, crop);
          }
          if (const char* png = std::getenv("DUMP_PNG")) {  // look at the crops instead
            cv::imwrite(fmt::format("{}/{}_{}_{}_{}.png", png, image, side, qi, ci), crop);
            continue;
          }
          const int want_w = crop.cols;
          const int W = want_w <= 160 ? 160 : 320;
          cv::dnn::Net& net = W == 160 ? *r160 : *r320;
          const int ww = std::clamp(want_w, 8, W);
          cv::Mat resized;
          cv::resize(crop, resized, cv::Size(ww, 48), 0, 0, cv::INTER_LINEAR);
          cv::Mat canvas(48, W, CV_32FC3, cv::Scalar(0, 0, 0)), f;
          resized.convertTo(f, CV_32FC3, 2.0 / 255, -1.0);
          f.copyTo(canvas(cv::Rect(0, 0, ww, 48)));
          net.setInput(cv::dnn::blobFromImage(canvas));
          cv::Mat o2 = net.forward();
          const int T = o2.size[1], C = o2.size[2];
          for (int t = 0; t < T; ++t) {
            const float* p = o2.ptr<float>() + static_cast<size_t>(t) * C;
            float row[38];
            row[0] = p[0];
            float s = p[0];
            for (size_t a = 0; a < 36; ++a) row[a + 1] = p[alpha[a]], s += p[alpha[a]];
            row[37] = std::max(0.f, 1.f - s);
            bin.write(reinterpret_cast<const char*>(row), sizeof row);
          }
          nlohmann::json j = {{"region", region},
                              {"image", image},
                              {"label", text},
                              {"side", side},
                              {"qi", qi},
                              {"score", quads[qi].score},
                              {"box", {b.x1, b.y1, b.x2, b.y2}},
                              {"iou", core::iou(b, gt)},
                              {"gt", {gt.x1, gt.y1, gt.x2, gt.y2}},
                              {"crop", ci},
                              {"cx", {k.x0, k.x1, k.y0, k.y1, k.prep, k.stretch}},
                              {"T", T},
                              {"used_w", ww}};
          meta << j.dump() << "\n";
        }
      }
    }
    meta.flush();
  }
  return 0;
}

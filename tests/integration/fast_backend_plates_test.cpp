// The plate reader's models on the fast backend (src/infer, oneDNN) against OpenCV DNN, the
// reference, on real inputs: raw outputs of LPD-YuNet (at the input sizes the reader uses), the
// PP-OCRv4 recognisers (on the labelled plates of the development photos), the PP-OCRv4 text
// detector and the vehicle-attribute model; then the reads of the whole localiser path.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "anpr/model_runner.hpp"
#include "anpr/photo_reader.hpp"
#include "anpr/plate_localiser.hpp"
#include "anpr/plate_reader.hpp"
#include "detect/model_registry.hpp"
#include "test_paths.hpp"

using namespace vsp;

namespace {

struct Labelled {
  std::string region, image;
  cv::Rect plate;
  std::string text;
};

/// Every `step`-th labelled photo of each region.
std::vector<Labelled> labelled(int step) {
  std::ifstream in(data_dir() + "/plates_openalpr_endtoend/labels.csv");
  std::string line;
  std::getline(in, line);
  std::vector<Labelled> out;
  for (int i = 0; std::getline(in, line); ++i) {
    std::stringstream ss(line);
    std::vector<std::string> f;
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (f.size() < 7 || i % step != 0) continue;
    while (!f[6].empty() && std::isspace(static_cast<unsigned char>(f[6].back()))) f[6].pop_back();
    out.push_back({f[0], f[1], cv::Rect(std::stoi(f[2]), std::stoi(f[3]), std::stoi(f[4]), std::stoi(f[5])), f[6]});
  }
  return out;
}

cv::Mat load(const Labelled& l) {
  return cv::imread(data_dir() + "/plates_openalpr_endtoend/" + l.region + "/" + l.image, cv::IMREAD_COLOR);
}

struct Pair {
  std::unique_ptr<anpr::detail::ModelRunner> fast, ref;
};

Pair runners(const std::string& rel, const std::string& name, std::vector<int64_t> probe) {
  const std::string path = (detect::models_dir() / rel).string();
  Pair p;
  auto f = anpr::detail::ModelRunner::create_from_path(path, name, detect::Backend::fast, 1, probe);
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message);
  auto r = anpr::detail::ModelRunner::create_from_path(path, name, detect::Backend::opencv, 1, probe);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (f.ok()) p.fast = std::move(*f);
  if (r.ok()) p.ref = std::move(*r);
  return p;
}

/// Largest |fast - ref| over all outputs, relative to max(1, largest |ref|) of that output.
double worst_difference(Pair& p, const cv::Mat& blob, const std::vector<std::string>& names, std::string* where) {
  const auto ref = p.ref->forward(blob, names);
  std::vector<cv::Mat> ref_copy;
  for (const auto& m : ref) ref_copy.push_back(m.clone());
  const auto fast = p.fast->forward(blob, names);
  EXPECT_EQ(fast.size(), ref_copy.size());
  double worst = 0;
  for (size_t k = 0; k < std::min(fast.size(), ref_copy.size()); ++k) {
    EXPECT_EQ(fast[k].total(), ref_copy[k].total()) << "output " << k;
    if (fast[k].total() != ref_copy[k].total()) return 1e9;
    const float* a = fast[k].ptr<float>();
    const float* b = ref_copy[k].ptr<float>();
    double scale = 1, diff = 0;
    for (size_t i = 0; i < fast[k].total(); ++i) {
      scale = std::max(scale, static_cast<double>(std::abs(b[i])));
      diff = std::max(diff, static_cast<double>(std::abs(a[i] - b[i])));
    }
    if (diff / scale > worst) {
      worst = diff / scale;
      *where = fmt::format("output {} ({} values, largest |ref| {:.3g})", k, fast[k].total(), scale);
    }
  }
  return worst;
}

}  // namespace

TEST(FastBackendPlates, lpd_yunet_outputs_match_opencv_at_the_readers_input_sizes) {
  auto p = runners("plate_lpd_yunet/license_plate_detection_lpd_yunet_2023mar.onnx", "lpd_yunet", {1, 3, 384, 640});
  ASSERT_TRUE(p.fast && p.ref);
  ASSERT_EQ(p.fast->backend(), detect::Backend::fast);
  int n = 0;
  for (const auto& l : labelled(23)) {
    const cv::Mat img = load(l);
    ASSERT_FALSE(img.empty()) << l.image;
    for (int side : {640, 320, 256}) {  // 256: the first pass on small photos
      const auto [W, H] = anpr::lpd_input_size(img.cols, img.rows, side, false);
      cv::Mat resized;
      cv::resize(img, resized, cv::Size(W, H), 0, 0, cv::INTER_LINEAR);
      std::string where;
      const double d = worst_difference(p, cv::dnn::blobFromImage(resized), {"loc", "conf", "iou"}, &where);
      std::printf("lpd_yunet %s/%s %dx%d: max relative difference %.2e at %s\n", l.region.c_str(), l.image.c_str(), W,
                  H, d, where.c_str());
      EXPECT_LE(d, 1e-4) << l.image << " " << W << "x" << H << " " << where;
      ++n;
    }
  }
  EXPECT_GE(n, 24);
}

TEST(FastBackendPlates, ppocr_recognisers_match_opencv_on_the_labelled_plates) {
  auto p160 = runners("ocr_ppocrv4/ppocrv4_rec_48x160.onnx", "ppocrv4_rec_48x160", {1, 3, 48, 160});
  auto p320 = runners("ocr_ppocrv4/ppocrv4_rec_48x320.onnx", "ppocrv4_rec_48x320", {1, 3, 48, 320});
  ASSERT_TRUE(p160.fast && p160.ref && p320.fast && p320.ref);
  int n = 0;
  for (const auto& l : labelled(9)) {
    const cv::Mat img = load(l);
    ASSERT_FALSE(img.empty()) << l.image;
    const cv::Rect r = l.plate & cv::Rect(0, 0, img.cols, img.rows);
    if (r.width < 8 || r.height < 8) continue;
    for (int W : {160, 320}) {
      // As the reader prepares a crop: height 48, aspect kept (up to W), (v/255 - 0.5) / 0.5, zero pad.
      const int w = std::clamp(static_cast<int>(std::ceil(48.0 * r.width / r.height)), 8, W);
      cv::Mat resized, f;
      cv::resize(img(r), resized, cv::Size(w, 48), 0, 0, cv::INTER_LINEAR);
      cv::Mat canvas(48, W, CV_32FC3, cv::Scalar(0, 0, 0));
      resized.convertTo(f, CV_32FC3, 2.0 / 255, -1.0);
      f.copyTo(canvas(cv::Rect(0, 0, w, 48)));
      std::string where;
      const double d = worst_difference(W == 160 ? p160 : p320, cv::dnn::blobFromImage(canvas), {}, &where);
      std::printf("ppocrv4_rec_48x%d %s/%s: max difference %.2e\n", W, l.region.c_str(), l.image.c_str(), d);
      // Probabilities over 6625 classes: summation order (layer norms, attention) moves them by up to 2e-4.
      EXPECT_LE(d, 1e-3) << l.image << " " << W << " " << where;
      ++n;
    }
  }
  EXPECT_GE(n, 40);
}

TEST(FastBackendPlates, ppocr_text_detector_and_vehicle_attributes_match_opencv) {
  auto det = runners("ocr_ppocrv4/ppocrv4_det_320.onnx", "ppocrv4_det_320", {1, 3, 320, 320});
  auto attrs =
      runners("vehicle_attributes/vehicle_attributes_barrier0039_72.onnx", "vehicle_attributes", {1, 3, 72, 72});
  ASSERT_TRUE(det.fast && det.ref && attrs.fast && attrs.ref);
  int n = 0;
  for (const auto& l : labelled(31)) {
    const cv::Mat img = load(l);
    ASSERT_FALSE(img.empty()) << l.image;
    // As detect_text: letterboxed into 320 x 320, ImageNet mean / std.
    const float r = std::min(320.f / img.cols, 320.f / img.rows);
    const int nw = std::max(1, static_cast<int>(std::round(img.cols * r)));
    const int nh = std::max(1, static_cast<int>(std::round(img.rows * r)));
    cv::Mat canvas(320, 320, CV_8UC3, cv::Scalar(0, 0, 0)), f;
    cv::resize(img, canvas(cv::Rect(0, 0, nw, nh)), cv::Size(nw, nh), 0, 0, cv::INTER_LINEAR);
    canvas.convertTo(f, CV_32FC3, 1.0 / 255);
    cv::subtract(f, cv::Scalar(0.485, 0.456, 0.406), f);
    cv::divide(f, cv::Scalar(0.229, 0.224, 0.225), f);
    std::string where;
    const double d = worst_difference(det, cv::dnn::blobFromImage(f), {}, &where);
    std::printf("ppocrv4_det_320 %s/%s: max difference %.2e\n", l.region.c_str(), l.image.c_str(), d);
    EXPECT_LE(d, 1e-4) << l.image << " " << where;
    // The vehicle-attribute model on the photo's centre (a vehicle in most of these photos).
    cv::Mat small;
    cv::resize(img(cv::Rect(img.cols / 4, img.rows / 4, img.cols / 2, img.rows / 2)), small, cv::Size(72, 72));
    const double da = worst_difference(attrs, cv::dnn::blobFromImage(small), {"color", "type"}, &where);
    std::printf("vehicle_attributes %s/%s: max difference %.2e\n", l.region.c_str(), l.image.c_str(), da);
    EXPECT_LE(da, 1e-4) << l.image << " " << where;
    ++n;
  }
  EXPECT_GE(n, 7);
}

// End to end on the localiser path: the same plates read, the same boxes.
TEST(FastBackendPlates, localiser_reads_are_the_same_as_on_opencv) {
  std::map<std::string, std::vector<Labelled>> by_region;
  for (const auto& l : labelled(7)) by_region[l.region].push_back(l);
  int compared = 0, read = 0;
  for (const auto& [region, items] : by_region) {
    anpr::PlateReaderOptions o;
    o.region = *anpr::parse_region(region);
    o.threads = 1;
    o.backend = detect::Backend::fast;
    auto fast = anpr::PlateReader::create(o);
    o.backend = detect::Backend::opencv;
    auto ref = anpr::PlateReader::create(o);
    ASSERT_TRUE(fast.ok() && ref.ok());
    for (const auto& l : items) {
      auto img = anpr::load_image(data_dir() + "/plates_openalpr_endtoend/" + region + "/" + l.image);
      ASSERT_TRUE(img.ok()) << l.image;
      const core::BoxXyxy whole{0, 0, static_cast<float>(img->width), static_cast<float>(img->height)};
      const auto a = (*fast)->read_located(*img, whole, o.lpd);
      const auto b = (*ref)->read_located(*img, whole, o.lpd);
      ASSERT_EQ(a.size(), b.size()) << l.image;
      for (size_t k = 0; k < a.size(); ++k) {
        EXPECT_EQ(a[k].text, b[k].text) << l.image;
        // Boxes a few thousandths of a pixel apart warp slightly different crops.
        EXPECT_NEAR(a[k].confidence, b[k].confidence, 5e-3) << l.image;
        EXPECT_NEAR(a[k].box_px.x1, b[k].box_px.x1, 0.05) << l.image;
        EXPECT_NEAR(a[k].box_px.x2, b[k].box_px.x2, 0.05) << l.image;
      }
      read += !a.empty() && a[0].text == l.text;
      ++compared;
    }
  }
  std::printf("localiser path: %d photos compared, %d read right by both\n", compared, read);
  EXPECT_GE(compared, 30);
  EXPECT_GE(read, compared / 2);  // the comparison is on plates actually read, not on empty results
}

TEST(FastBackendPlates, localiser_plans_the_common_sizes_once_at_start) {
  auto photo = anpr::load_image(data_dir() + "/plates_openalpr_endtoend/" + labelled(7).front().region + "/" +
                                labelled(7).front().image);
  ASSERT_TRUE(photo.ok());
  const cv::Mat src(photo->height, photo->width, CV_8UC3, photo->bgr.data());
  // A photo resized to `w` x `h`, located at long side 640 then 320 (the reader's ladder).
  auto locate_at = [&](anpr::PlateLocaliser& lpd, int w, int h) {
    cv::Mat m;
    cv::resize(src, m, cv::Size(w, h));
    core::Image img;
    img.width = w;
    img.height = h;
    img.bgr.assign(m.data, m.data + m.total() * 3);
    anpr::PlateLocaliserOptions o;
    for (int side : {640, 320}) {
      o.long_side = side;
      (void)lpd.locate(img, {0, 0, static_cast<float>(w), static_cast<float>(h)}, o);
    }
  };
  auto ahead = anpr::PlateLocaliser::create(detect::Backend::fast, 1, true);
  auto lazy = anpr::PlateLocaliser::create(detect::Backend::fast, 1, false);
  ASSERT_TRUE(ahead.ok() && lazy.ok());
  const int at_start = (*ahead)->plans_made();
  EXPECT_EQ(at_start, static_cast<int>(std::size(anpr::kLpdCommonSizes)));
  EXPECT_EQ((*lazy)->plans_made(), 1);  // the probe, 640x384
  // 4:3, 16:9, 3:2 and 5:4 landscape photos: all on plans made at start.
  for (auto [w, h] : {std::pair{1024, 768}, {1280, 720}, {900, 600}, {1000, 800}}) {
    locate_at(**ahead, w, h);
    locate_at(**lazy, w, h);
  }
  EXPECT_EQ((*ahead)->plans_made(), at_start);
  EXPECT_GE((*lazy)->plans_made(), 4);
  // A portrait photo is a new size for both.
  locate_at(**ahead, 600, 900);
  EXPECT_EQ((*ahead)->plans_made(), at_start + 2);
}

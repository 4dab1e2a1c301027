// Face blurring measured, not assumed: YuNet run on our blurred output must find no face where it
// found faces on the original, on the crowd photos and on frames of the sample clips. Prints the
// cost per frame that docs/performance.md records.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/geometry.hpp"
#include "privacy/face_blur.hpp"
#include "privacy/jpeg_blur.hpp"
#include "privacy/video_blur.hpp"
#include "test_paths.hpp"

using namespace vsp;

namespace {

std::vector<std::pair<std::string, cv::Mat>> test_frames() {
  std::vector<std::pair<std::string, cv::Mat>> out;
  for (int i = 1; i <= 22; ++i) {  // the crowd development images (street photos with faces)
    const auto p = fmt::format("{}/crowd_headpoints_small/images/train_data/IMG_{}.jpg", data_dir(), i);
    cv::Mat m = cv::imread(p, cv::IMREAD_COLOR);
    if (!m.empty()) out.emplace_back(p, m);
  }
  for (const char* clip :
       {"mot_tud_gt_and_tracker_output/TUD-Campus/TUD-Campus.mp4", "videos_people/one-by-one-person-detection.mp4"}) {
    cv::VideoCapture cap(data_dir() + "/" + clip);
    cv::Mat f;
    for (int i = 0; i < 60 && cap.read(f); ++i)
      if (i % 15 == 0) out.emplace_back(fmt::format("{}#{}", clip, i), f.clone());
  }
  return out;
}

bool overlaps(const core::BoxXyxy& a, const std::vector<privacy::Face>& faces) {
  for (const auto& f : faces)
    if (core::iou(a, f.box_px) > 0.1f) return true;
  return false;
}

}  // namespace

TEST(Privacy, yunet_finds_no_face_in_our_blurred_output_where_it_found_faces_in_the_original) {
  auto det = privacy::FaceDetector::load(privacy::default_face_model_path(), 640);
  ASSERT_TRUE(det) << det.error().message;
  auto blur_det = privacy::FaceDetector::load(privacy::default_face_model_path(), 640);
  ASSERT_TRUE(blur_det);
  privacy::FaceBlur blur(std::move(blur_det).value(), {});
  const auto frames = test_frames();
  ASSERT_GE(frames.size(), 20u);
  int found = 0, left = 0;
  double blur_ms = 0;
  for (const auto& [name, img] : frames) {
    const auto before = (*det)->detect(img, 0.5f);
    cv::Mat out = img.clone();
    const auto t0 = std::chrono::steady_clock::now();
    blur.apply(name, out);  // each frame its own stream: no help from the temporal hold
    blur_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const auto after = (*det)->detect(out, 0.5f);
    if (const char* dump = std::getenv("VSP_PRIVACY_DUMP"); dump && name.find("IMG_8.jpg") != std::string::npos)
      cv::imwrite(dump, out);
    found += static_cast<int>(before.size());
    for (const auto& f : after)
      if (overlaps(f.box_px, before)) {
        ++left;
        ADD_FAILURE() << name << ": a face survived blurring at " << f.box_px.x1 << "," << f.box_px.y1 << " score "
                      << f.score;
      }
  }
  fmt::print(
      "privacy: {} frames, {} faces found on the originals (score >= 0.5), {} found again after "
      "blurring; blur {:.1f} ms/frame (YuNet at 640 + flat patch)\n",
      frames.size(), found, left, blur_ms / static_cast<double>(frames.size()));
  EXPECT_GE(found, 20) << "the measurement needs faces to blur";
  EXPECT_EQ(left, 0);
}

TEST(Privacy, temporal_hold_keeps_a_face_blurred_through_a_missed_frame) {
  cv::Mat img = cv::imread(data_dir() + "/crowd_headpoints_small/images/train_data/IMG_1.jpg", cv::IMREAD_COLOR);
  ASSERT_FALSE(img.empty());
  auto d = privacy::FaceDetector::load(privacy::default_face_model_path(), 640);
  ASSERT_TRUE(d);
  privacy::FaceBlur blur(std::move(d).value(), {.threshold = 0.5f, .grow = 0.35f, .hold_frames = 3});
  cv::Mat first = img.clone();
  const auto faces = blur.apply("cam", first);
  ASSERT_FALSE(faces.empty());
  // The next frame is the same scene, but the detector sees nothing (a black frame gives no face):
  // blurring a copy of the original through the held boxes must still change every face region.
  cv::Mat black = cv::Mat::zeros(img.size(), img.type());
  blur.apply("cam", black);  // a miss
  cv::Mat again = img.clone();
  privacy::obscure(again, {faces[0].box_px}, 0.35f);
  const cv::Rect r(cv::Point(static_cast<int>(faces[0].box_px.x1), static_cast<int>(faces[0].box_px.y1)),
                   cv::Point(static_cast<int>(faces[0].box_px.x2), static_cast<int>(faces[0].box_px.y2)));
  EXPECT_GT(cv::norm(img(r & cv::Rect(0, 0, img.cols, img.rows)), again(r & cv::Rect(0, 0, img.cols, img.rows))), 0);
}

TEST(Privacy, head_fallback_covers_the_head_of_a_small_person_yunet_does_not_see) {
  auto d = privacy::FaceDetector::load(privacy::default_face_model_path(), 640);
  ASSERT_TRUE(d);
  privacy::FaceBlur blur(std::move(d).value(), {});
  cv::Mat img(480, 640, CV_8UC3);
  for (int y = 0; y < img.rows; ++y)  // a smooth gradient: nothing YuNet takes for a face
    for (int x = 0; x < img.cols; ++x)
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(x * 255 / 640), static_cast<uchar>(y * 255 / 480), 128);
  const cv::Mat before = img.clone();
  const core::BoxXyxy small{100, 100, 140, 220}, big{300, 0, 600, 470};
  EXPECT_TRUE(blur.apply("cam", img, {small, big}).empty());
  const auto h = privacy::head_region(small);
  const cv::Rect head(static_cast<int>(h.x1), static_cast<int>(h.y1), static_cast<int>(h.width()),
                      static_cast<int>(h.height()));
  EXPECT_GT(cv::norm(before(head), img(head)), 0) << "the small person's head is covered";
  cv::Mat flat;
  cv::meanStdDev(img(head), cv::noArray(), flat);
  EXPECT_LT(flat.at<double>(0), 1.0) << "covered by a flat patch";
  const cv::Rect body(110, 160, 20, 50);
  EXPECT_EQ(cv::norm(before(body), img(body)), 0) << "the body below the head is left alone";
  const auto bh = privacy::head_region(big);
  const cv::Rect big_head(static_cast<int>(bh.x1), static_cast<int>(bh.y1), static_cast<int>(bh.width()),
                          static_cast<int>(bh.height()));
  EXPECT_EQ(cv::norm(before(big_head), img(big_head)), 0) << "large people are left to YuNet";
}

TEST(Privacy, exported_video_is_re_encoded_with_no_face_yunet_can_find) {
  // A clip made of crowd photos, 3 frames each, stands in for an export.
  const auto dir = std::filesystem::temp_directory_path() / ("vsp_privacy_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string in = (dir / "in.mp4").string(), out = (dir / "out.mp4").string();
  std::vector<cv::Mat> stills;
  for (int i = 1; i <= 4; ++i) {
    cv::Mat m = cv::imread(fmt::format("{}/crowd_headpoints_small/images/train_data/IMG_{}.jpg", data_dir(), i));
    ASSERT_FALSE(m.empty());
    cv::resize(m, m, cv::Size(1024, 768));
    stills.push_back(m);
  }
  {
    cv::VideoWriter w(in, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('a', 'v', 'c', '1'), 10, cv::Size(1024, 768));
    ASSERT_TRUE(w.isOpened());
    for (const auto& m : stills)
      for (int k = 0; k < 3; ++k) w.write(m);
  }
  auto d = privacy::FaceDetector::load(privacy::default_face_model_path(), 640);
  ASSERT_TRUE(d);
  privacy::FaceBlur blur(std::move(d).value(), {});
  const auto t0 = std::chrono::steady_clock::now();
  auto st = privacy::blur_video(in, out, blur, "export");
  const double export_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st->frames, 12);
  auto check = privacy::FaceDetector::load(privacy::default_face_model_path(), 640);
  ASSERT_TRUE(check);
  cv::VideoCapture orig(in), blurred(out);
  cv::Mat a, b;
  int frames = 0, found = 0, left = 0;
  while (orig.read(a) && blurred.read(b)) {
    ++frames;
    const auto before = (*check)->detect(a, 0.5f);
    found += static_cast<int>(before.size());
    for (const auto& f : (*check)->detect(b, 0.5f))
      if (overlaps(f.box_px, before)) ++left;
  }
  EXPECT_EQ(frames, 12);
  EXPECT_GE(found, 12);
  EXPECT_EQ(left, 0) << "faces found again in the exported clip";
  fmt::print("privacy: export of {} frames (1024x768): {} faces on the original, {} after; {:.1f} ms/frame\n", frames,
             found, left, export_ms / 12);
  std::filesystem::remove_all(dir);
}

TEST(Privacy, jpeg_filter_returns_nothing_for_an_undecodable_frame_never_the_raw_bytes) {
  auto f = privacy::make_jpeg_blur(privacy::default_face_model_path());
  ASSERT_TRUE(f);
  EXPECT_FALSE((*f)("cam", std::string("not a jpeg"), {}).has_value());
}

// Face YuNet on the fast backend (src/infer) against OpenCV DNN, the reference (issue 12): the raw
// outputs agree within 1e-4 (2.8e-6 / 5e-6 measured), the decoded faces pair up (IoU >= 0.95,
// score within 0.02), and the blur made by the fast detector leaves no face the reference can find.
TEST(Privacy, yunet_on_the_fast_backend_matches_opencv_dnn_and_blurs_the_same_faces) {
  auto ref = privacy::FaceDetector::load(privacy::default_face_model_path(), 640, detect::Backend::opencv, 1);
  ASSERT_TRUE(ref) << ref.error().message;
  auto fast = privacy::FaceDetector::load(privacy::default_face_model_path(), 640, detect::Backend::fast, 1);
  ASSERT_TRUE(fast) << fast.error().message;
  EXPECT_EQ((*ref)->backend(), detect::Backend::opencv);
  EXPECT_EQ((*fast)->backend(), detect::Backend::fast) << (*fast)->backend_reason();
  auto blur_det = privacy::FaceDetector::load(privacy::default_face_model_path(), 640);  // auto
  ASSERT_TRUE(blur_det);
  EXPECT_EQ((*blur_det)->backend(), detect::Backend::fast) << (*blur_det)->backend_reason();
  privacy::FaceBlur blur(std::move(blur_det).value(), {});
  const auto frames = test_frames();
  ASSERT_GE(frames.size(), 20u);
  double max_score_diff = 0, max_box_diff = 0, ref_ms = 0, fast_ms = 0;
  int faces = 0, left = 0;
  for (const auto& [name, img] : frames) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = (*ref)->detect(img, 0.5f);
    const auto t1 = std::chrono::steady_clock::now();
    const auto ro = (*ref)->last_outputs();  // copies: the fast outputs are views, these are owned
    std::vector<cv::Mat> ref_outs;
    for (const auto& m : ro) ref_outs.push_back(m.clone());
    const auto t2 = std::chrono::steady_clock::now();
    const auto f = (*fast)->detect(img, 0.5f);
    const auto t3 = std::chrono::steady_clock::now();
    ref_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    fast_ms += std::chrono::duration<double, std::milli>(t3 - t2).count();
    const auto& fo = (*fast)->last_outputs();
    ASSERT_EQ(fo.size(), ref_outs.size());
    for (size_t k = 0; k < fo.size(); ++k) {
      ASSERT_EQ(fo[k].total(), ref_outs[k].total()) << name << " output " << k;
      const double d = cv::norm(fo[k].reshape(1, 1), ref_outs[k].reshape(1, 1), cv::NORM_INF);
      (k < 6 ? max_score_diff : max_box_diff) = std::max(k < 6 ? max_score_diff : max_box_diff, d);
    }
    auto pairs = [](const std::vector<privacy::Face>& a, const std::vector<privacy::Face>& b) {
      int missing = 0;
      for (const auto& x : a) {
        bool found = false;
        for (const auto& y : b)
          found = found || (core::iou(x.box_px, y.box_px) >= 0.95f && std::abs(x.score - y.score) <= 0.02f);
        missing += found ? 0 : 1;
      }
      return missing;
    };
    EXPECT_EQ(pairs(r, f), 0) << name << ": OpenCV faces without a fast match";
    EXPECT_EQ(pairs(f, r), 0) << name << ": fast faces without an OpenCV match";
    faces += static_cast<int>(r.size());
    cv::Mat out = img.clone();
    blur.apply(name, out);
    for (const auto& g : (*ref)->detect(out, 0.5f))
      if (overlaps(g.box_px, r)) {
        ++left;
        ADD_FAILURE() << name << ": the reference finds a face in the fast blur at " << g.box_px.x1 << ","
                      << g.box_px.y1;
      }
  }
  const double n = static_cast<double>(frames.size());
  fmt::print(
      "privacy fast vs OpenCV: {} frames, {} faces; raw max |diff| scores {:.2e}, boxes {:.2e}; {} left; "
      "detect at 640: OpenCV DNN (its own thread pool) {:.1f} ms/frame, fast (1 thread) {:.1f} ms/frame\n",
      frames.size(), faces, max_score_diff, max_box_diff, left, ref_ms / n, fast_ms / n);
  EXPECT_GE(faces, 20);
  EXPECT_LE(max_score_diff, 1e-4);
  EXPECT_LE(max_box_diff, 1e-4);
  EXPECT_EQ(left, 0);
}

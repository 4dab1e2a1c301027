// The node's detector pool (src/pipeline/detector_pool): a detector on the fast backend shared by
// several cameras becomes side-by-side single-thread instances sized to the cores, and forwards
// run from many camera threads at once give the boxes one detector gives for the same frames.
#include <gtest/gtest.h>

#include <opencv2/videoio.hpp>
#include <thread>

#include "core/geometry.hpp"
#include "detect/detector.hpp"
#include "pipeline/detector_pool.hpp"
#include "test_paths.hpp"

using namespace vsp;

namespace {

std::vector<core::Image> clip_frames(int count) {
  cv::VideoCapture cap(data_dir() + "/videos_people/one-by-one-person-detection.mp4");
  std::vector<core::Image> out;
  cv::Mat frame;
  for (int i = 0; cap.read(frame) && static_cast<int>(out.size()) < count; ++i) {
    if (i % 40 != 20) continue;
    core::Image img;
    img.width = frame.cols;
    img.height = frame.rows;
    img.bgr.assign(frame.data, frame.data + frame.total() * 3);
    out.push_back(std::move(img));
  }
  return out;
}

detect::DetectorOptions nanodet(int threads, detect::Backend backend = detect::Backend::fast) {
  detect::DetectorOptions o;
  o.model = "nanodet_m_320";
  o.threads = threads;
  o.backend = backend;
  return o;
}

/// Boxes of `a` and `b` pair up one to one: same class, IoU >= 0.99, score within 1e-3.
bool same_boxes(const core::Detections& a, const core::Detections& b) {
  if (a.size() != b.size()) return false;
  for (const auto& d : a) {
    bool found = false;
    for (const auto& e : b)
      found = found || (e.class_id == d.class_id && core::iou(d.box_px, e.box_px) >= 0.99f &&
                        std::abs(e.score - d.score) <= 1e-3f);
    if (!found) return false;
  }
  return true;
}

}  // namespace

TEST(DetectorPool, shared_fast_detector_becomes_one_instance_per_core) {
  pipeline::DetectorPool pool;
  auto k1 = pool.add(nanodet(0));
  auto k2 = pool.add(nanodet(0));
  auto k3 = pool.add(nanodet(0));
  auto one = pool.add(nanodet(1));  // threads given: kept as asked
  ASSERT_TRUE(k1.ok()) << k1.error().message;
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(*k1, *k2);
  EXPECT_EQ(*k1, *k3);
  EXPECT_NE(*k1, *one);
  ASSERT_TRUE(pool.fit(2).ok());
  EXPECT_EQ(pool.instances(*k1), 2);  // min(cores, cameras)
  EXPECT_EQ(pool.instances(*one), 1);
  EXPECT_EQ(pool.instances("nothing#9"), 0);

  pipeline::DetectorPool wide;
  auto w = wide.add(nanodet(0));
  ASSERT_TRUE(w.ok());
  (void)wide.add(nanodet(0));
  ASSERT_TRUE(wide.fit(8).ok());
  EXPECT_EQ(wide.instances(*w), 2) << "never more instances than cameras";

  pipeline::DetectorPool single;
  auto s = single.add(nanodet(0));
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(single.fit(2).ok());
  EXPECT_EQ(single.instances(*s), 1) << "one camera keeps one instance on every core";
}

TEST(DetectorPool, opencv_detector_stays_one_instance) {
  pipeline::DetectorPool pool;
  auto k = pool.add(nanodet(0, detect::Backend::opencv));
  ASSERT_TRUE(k.ok()) << k.error().message;
  (void)pool.add(nanodet(0, detect::Backend::opencv));
  ASSERT_TRUE(pool.fit(2).ok());
  EXPECT_EQ(pool.instances(*k), 1);
}

TEST(DetectorPool, concurrent_cameras_get_the_boxes_of_one_detector) {
  const auto frames = clip_frames(6);
  ASSERT_EQ(frames.size(), 6u);
  auto ref = detect::Detector::create(nanodet(1));
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  std::vector<core::Detections> want;
  std::size_t boxes = 0;
  for (const auto& f : frames) {
    want.push_back((*ref)->detect(f));
    boxes += want.back().size();
  }
  ASSERT_GT(boxes, 3u) << "the frames should hold people, or the comparison proves nothing";

  pipeline::DetectorPool pool;
  constexpr int kCameras = 4, kRounds = 3;
  std::string key;
  for (int c = 0; c < kCameras; ++c) {
    auto k = pool.add(nanodet(0));
    ASSERT_TRUE(k.ok()) << k.error().message;
    key = *k;
  }
  ASSERT_TRUE(pool.fit(2).ok());
  ASSERT_EQ(pool.instances(key), 2);
  std::vector<int> mismatches(kCameras, 0);
  std::vector<std::thread> cams;
  for (int c = 0; c < kCameras; ++c)
    cams.emplace_back([&, c] {
      for (int r = 0; r < kRounds; ++r)
        for (std::size_t i = 0; i < frames.size(); ++i)
          if (!same_boxes(pool.detect(key, frames[(i + c) % frames.size()]), want[(i + c) % frames.size()]))
            ++mismatches[c];
    });
  for (auto& t : cams) t.join();
  for (int c = 0; c < kCameras; ++c) EXPECT_EQ(mismatches[c], 0) << "camera " << c;
  EXPECT_EQ(pool.inferences(), kCameras * kRounds * static_cast<long>(frames.size()));
  EXPECT_GT(pool.inference_seconds(), 0.0);
}

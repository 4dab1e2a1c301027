// Plate reading on the OpenALPR end-to-end photos (top-1 exact match per region, with floors
// that fail CI on regression), plate_read events from a video, and vehicle colour on real crops
// from the sample clip.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "anpr/photo_reader.hpp"
#include "decode/decoder.hpp"
#include "detect/detector.hpp"
#include "ingest/source.hpp"
#include "pipeline/file_analyzer.hpp"
#include "test_paths.hpp"

using namespace vsp;

namespace {

std::vector<std::pair<std::string, std::string>> labels(const std::string& region) {
  std::ifstream in(data_dir() + "/plates_openalpr_endtoend/labels.csv");
  std::string line;
  std::getline(in, line);
  std::vector<std::pair<std::string, std::string>> out;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::vector<std::string> f;
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (f.size() < 7 || f[0] != region) continue;
    while (!f[6].empty() && std::isspace(static_cast<unsigned char>(f[6].back()))) f[6].pop_back();
    out.emplace_back(f[1], f[6]);
  }
  return out;
}

double top1_percent(const std::string& region) {
  anpr::PlateReaderOptions o;
  o.region = *anpr::parse_region(region);
  auto reader = anpr::PhotoReader::create(o);
  EXPECT_TRUE(reader.ok()) << reader.error().message;
  if (!reader.ok()) return 0;
  const auto items = labels(region);
  EXPECT_FALSE(items.empty()) << "no labels for " << region;
  int ok = 0;
  for (const auto& [image, text] : items) {
    const auto r = (*reader)->read_file(data_dir() + "/plates_openalpr_endtoend/" + region + "/" + image);
    if (!r.plates.empty() && r.plates.front().text == text) ++ok;
  }
  const double pct = 100.0 * ok / std::max<size_t>(1, items.size());
  std::printf("plates %s: top-1 %d/%zu = %.1f %%\n", region.c_str(), ok, items.size(), pct);
  return pct;
}

}  // namespace

// Floors = what we reach minus half a point (LPD-YuNet boxes read on two crops, LPD-YuNet on the
// vehicle boxes and the text-detector chain as fallbacks, the US frequent layouts: 80.8 / 91.4 /
// 100; before the last two 77.7 / 91.4 / 100; before LPD-YuNet 67.7 / 91.4 / 100); OpenALPR 2.3
// on the same photos: 56.9 / 71.4 / 28.6. The US floor is the aim (80 %, 104 of 130), one
// photo below the 105 reached: one timing run once printed 101 and was not reproduced.
TEST(PlateAccuracy, us_photos) { EXPECT_GE(top1_percent("us"), 79.9); }
TEST(PlateAccuracy, eu_photos) { EXPECT_GE(top1_percent("eu"), 90.9); }
TEST(PlateAccuracy, br_photos) { EXPECT_GE(top1_percent("br"), 99.5); }

TEST(PlateInput, unreadable_tiny_and_missing_images_give_clear_results) {
  anpr::PlateReaderOptions o;
  auto reader = anpr::PhotoReader::create(o);
  ASSERT_TRUE(reader.ok());
  const auto tmp = std::filesystem::temp_directory_path();
  std::ofstream(tmp / "vsp_not_an_image.jpg") << "hello";
  auto r1 = (*reader)->read_file((tmp / "vsp_not_an_image.jpg").string());
  EXPECT_NE(r1.error.find("not an image"), std::string::npos) << r1.error;
  auto r2 = (*reader)->read_file((tmp / "vsp_missing.jpg").string());
  EXPECT_FALSE(r2.error.empty());
  core::Image tiny;
  tiny.width = tiny.height = 8;
  tiny.bgr.assign(8 * 8 * 3, 128);
  EXPECT_NE((*reader)->read(tiny, "tiny").error.find("too small"), std::string::npos);
  core::Image blank;
  blank.width = 640;
  blank.height = 480;
  blank.bgr.assign(640 * 480 * 3, 90);
  const auto r4 = (*reader)->read(blank, "blank");
  EXPECT_TRUE(r4.error.empty());
  EXPECT_TRUE(r4.plates.empty());
  std::filesystem::remove(tmp / "vsp_not_an_image.jpg");
}

TEST(PlateReading, second_crop_is_read_only_where_the_first_is_not_a_confident_national_layout) {
  // Each labelled plate box read twice: by default (a plate's second crop only where the first
  // read fits no national layout or is less confident than 0.97) and with both crops always. The
  // recogniser's forwards show which plates skipped the second crop: only confident national-layout
  // reads (never on US plates: the US has no national layout), and on these photos the read is the
  // same either way.
  for (const std::string region : {"eu", "br", "us"}) {
    anpr::PlateReaderOptions o;
    o.region = *anpr::parse_region(region);
    auto fast = anpr::PlateReader::create(o);
    o.single_crop_confidence = 2;
    auto both = anpr::PlateReader::create(o);
    ASSERT_TRUE(fast.ok() && both.ok());
    std::ifstream in(data_dir() + "/plates_openalpr_endtoend/labels.csv");
    std::string line;
    std::getline(in, line);
    int plates = 0, single = 0;
    for (int i = 0; std::getline(in, line); ++i) {
      std::stringstream ss(line);
      std::vector<std::string> f;
      for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
      if (f.size() < 7 || f[0] != region || i % 3 != 0) continue;
      auto img = anpr::load_image(data_dir() + "/plates_openalpr_endtoend/" + region + "/" + f[1]);
      ASSERT_TRUE(img.ok()) << f[1];
      const float x = std::stof(f[2]), y = std::stof(f[3]), w = std::stof(f[4]), h = std::stof(f[5]);
      anpr::PlateQuad q;
      q.box_px = {x, y, x + w, y + h};
      q.corners = {core::Point{x, y}, core::Point{x + w, y}, core::Point{x + w, y + h}, core::Point{x, y + h}};
      q.corners_regressed = false;
      const long f0 = (*fast)->usage().recogniser.forwards, b0 = (*both)->usage().recogniser.forwards;
      const auto a = (*fast)->read_quad(*img, q);
      const auto b = (*both)->read_quad(*img, q);
      const long fa = (*fast)->usage().recogniser.forwards - f0, fb = (*both)->usage().recogniser.forwards - b0;
      ASSERT_EQ(a.has_value(), b.has_value()) << f[1];
      if (!a) continue;
      ++plates;
      EXPECT_EQ(a->text, b->text) << region << " " << f[1];
      if (fa < fb) {
        ++single;
        EXPECT_EQ(fa, 1) << f[1];
        EXPECT_EQ(fb, 2) << f[1];
        EXPECT_NE(region, "us") << f[1];
        EXPECT_TRUE(a->known_layout) << f[1];
        EXPECT_GE(a->confidence, 0.97f) << f[1];
      } else {
        EXPECT_EQ(fa, fb) << f[1];
      }
    }
    EXPECT_GT(plates, 5) << region;
    if (region == "us")
      EXPECT_EQ(single, 0);
    else
      EXPECT_GE(single, plates / 3) << region << ": the second crop was skipped too rarely";
    std::printf("plates %s: %d of %d labelled boxes read on one crop\n", region.c_str(), single, plates);
  }
}

TEST(PlateReading, small_photos_run_the_localiser_ladder_from_256_px) {
  // test_031.jpg (437x357): the 256-px pass reads the plate; from 320 px (the ladder before) the
  // 320-px pass reads nothing that fits and the 640-px pass follows. Same read either way.
  anpr::PlateReaderOptions o;
  o.region = anpr::Region::eu;
  anpr::PhotoReaderOptions now, before;
  now.vehicles = before.vehicles = false;
  before.small_photo_sides = {320, 640};
  auto a = anpr::PhotoReader::create(o, now);
  auto b = anpr::PhotoReader::create(o, before);
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string photo = data_dir() + "/plates_openalpr_endtoend/eu/test_031.jpg";
  const auto ra = (*a)->read_file(photo);
  const auto rb = (*b)->read_file(photo);
  ASSERT_FALSE(ra.plates.empty());
  ASSERT_FALSE(rb.plates.empty());
  EXPECT_EQ(ra.plates.front().text, "RK619AS");
  EXPECT_EQ(rb.plates.front().text, "RK619AS");
  EXPECT_EQ((*a)->plate_usage().localiser.forwards, 1);
  EXPECT_EQ((*b)->plate_usage().localiser.forwards, 2);
}

TEST(PlateVideo, analyze_emits_one_plate_read_per_vehicle_track) {
  // A 4 s clip made from a real photo: the parked car is one track, read several times.
  const auto dir = std::filesystem::temp_directory_path() / "vsp_plate_video";
  std::filesystem::create_directories(dir);
  const std::string clip = (dir / "parked.mp4").string();
  const std::string cmd = "ffmpeg -nostdin -loglevel error -y -loop 1 -i '" + data_dir() +
                          "/plates_openalpr_endtoend/br/AYO9034.jpg' -t 4 -r 10 -vf scale=1280:720,format=yuv420p "
                          "-c:v libx264 -preset veryfast '" +
                          clip + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  struct Sink final : events::EventSink {
    std::vector<events::Event> events;
    void write(const events::Event& e) override { events.push_back(e); }
  } sink;
  pipeline::AnalyzeOptions o;
  o.video_path = clip;
  o.camera.detector.classes = {2, 3, 5, 7};
  anpr::AnprOptions a;
  a.region = anpr::Region::br;
  o.camera.anpr = a;
  o.snapshot_dir = (dir / "snapshots").string();
  auto r = pipeline::run_analyze(o, sink);
  ASSERT_TRUE(r.ok()) << r.error().message;
  int reads = 0;
  for (const auto& e : sink.events)
    if (e.type == "plate_read") {
      ++reads;
      EXPECT_EQ(e.text, "AYO9034");
      EXPECT_EQ(e.region, "br");
      EXPECT_TRUE(e.plate_box.has_value());
      EXPECT_FALSE(e.vehicle_color.empty());
      EXPECT_TRUE(std::filesystem::exists(dir / e.snapshot_ref)) << e.snapshot_ref;
    }
  EXPECT_EQ(reads, 1);
  EXPECT_FALSE(r->vehicles_by_class_color.empty());
  std::filesystem::remove_all(dir);
}

TEST(VehicleColour, real_crops_from_the_sample_clip) {
  // car-detection.mp4, ground-truth descriptions in counts_gt: frame 95 a white hatchback,
  // frame 330 a white sports car (seen from above; the model was trained on front views).
  detect::DetectorOptions d;
  auto det = detect::Detector::create(d);
  auto cls = anpr::VehicleClassifier::create();
  ASSERT_TRUE(det.ok() && cls.ok());
  auto src = ingest::Source::open({data_dir() + "/videos_traffic/car-detection.mp4"});
  ASSERT_TRUE(src.ok());
  auto dec = decode::Decoder::create(**src, {});
  std::map<long, std::string> want = {{95, "white"}, {330, "white"}};
  std::map<long, std::string> got;
  long n = 0;
  while (auto p = (*src)->read()) {
    if (!*p) break;
    (void)(*dec)->send(**p);
    while (auto img = (*dec)->receive()) {
      if (want.count(n)) {
        const auto dets = (*det)->detect(*img);
        const core::Detection* biggest = nullptr;
        for (const auto& x : dets)
          if (!biggest || x.box_px.area() > biggest->box_px.area()) biggest = &x;
        got[n] = biggest ? (*cls)->classify(*img, biggest->box_px).color : "none";
      }
      ++n;
    }
  }
  for (const auto& [frame, colour] : want) EXPECT_EQ(got[frame], colour) << "frame " << frame;
}

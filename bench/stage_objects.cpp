// Builds staged left/removed-object clips from real footage, for the cases the real clips lack:
// a real bag (cut out of the ABODA clip, where it was left, by differencing against the empty
// scene) composited into the people clip for a known interval, with the people passing in front
// of it (the bag is painted only where the frame shows the empty floor) and, in some clips, a
// lighting drift. Writes DIR/<clip>.mp4 and DIR/ground_truth.json in the format of
// abandoned_objects/ground_truth.json; bench/objects_eval.py --staged DIR scores them.
//
// Usage: stage_objects PEOPLE_CLIP ABODA_CLIP OUT_DIR   (the first 90 s of the people clip)
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

namespace {

struct Patch {
  cv::Mat bgr, alpha;  // alpha CV_32F 0..1
};

cv::Mat read_frame(cv::VideoCapture& cap, int index) {
  cap.set(cv::CAP_PROP_POS_FRAMES, index);
  cv::Mat f;
  cap.read(f);
  return f;
}

/// The bag of ABODA video4 (box 462,359,42,60; left at f455, alone f700-f1160): its pixels that
/// differ from the empty scene (f300), scaled by `scale`.
Patch cut_bag(const std::string& aboda, double scale) {
  cv::VideoCapture cap(aboda);
  const cv::Mat empty = read_frame(cap, 300), with = read_frame(cap, 1000);
  const cv::Rect r(456, 352, 56, 72);
  cv::Mat d;
  cv::absdiff(with(r), empty(r), d);
  std::vector<cv::Mat> ch;
  cv::split(d, ch);
  cv::Mat m = cv::max(cv::max(ch[0], ch[1]), ch[2]), a;
  m.convertTo(a, CV_32F, 1.0 / 30.0);
  a = cv::min(a, 1.0);
  cv::GaussianBlur(a, a, {3, 3}, 0);
  Patch p;
  cv::resize(with(r), p.bgr, {}, scale, scale, cv::INTER_CUBIC);
  cv::resize(a, p.alpha, {}, scale, scale, cv::INTER_LINEAR);
  return p;
}

/// Per-pixel median of `n` frames spread over the clip: the empty scene.
cv::Mat median_background(const std::string& clip, int n) {
  cv::VideoCapture cap(clip);
  const int frames = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_COUNT));
  std::vector<cv::Mat> samples;
  for (int i = 0; i < n; ++i) samples.push_back(read_frame(cap, frames * i / n));
  cv::Mat out = samples[0].clone();
  std::vector<uchar> v(samples.size());
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x)
      for (int c = 0; c < 3; ++c) {
        for (size_t k = 0; k < samples.size(); ++k) v[k] = samples[k].at<cv::Vec3b>(y, x)[c];
        std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
        out.at<cv::Vec3b>(y, x)[c] = v[v.size() / 2];
      }
  return out;
}

struct Scenario {
  std::string name;
  double appear_s = -1;  ///< <0: never; 0: from the start (part of the empty scene)
  double gone_s = 1e9;   ///< taken away at
  double drift = 0;      ///< lighting gain amplitude (gain = 1 + drift * sin(2 pi t / 60))
  std::string note;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: stage_objects PEOPLE_CLIP ABODA_CLIP OUT_DIR\n");
    return 2;
  }
  const std::string people = argv[1], aboda = argv[2], out_dir = argv[3];
  std::filesystem::create_directories(out_dir);
  const Patch bag = cut_bag(aboda, 1.6);
  const cv::Mat bg = median_background(people, 25);
  cv::VideoCapture probe(people);
  const double fps = probe.get(cv::CAP_PROP_FPS);
  // 90 s of the clip hold every scenario (and keep the evaluation cheap).
  const int frames = std::min(static_cast<int>(probe.get(cv::CAP_PROP_FRAME_COUNT)),
                              static_cast<int>(90 * probe.get(cv::CAP_PROP_FPS)));
  const int w = static_cast<int>(probe.get(cv::CAP_PROP_FRAME_WIDTH)),
            h = static_cast<int>(probe.get(cv::CAP_PROP_FRAME_HEIGHT));
  probe.release();
  // On the floor left of the table, where people walk to it and back.
  const cv::Point at(260, 300);
  const cv::Rect place = cv::Rect(at, bag.bgr.size()) & cv::Rect(0, 0, w, h);

  const std::vector<Scenario> scenarios = {
      {"staged_left_people_pass", 46, 1e9, 0, "bag appears at 46 s where people walk to the table, stays"},
      {"staged_left_lighting_drift", 46, 1e9, 0.2, "as staged_left_people_pass, lighting drifts +-20 % (60 s period)"},
      {"staged_removed_from_background", 0, 70, 0, "bag part of the scene from the start, taken away at 70 s"},
      {"staged_brief_drop", 46, 54, 0, "bag set down for 8 s, then taken again: no alarm"},
      {"staged_drift_only", -1, 1e9, 0.25, "no object, lighting drifts +-25 %: no alarm"},
  };
  nlohmann::ordered_json gt;
  gt["format"] =
      "as abandoned_objects/ground_truth.json; staged by bench/stage_objects from videos_people and ABODA video4";
  gt["clips"] = nlohmann::json::array();
  for (const auto& sc : scenarios) {
    cv::VideoCapture cap(people);
    const std::string path = fmt::format("{}/{}.mp4", out_dir, sc.name);
    cv::VideoWriter vw(path, cv::VideoWriter::fourcc('m', 'p', '4', 'v'), fps, {w, h});
    if (!vw.isOpened()) {
      std::fprintf(stderr, "stage_objects: cannot write %s\n", path.c_str());
      return 1;
    }
    cv::Mat f;
    for (int i = 0; i < frames && cap.read(f); ++i) {
      const double t = i / fps;
      if (sc.appear_s >= 0 && t >= sc.appear_s && t < sc.gone_s) {
        // Paint the bag where the frame shows the empty floor: whoever stands there is in front.
        cv::Mat roi = f(place), empty = bg(place);
        for (int y = 0; y < roi.rows; ++y)
          for (int x = 0; x < roi.cols; ++x) {
            const auto& p = roi.at<cv::Vec3b>(y, x);
            const auto& e = empty.at<cv::Vec3b>(y, x);
            const int diff = std::max({std::abs(p[0] - e[0]), std::abs(p[1] - e[1]), std::abs(p[2] - e[2])});
            if (diff > 35) continue;
            const float a = bag.alpha.at<float>(y, x);
            for (int c = 0; c < 3; ++c)
              roi.at<cv::Vec3b>(y, x)[c] =
                  cv::saturate_cast<uchar>(a * bag.bgr.at<cv::Vec3b>(y, x)[c] + (1 - a) * p[c]);
          }
      }
      if (sc.drift > 0) f.convertTo(f, -1, 1 + sc.drift * std::sin(2 * M_PI * t / 60.0), 0);
      vw.write(f);
    }
    nlohmann::ordered_json obj;
    obj["object"] = "bag (ABODA video4's, composited)";
    obj["box_xywh"] = {place.x, place.y, place.width, place.height};
    const bool placed = sc.appear_s > 0;
    obj["left_frame"] = placed ? nlohmann::json(std::lround(sc.appear_s * fps)) : nlohmann::json(nullptr);
    obj["owner_leaves_frame"] = obj["left_frame"];  // nobody brings it: it is alone from the start
    const bool abandoned = placed && sc.appear_s + 15 < std::min(sc.gone_s, frames / fps);
    obj["abandoned_frame"] =
        abandoned ? nlohmann::json(std::lround((sc.appear_s + 15) * fps)) : nlohmann::json(nullptr);
    obj["removed_frame"] = sc.appear_s == 0 && sc.gone_s < frames / fps ? nlohmann::json(std::lround(sc.gone_s * fps))
                                                                        : nlohmann::json(nullptr);
    obj["notes"] = sc.note;
    nlohmann::ordered_json clip;
    clip["clip"] = sc.name + ".mp4";
    clip["width"] = w;
    clip["height"] = h;
    clip["fps"] = fps;
    clip["frames"] = frames;
    clip["real_time_s_per_frame"] = 1.0 / fps;
    clip["objects"] = sc.appear_s < 0 ? nlohmann::json::array() : nlohmann::json::array({obj});
    gt["clips"].push_back(clip);
    std::printf("wrote %s\n", path.c_str());
  }
  std::ofstream(out_dir + "/ground_truth.json") << gt.dump(1) << "\n";
  return 0;
}

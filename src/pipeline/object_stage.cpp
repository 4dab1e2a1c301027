#include "pipeline/object_stage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/log.hpp"

namespace vsp::pipeline {

namespace {

/// The frame (or a part of it) as JPEG with `box` drawn; `scale` maps frame px to image px.
std::string jpeg_with_box(const core::Image& img, const std::array<double, 4>& box_xywh, double scale) {
  if (img.width <= 0 || img.height <= 0) return {};
  cv::Mat m = cv::Mat(img.height, img.width, CV_8UC3, const_cast<std::uint8_t*>(img.bgr.data())).clone();
  const cv::Rect r(static_cast<int>(box_xywh[0] * scale), static_cast<int>(box_xywh[1] * scale),
                   std::max(1, static_cast<int>(box_xywh[2] * scale)),
                   std::max(1, static_cast<int>(box_xywh[3] * scale)));
  cv::rectangle(m, r - cv::Point(2, 2) + cv::Size(4, 4), cv::Scalar(0, 0, 255), std::max(1, img.width / 320));
  std::vector<std::uint8_t> buf;
  cv::imencode(".jpg", m, buf, {cv::IMWRITE_JPEG_QUALITY, 85});
  return std::string(buf.begin(), buf.end());
}

std::array<double, 4> xywh(const core::BoxXyxy& b) { return {b.x1, b.y1, b.width(), b.height()}; }

}  // namespace

ObjectStage::ObjectStage(const std::vector<analytics::ZoneOptions>& zones, int frame_width, int frame_height,
                         std::string snapshot_dir, std::string snapshot_prefix, const track::TrackerOptions& tracker)
    : watch_(zones, frame_width, frame_height),
      snapshot_dir_(std::move(snapshot_dir)),
      snapshot_prefix_(std::move(snapshot_prefix)) {
  if (tracker.high_score > kRecallHighScore || tracker.new_track_score > kRecallNewTrackScore) {
    track::TrackerOptions o = tracker;
    o.high_score = std::min(o.high_score, kRecallHighScore);
    o.new_track_score = std::min(o.new_track_score, kRecallNewTrackScore);
    recall_.emplace(o);
  }
}

bool ObjectStage::wanted(const std::vector<analytics::ZoneOptions>& zones) {
  for (const auto& z : zones)
    if (analytics::ObjectWatch::watched(z)) return true;
  return false;
}

void ObjectStage::restart(int frame_width, int frame_height) {
  watch_.restart(frame_width, frame_height);
  if (recall_) recall_->reset();
  pixels_.reset();
  before_.clear();
}

std::string ObjectStage::write_snapshot(const std::string& name, const std::string& jpeg) const {
  if (snapshot_dir_.empty() || jpeg.empty()) return {};
  std::error_code ec;
  std::filesystem::create_directories(snapshot_dir_, ec);
  std::ofstream(std::filesystem::path(snapshot_dir_) / name, std::ios::binary) << jpeg;
  return snapshot_prefix_ + name;
}

std::vector<events::Event> ObjectStage::update(const core::Image* frame, const core::Detections& detections,
                                               const core::Tracks& camera_tracks, core::Timestamp ts) {
  // ---- 0. People for the rule: the camera's tracks, or the recall-friendly twin's -----------------
  core::Tracks recall_tracks;
  if (recall_) recall_tracks = recall_->update(detections, ts);
  const core::Tracks& tracks = recall_ ? recall_tracks : camera_tracks;
  // ---- 1. Pixels: static regions, with evidence held under people (detections and tracks) -------
  std::vector<analytics::StaticRegion> regions;
  if (frame) {
    std::vector<core::BoxXyxy> people;
    for (const auto& d : detections)
      if (d.class_id == 0) people.push_back(d.box_px);
    for (const auto& t : tracks)
      if (t.class_id == 0 && t.frames_since_update == 0) people.push_back(t.box_px);
    for (const auto& b : pixels_.update(*frame, people)) regions.push_back({b.box_px, b.ghost, b.vacant});
    if (pixels_.cut()) {
      // The picture cut: what was compared before no longer compares; start the scene again.
      watch_.scene_cut(ts.pts_s);
      before_.clear();
      ++cuts_;
      core::Logger("objects").info("cut in the picture at {:.3f} s: the empty scene is learnt again, objects forgotten",
                                   ts.pts_s);
    }
  }
  // ---- 2. Decisions ------------------------------------------------------------------------------
  auto u = watch_.update(regions, tracks, ts);
  for (const auto& b : u.absorb) pixels_.absorb(b);
  // ---- 3. Evidence: "before" frames of objects in view, snapshots of events ----------------------
  const bool snapshots = frame && !snapshot_dir_.empty();
  if (snapshots) {
    for (const auto& [id, box] : u.visible) {
      auto& b = before_[id];
      if (ts.pts_s - b.pts_s < 5.0) continue;  // a few seconds old is recent enough, and cheap
      b.pts_s = ts.pts_s;
      b.jpeg = jpeg_with_box(*frame, xywh(box), 1.0);
    }
  }
  for (auto& e : u.events) {
    const auto id = std::get<std::int64_t>(e.attributes.at("object_id"));
    if (snapshots && e.box) {
      const std::string stem =
          fmt::format("{}_{}_{}", e.type, id, static_cast<long long>(std::llround(e.pts_s * 1000)));
      e.snapshot_ref = write_snapshot(stem + ".jpg", jpeg_with_box(*frame, *e.box, 1.0));
      if (e.type == "object_removed") {
        std::string before;
        if (auto it = before_.find(static_cast<int>(id)); it != before_.end()) before = it->second.jpeg;
        const core::Image bg = pixels_.background();
        if (before.empty() && bg.width > 0) before = jpeg_with_box(bg, *e.box, double(bg.width) / frame->width);
        const std::string ref = write_snapshot(stem + "_before.jpg", before);
        if (!ref.empty()) e.attributes["before_snapshot_ref"] = ref;
      }
    }
    if (e.type == "object_removed" || e.type == "object_cleared") before_.erase(static_cast<int>(id));
  }
  return std::move(u.events);
}

}  // namespace vsp::pipeline

#include "pipeline/plate_stage.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/coco.hpp"

namespace vsp::pipeline {

namespace {

std::string crop_jpeg(const core::Image& frame, const core::BoxXyxy& b) {
  const cv::Mat img(frame.height, frame.width, CV_8UC3, const_cast<std::uint8_t*>(frame.bgr.data()));
  const float gx = b.width() * 0.3f, gy = b.height() * 0.5f;
  const cv::Rect r = cv::Rect(cv::Point(static_cast<int>(b.x1 - gx), static_cast<int>(b.y1 - gy)),
                              cv::Point(static_cast<int>(b.x2 + gx), static_cast<int>(b.y2 + gy))) &
                     cv::Rect(0, 0, img.cols, img.rows);
  if (r.width < 2 || r.height < 2) return {};
  std::vector<uchar> buf;
  cv::imencode(".jpg", img(r), buf, {cv::IMWRITE_JPEG_QUALITY, 90});
  return std::string(buf.begin(), buf.end());
}
}  // namespace

core::Result<std::unique_ptr<PlateStage>> PlateStage::create(const anpr::AnprOptions& options, std::string snapshot_dir,
                                                             std::string snapshot_prefix) {
  std::unique_ptr<PlateStage> s(new PlateStage());
  s->options_ = options;
  anpr::PlateReaderOptions ro;
  ro.region = options.region;
  ro.min_plate_px = options.min_plate_px;
  auto reader = anpr::PlateReader::create(ro);
  if (!reader) return reader.error();
  s->reader_ = std::move(reader.value());
  auto attrs = anpr::VehicleClassifier::create();
  if (!attrs) return attrs.error();
  s->attributes_ = std::move(attrs.value());
  s->snapshot_dir_ = std::move(snapshot_dir);
  s->snapshot_prefix_ = std::move(snapshot_prefix);
  return s;
}

std::vector<events::Event> PlateStage::update(const core::Image& frame, const core::Tracks& tracks,
                                              core::Timestamp ts) {
  std::vector<events::Event> out;
  std::map<int, bool> alive;
  for (const auto& t : tracks) {
    if (t.id == 0) continue;
    alive[t.id] = true;
    if (!t.confirmed() || t.frames_since_update != 0 || !core::is_vehicle_class(t.class_id)) continue;
    if (t.box_px.width() < static_cast<float>(options_.min_vehicle_px)) continue;
    auto it = tracks_.find(t.id);
    if (it == tracks_.end()) {
      anpr::PlateVoterOptions vo;
      vo.region = options_.region;
      vo.min_confidence = options_.min_confidence;
      TrackPlates fresh;
      fresh.voter = anpr::PlateVoter(vo);
      it = tracks_.emplace(t.id, std::move(fresh)).first;
      it->second.first_pts = ts.pts_s;
    }
    TrackPlates& tp = it->second;
    tp.class_name = std::string(core::coco_name(t.class_id));
    if (tp.reads >= options_.max_reads || ts.pts_s - tp.last_read_pts < 1.0 / options_.reads_per_s) continue;
    tp.last_read_pts = ts.pts_s;
    ++tp.reads;
    const auto a = attributes_->classify(frame, t.box_px);
    if (!a.color.empty()) tp.color_votes[a.color] += a.color_confidence;
    // LPD-YuNet on the vehicle box (a little larger: a plate may stick out of a tight box), the
    // text-detector chain where it reads nothing that fits the grammar (PlateReader::read).
    const auto& vb = t.box_px;
    const float gx = vb.width() * 0.05f, gy = vb.height() * 0.08f;
    const auto reads = reader_->read(frame, {vb.x1 - gx, vb.y1 - gy, vb.x2 + gx, vb.y2 + gy});
    if (reads.empty()) continue;
    const auto& best = reads.front();
    tp.voter.add({best.text, best.confidence, best.char_confidence, best.valid});
    if (best.confidence > tp.best_conf) {
      tp.best_conf = best.confidence;
      tp.best_plate_box = best.box_px;
      tp.best_crop_jpeg = crop_jpeg(frame, best.box_px);
    }
    if (auto c = tp.voter.consensus(); c && c->reported && c->reads >= 3) {
      tp.reads = options_.max_reads;  // settled: stop reading, report now
      if (auto e = make_event(t.id, tp)) out.push_back(std::move(*e));
    }
  }
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    if (alive.count(it->first)) {
      ++it;
      continue;
    }
    if (auto e = finish_track(it->first, it->second)) out.push_back(std::move(*e));
    it = tracks_.erase(it);
  }
  return out;
}

std::vector<events::Event> PlateStage::finish() {
  std::vector<events::Event> out;
  for (auto& [id, tp] : tracks_)
    if (auto e = finish_track(id, tp)) out.push_back(std::move(*e));
  tracks_.clear();
  return out;
}

std::string PlateStage::voted_color(const TrackPlates& tp) {
  std::string color;
  float best = -1;
  for (const auto& [c, w] : tp.color_votes)
    if (w > best) best = w, color = c;
  return color;
}

std::optional<events::Event> PlateStage::finish_track(int id, TrackPlates& tp) {
  if (const auto color = voted_color(tp); !color.empty()) ++by_class_color_[tp.class_name][color];
  return make_event(id, tp);
}

std::optional<events::Event> PlateStage::make_event(int id, TrackPlates& tp) {
  if (tp.emitted) return std::nullopt;
  const auto c = tp.voter.consensus();
  if (!c || !c->reported) return std::nullopt;  // reads that never became a confident plate stay out
  tp.emitted = true;
  ++reported_;
  const std::string color = voted_color(tp);
  events::Event e;
  e.type = "plate_read";
  e.track_id = id;
  e.class_name = tp.class_name;
  e.rule = "anpr";
  e.pts_s = tp.first_pts;
  e.text = c->text;
  e.confidence = c->confidence;
  for (const auto& [t, w] : c->candidates) e.candidates.emplace_back(t, w);
  e.region = anpr::to_string(options_.region);
  const auto& b = tp.best_plate_box;
  e.plate_box = std::array<double, 4>{b.x1, b.y1, b.width(), b.height()};
  e.vehicle_color = color;
  e.attributes["reads"] = static_cast<std::int64_t>(c->reads);
  if (!tp.best_crop_jpeg.empty() && !snapshot_dir_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(snapshot_dir_, ec);
    const std::string name = fmt::format("plate_{}_{}.jpg", id, c->text);
    std::ofstream(std::filesystem::path(snapshot_dir_) / name, std::ios::binary) << tp.best_crop_jpeg;
    e.snapshot_ref = snapshot_prefix_ + name;
  }
  return e;
}

}  // namespace vsp::pipeline

#include "pipeline/evidence_recorder.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/log.hpp"
#include "events/event_json.hpp"
#include "evidence/pack.hpp"

namespace vsp::pipeline {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr double kRingSpacing_s = 0.2;  ///< frames kept at most this often
constexpr double kRingSpan_s = 4.0;     ///< and for this long

bool write_jpeg(const core::Image& img, const std::string& path, const core::BoxXyxy* box) {
  cv::Mat m(img.height, img.width, CV_8UC3, const_cast<std::uint8_t*>(img.bgr.data()));
  cv::Mat out = box ? m.clone() : m;
  if (box)
    cv::rectangle(out, cv::Point(static_cast<int>(box->x1), static_cast<int>(box->y1)),
                  cv::Point(static_cast<int>(box->x2), static_cast<int>(box->y2)), cv::Scalar(0, 0, 255), 2);
  std::vector<unsigned char> buf;
  if (!cv::imencode(".jpg", out, buf, {cv::IMWRITE_JPEG_QUALITY, 90})) return false;
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
  return static_cast<bool>(f);
}
}  // namespace

bool is_violation(const std::string& t) {
  return t == "wrong_way" || t == "speeding" || t == "red_light" || t == "forbidden_stop" || t == "rail_crossing_entry";
}

struct EvidenceRecorder::Pending {
  events::Event event;
  json facts;
  core::BoxXyxy box;
  std::optional<core::Image> before, at;
  double due_pts_s = 0;
};

EvidenceRecorder::EvidenceRecorder(EvidenceOptions options, std::string camera)
    : options_(std::move(options)), camera_(std::move(camera)) {}

EvidenceRecorder::~EvidenceRecorder() = default;

void EvidenceRecorder::on_frame(const core::Image& frame) {
  on_time(frame.ts.pts_s);
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (frame.ts.pts_s >= (*it)->due_pts_s) {
      complete(**it, &frame);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  if (ring_.empty() || frame.ts.pts_s - ring_.back().ts.pts_s >= kRingSpacing_s ||
      frame.ts.pts_s < ring_.back().ts.pts_s)
    ring_.push_back(frame);
  while (!ring_.empty() && ring_.front().ts.pts_s < frame.ts.pts_s - kRingSpan_s) ring_.pop_front();
}

void EvidenceRecorder::on_time(double pts_s) {
  // Without pixels the "after" frame never comes: a pack is due when its time has passed.
  if (!ring_.empty()) return;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (pts_s >= (*it)->due_pts_s) {
      complete(**it, nullptr);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

void EvidenceRecorder::add(const events::Event& event, json facts, const core::BoxXyxy& box_px) {
  auto p = std::make_unique<Pending>();
  p->event = event;
  p->facts = std::move(facts);
  p->box = box_px;
  p->due_pts_s = event.pts_s + options_.still_offset_s;
  // The frames nearest to "before" and "at" from the ring.
  auto nearest = [&](double t) -> std::optional<core::Image> {
    const core::Image* best = nullptr;
    for (const auto& f : ring_)
      if (!best || std::abs(f.ts.pts_s - t) < std::abs(best->ts.pts_s - t)) best = &f;
    if (!best) return std::nullopt;
    return *best;
  };
  p->before = nearest(event.pts_s - options_.still_offset_s);
  p->at = nearest(event.pts_s);
  pending_.push_back(std::move(p));
}

void EvidenceRecorder::note_plate(const events::Event& e) {
  json j = {{"text", e.text}, {"confidence", e.confidence.value_or(0)}, {"region", e.region}};
  if (!e.vehicle_color.empty()) j["vehicle_color"] = e.vehicle_color;
  if (!e.class_name.empty()) j["vehicle_class"] = e.class_name;
  if (!e.snapshot_ref.empty()) j["snapshot_ref"] = e.snapshot_ref;
  plates_[e.track_id] = j;
  if (plates_.size() > 1000) plates_.erase(plates_.begin());
}

void EvidenceRecorder::finish() {
  for (auto& p : pending_) complete(*p, nullptr);
  pending_.clear();
  ring_.clear();
}

void EvidenceRecorder::complete(Pending& p, const core::Image* after) {
  const core::Logger log(fmt::format("evidence[{}]", camera_));
  const fs::path dir = fs::path(options_.root) / "evidence" / p.event.id;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    log.error("{}: cannot create the evidence folder: {}", dir.string(), ec.message());
    return;
  }
  // ---- Stills ---------------------------------------------------------------------------------
  json stills = json::array();
  auto still = [&](const core::Image* img, const char* name, bool box) {
    if (!img) return;
    const std::string file = fmt::format("still_{}.jpg", name);
    if (write_jpeg(*img, (dir / file).string(), box ? &p.box : nullptr))
      stills.push_back({{"file", file}, {"pts_s", std::round(img->ts.pts_s * 1000) / 1000}, {"what", name}});
  };
  still(p.before ? &*p.before : nullptr, "before", false);
  still(p.at ? &*p.at : nullptr, "at", true);
  still(after, "after", false);

  // ---- The facts --------------------------------------------------------------------------------
  json facts = p.facts;
  facts["event_id"] = p.event.id;
  facts["camera"] = camera_;
  facts["type"] = p.event.type;
  facts["rule"] = p.event.rule;
  facts["pts_s"] = std::round(p.event.pts_s * 1000) / 1000;
  facts["ts_utc"] = events::format_rfc3339_ms(p.event.ts_utc_ms);
  facts["track_id"] = p.event.track_id;
  facts["class"] = p.event.class_name;
  facts["box_xyxy_px"] = {p.box.x1, p.box.y1, p.box.x2, p.box.y2};
  facts["stills"] = stills;
  if (const auto it = plates_.find(p.event.track_id); it != plates_.end()) facts["plate"] = it->second;
  {
    std::ofstream(dir / "event.json") << json::parse(events::to_json_line(p.event)).dump(2) << "\n";
    std::ofstream(dir / "evidence.json") << facts.dump(2) << "\n";
  }
  // ---- The clip (now, or queued until the recording covers it), and the seal -------------------
  auto seal = [&] {
    if (!options_.signer) return;
    if (auto st = evidence::seal(dir.string(), p.event.id, p.event.ts_utc_ms, *options_.signer); !st)
      log.error("{}: cannot seal: {}", dir.string(), st.error().message);
  };
  if (options_.clip_deferred) seal();
  if (options_.clip) {
    EvidenceClipRequest r;
    r.camera = camera_;
    r.event_id = p.event.id;
    r.pack_dir = dir.string();
    r.out_path = (dir / "clip.mp4").string();
    r.start_pts_s = std::max(0.0, p.event.pts_s - options_.clip_before_s);
    r.end_pts_s = p.event.pts_s + options_.clip_after_s;
    r.start_ms = p.event.ts_utc_ms - static_cast<std::int64_t>(options_.clip_before_s * 1000);
    r.end_ms = p.event.ts_utc_ms + static_cast<std::int64_t>(options_.clip_after_s * 1000);
    r.event_ms = p.event.ts_utc_ms;
    if (auto st = options_.clip(r); !st) log.warn("{}: no clip: {}", p.event.id, st.error().message);
  }
  if (!options_.clip_deferred) seal();
  ++written_;
}

}  // namespace vsp::pipeline

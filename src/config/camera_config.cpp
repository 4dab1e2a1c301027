// The keys of one camera (detector, tracker, motion, anpr, rules) declared once as typed rows, and
// the analyze config built from them.
#include <fmt/format.h>

#include <cmath>
#include <set>

#include "config/analyze_config.hpp"
#include "config/rows.hpp"
#include "detect/model_registry.hpp"
#include "road/calibration.hpp"

namespace vsp::config {

namespace {

using nlohmann::json;

constexpr double kMaxSeconds = 1e7;  // about 116 days: "no limit" for durations

std::vector<std::string> model_words() {
  std::vector<std::string> w;
  for (const auto& m : detect::known_models()) w.push_back(m.name);
  return w;
}

const std::vector<std::pair<std::string, analytics::Anchor>>& anchors() {
  static const std::vector<std::pair<std::string, analytics::Anchor>> a = {
      {"bottom_center", analytics::Anchor::bottom_center}, {"center", analytics::Anchor::center}};
  return a;
}

std::vector<std::pair<std::string, analytics::ZoneCountMode>> zone_count_modes() {
  return {{"boxes", analytics::ZoneCountMode::boxes},
          {"dense", analytics::ZoneCountMode::dense},
          {"auto", analytics::ZoneCountMode::automatic}};
}

std::vector<std::pair<std::string, track::ScoreScale>> score_scales() {
  return {{"auto", track::ScoreScale::automatic}, {"unit", track::ScoreScale::unit}, {"rank", track::ScoreScale::rank}};
}

std::vector<std::pair<std::string, detect::Backend>> backends() {
  return {{"auto", detect::Backend::automatic}, {"fast", detect::Backend::fast}, {"opencv", detect::Backend::opencv}};
}

std::vector<std::pair<std::string, detect::Precision>> precisions() {
  return {{"fp32", detect::Precision::fp32}, {"int8", detect::Precision::int8}};
}

std::vector<std::pair<std::string, anpr::Region>> regions() {
  std::vector<std::pair<std::string, anpr::Region>> out;
  for (auto r : {anpr::Region::us, anpr::Region::eu, anpr::Region::br, anpr::Region::ru, anpr::Region::any})
    out.emplace_back(anpr::to_string(r), r);
  return out;
}

/// A tracker key: absent = track::TrackerOptions' own default, which is also what the docs show.
template <class Acc, class Def>
Row<TrackerSection> tracker_field(RowInfo info, Acc acc, Def def) {
  info.default_value = to_json_value(def(track::TrackerOptions{}));
  auto row = field<TrackerSection>(info, acc);
  row.show = [acc, def](const TrackerSection& t) -> nlohmann::json {
    const auto& v = acc(const_cast<TrackerSection&>(t));
    return v ? to_json_value(*v) : to_json_value(def(track::TrackerOptions{}));
  };
  return row;
}

/// A point that `n` holds, without reporting errors (they were reported when it was read).
std::optional<core::Point> quiet_point(const YAML::Node& n) {
  ConfigErrors e;
  Reader r("", e);
  auto p = n ? r.point(n, "") : std::nullopt;
  return e.empty() ? p : std::nullopt;
}

/// A pair of numbers in any range ([x, y] in metres, or a direction), into a core::Point member
/// (or an optional one). `check` rejects a read value with a message.
template <class T, class Acc>
Row<T> vector_field(RowInfo info, Acc acc,
                    std::function<std::optional<std::string>(const core::Point&)> check = nullptr) {
  using M = member_t<T, Acc>;
  info.kind = ValueKind::vector;
  if constexpr (!is_optional<M>::value) {
    if (info.default_value.is_null() && info.default_text.empty() && !info.required) {
      T def{};
      info.default_value = to_json_value(acc(def));
    }
  }
  Row<T> row;
  row.info = info;
  row.read = [acc, check](Reader& r, const YAML::Node& n, const std::string& p, T& t) {
    if (!n.IsSequence() || n.size() != 2) {
      r.error(n, p,
              fmt::format("expected 2 numbers [x, y], got {}",
                          n.IsSequence() ? std::to_string(n.size()) + " values" : "'" + Reader::scalar(n) + "'"));
      return;
    }
    auto x = r.number(n[0], p + "[0]", {}), y = r.number(n[1], p + "[1]", {});
    if (!x || !y) return;
    const core::Point v{*x, *y};
    if (check)
      if (auto msg = check(v)) {
        r.error(n, p, *msg);
        return;
      }
    acc(t) = v;
  };
  row.show = [acc](const T& t) { return to_json_value(acc(const_cast<T&>(t))); };
  return row;
}

std::optional<std::string> check_in_frame(const core::Point& p) {
  if (p.x < 0 || p.x > 1 || p.y < 0 || p.y > 1)
    return fmt::format("image point [{}, {}] is out of frame: image coordinates are normalised, 0..1",
                       format_number(p.x), format_number(p.y));
  return std::nullopt;
}

/// A polygon whose points must lie in the frame, said as such ("off-image") before the shape checks.
template <class T, class Acc>
Row<T> region_field(RowInfo info, Acc acc) {
  auto row = field<T>(info, acc);
  auto inner = row.read;
  row.read = [inner](Reader& r, const YAML::Node& n, const std::string& p, T& t) {
    if (n.IsSequence())
      for (size_t i = 0; i < n.size(); ++i) {
        const YAML::Node q = n[i];
        if (!q.IsSequence() || q.size() != 2) continue;
        try {
          const double x = q[0].as<double>(), y = q[1].as<double>();
          if (x < 0 || x > 1 || y < 0 || y > 1) {
            r.error(q, fmt::format("{}[{}]", p, i),
                    fmt::format("region point [{}, {}] is off-image: coordinates are normalised, 0..1",
                                format_number(x), format_number(y)));
            return;
          }
        } catch (const YAML::Exception&) {
        }
      }
    inner(r, n, p, t);
  };
  return row;
}

const Table<road::CalibrationPoint>& calibration_point_table() {
  using P = road::CalibrationPoint;
  static const Table<P> t = {
      {"calibration_point",
       "calibration.points[]",
       "One correspondence: a road point in the image and on the ground.",
       {}},
      {
          vector_field<P>(
              {.key = "image",
               .unit = "normalised",
               .description = "where the camera sees the point (0..1)",
               .required = true},
              [](P & p) -> auto& { return p.image; }, check_in_frame),
          vector_field<P>(
              {.key = "world", .unit = "m", .description = "where it is on the road plane, metres", .required = true},
              [](P & p) -> auto& { return p.world_m; }),
      },
      nullptr};
  return t;
}

const Table<road::CalibrationOptions>& calibration_table() {
  using C = road::CalibrationOptions;
  static const Table<C> t = {
      {"calibration",
       "calibration",
       "Ground-plane calibration: at least 4 road points with their positions in metres (e.g. the corners of "
       "lane markings of known length). Speeds and distances of the road rules are measured with it; "
       "`vsp calibrate check` prints its residual and draws its metric grid.",
       {}},
      {
          list<C>(
              {.key = "points", .bounds = {4.0, {}}, .description = "image/world correspondences", .required = true},
              calibration_point_table(), [](C & c) -> auto& { return c.points; }),
          field<C>(
              {.key = "max_residual_m",
               .bounds = {0.0, 100.0, true},
               .unit = "m",
               .description = "refuse a calibration whose RMS residual is larger"},
              [](C & c) -> auto& { return c.max_residual_m; }),
          field<C>(
              {.key = "pixel_noise_px",
               .bounds = {0.0, 100.0},
               .unit = "px",
               .description = "noise of a box's ground point, for the speed uncertainty"},
              [](C & c) -> auto& { return c.pixel_noise_px; }),
          field<C>(
              {.key = "scale_error",
               .bounds = {0.0, 1.0},
               .description = "relative error of distances on this calibration (hand-measured ~0.05-0.1, "
                              "surveyed ~0.01); added to every speed's uncertainty"},
              [](C & c) -> auto& { return c.scale_error; }),
      },
      [](Reader& r, const YAML::Node& n, const std::string& path, C& c) {
        const YAML::Node pts = n["points"];
        if (!pts || !pts.IsSequence() || c.points.size() != pts.size()) return;  // reported already
        for (size_t i = 0; i < pts.size(); ++i)  // a point in error was reported; fitting it would mislead
          if (!pts[i].IsMap() || !quiet_point(pts[i]["image"]) || !pts[i]["world"]) return;
        if (auto fit = road::fit_calibration(c); !fit) r.error(pts, Reader::join(path, "points"), fit.error().message);
      }};
  return t;
}

std::vector<std::pair<std::string, road::SignalSource>> signal_sources() {
  return {{"external", road::SignalSource::external}, {"image", road::SignalSource::image}};
}

const Table<road::SignalOptions>& signal_table() {
  using S = road::SignalOptions;
  static const Table<S> t = {
      {"signal",
       "signals[]",
       "A traffic light or rail-crossing barrier the road rules read by name: set from outside "
       "(`PUT /api/signals/<name>`, `vsp analyze --signals`) or read from the lamp colours in an image region.",
       {}},
      {
          field<S>(
              {.key = "name",
               .pattern = "^[A-Za-z0-9_-]{1,64}$",
               .description = "signal name",
               .notes = "[A-Za-z0-9_-]+, unique",
               .required = true},
              [](S & s) -> auto& { return s.name; }),
          choice<S>(
              {.key = "source", .description = "where its state comes from"}, signal_sources(),
              [](S & s) -> auto& { return s.source; }),
          region_field<S>(
              {.key = "region",
               .unit = "normalised",
               .description = "source image: the signal head in the frame",
               .default_text = "none"},
              [](S & s) -> auto& { return s.region; }),
          field<S>(
              {.key = "min_state_s",
               .bounds = {0.0, 10.0},
               .unit = "s",
               .description = "image: a new lamp colour must hold this long (flicker, glare)"},
              [](S & s) -> auto& { return s.min_state_s; }),
          field<S>(
              {.key = "hold_s",
               .bounds = {0.0, 600.0},
               .unit = "s",
               .description = "image: a dark or hidden head keeps its state this long"},
              [](S & s) -> auto& { return s.hold_s; }),
          field<S>(
              {.key = "min_lit_fraction",
               .bounds = {0.0, 1.0, true},
               .description = "image: share of the region that must glow for a lamp to count"},
              [](S & s) -> auto& { return s.min_lit_fraction; }),
      },
      [](Reader& r, const YAML::Node& n, const std::string& path, S& s) {
        if (s.source == road::SignalSource::image && s.region.empty() && !n["region"])
          r.error(n, Reader::join(path, "region"), "a signal with source: image needs a region (its signal head)");
        if (s.source == road::SignalSource::external && n["region"])
          r.error(n["region"], Reader::join(path, "region"), "region is read only with source: image");
      }};
  return t;
}

const Table<road::StopLineOptions>& stop_line_table() {
  using L = road::StopLineOptions;
  static const Table<L> t = {
      {"stop_line",
       "rules.stop_lines[]",
       "A stop line governed by a signal: a vehicle whose front crosses it (from the left of p1→p2 to its right) "
       "while the signal has been red for longer than amber_grace_s is a `red_light` violation.",
       {}},
      {
          field<L>(
              {.key = "name", .description = "rule name", .notes = "unique", .required = true},
              [](L & l) -> auto& { return l.name; }),
          field<L>(
              {.key = "p1", .unit = "normalised", .description = "line start", .required = true},
              [](L & l) -> auto& { return l.p1; }),
          field<L>(
              {.key = "p2",
               .unit = "normalised",
               .description = "line end; traffic goes left to right of p1->p2",
               .required = true},
              [](L & l) -> auto& { return l.p2; }),
          field<L>(
              {.key = "signal", .description = "the signal governing it (a name in signals)", .required = true},
              [](L & l) -> auto& { return l.signal; }),
          field<L>(
              {.key = "classes", .description = "classes checked", .default_text = "road vehicles"},
              [](L & l) -> auto& { return l.classes; }),
          field<L>(
              {.key = "amber_grace_s",
               .bounds = {0.0, 10.0},
               .unit = "s",
               .description = "a crossing this soon after red began is still amber's"},
              [](L & l) -> auto& { return l.amber_grace_s; }),
          field<L>(
              {.key = "min_frames",
               .bounds = {1.0, 100.0},
               .unit = "frames",
               .description = "frames past the line to confirm a crossing"},
              [](L & l) -> auto& { return l.min_frames; }),
      },
      [](Reader& r, const YAML::Node& n, const std::string& path, L&) {
        const auto p1 = quiet_point(n["p1"]), p2 = quiet_point(n["p2"]);
        if (p1 && p2 && std::hypot(p1->x - p2->x, p1->y - p2->y) < 1e-3)
          r.error(n["p2"], path + ".p2", "p1 and p2 are the same point: a stop line needs length");
      }};
  return t;
}

const Table<CameraConfig>& detector_table() {
  static const Table<CameraConfig> t = {
      {"detector", "detector", "Object detector settings.", {}},
      {
          field<CameraConfig>(
              {.key = "model", .words = model_words(), .enum_noun = "model", .description = "detection model"},
              [](CameraConfig & c) -> auto& { return c.detector.model; }),
          field<CameraConfig>(
              {.key = "classes", .description = "classes to keep", .default_text = "all"},
              [](CameraConfig & c) -> auto& { return c.detector.classes; }),
          field<CameraConfig>(
              {.key = "detect_fps",
               .bounds = {0.0, 1000.0, true},
               .unit = "1/s",
               .description = "how often the detector runs (a camera's own detect_fps wins)",
               .default_text = "every frame"},
              [](CameraConfig & c) -> auto& { return c.detect_fps; }),
          field<CameraConfig>(
              {.key = "score_threshold",
               .bounds = {0.0, 1.0},
               .description = "minimum detection score",
               .default_text = "model's own"},
              [](CameraConfig & c) -> auto& { return c.detector.score_threshold; }),
          field<CameraConfig>(
              {.key = "nms_iou",
               .bounds = {0.0, 1.0},
               .description = "NMS IoU threshold within a class",
               .default_text = "model's own"},
              [](CameraConfig & c) -> auto& { return c.detector.nms_iou; }),
          field<CameraConfig>(
              {.key = "threads",
               .bounds = {0.0, 256.0},
               .description = "inference threads; 0 = the library's default (fast backend: the process's cores)"},
              [](CameraConfig & c) -> auto& { return c.detector.threads; }),
          choice<CameraConfig>(
              {.key = "backend",
               .description = "inference engine: fast = the oneDNN backend (src/infer); opencv = OpenCV DNN, the "
                              "reference; auto = fast where it loads the model and is checked for it (yolox_nano, "
                              "nanodet_m_*, person_lwpd), else OpenCV (the log says which and why)"},
              backends(), [](CameraConfig & c) -> auto& { return c.detector.backend; }),
          choice<CameraConfig>(
              {.key = "precision",
               .description = "arithmetic of the network: fp32; int8 = int8 convolutions on the fast backend "
                              "(VNNI where the CPU has it) for the models calibrated for it (yolox_nano, "
                              "nanodet_m_320), refused for others"},
              precisions(), [](CameraConfig & c) -> auto& { return c.detector.precision; }),
      },
      nullptr};
  return t;
}

const Table<TrackerSection>& tracker_table() {
  static const Table<TrackerSection> t = {
      {"tracker", "tracker", "Multi-object tracker settings.", {}},
      {
          tracker_field(
              {.key = "high_score",
               .bounds = {0.0, 1.0},
               .description = "detections at or above join the first association"},
              [](TrackerSection & s) -> auto& { return s.high_score; },
              [](const track::TrackerOptions& o) { return o.high_score; }),
          tracker_field(
              {.key = "low_score", .bounds = {0.0, 1.0}, .description = "detections below are ignored"},
              [](TrackerSection & s) -> auto& { return s.low_score; },
              [](const track::TrackerOptions& o) { return o.low_score; }),
          tracker_field(
              {.key = "new_track_score", .bounds = {0.0, 1.0}, .description = "score needed to start a track"},
              [](TrackerSection & s) -> auto& { return s.new_track_score; },
              [](const track::TrackerOptions& o) { return o.new_track_score; }),
          tracker_field(
              {.key = "lost_buffer_s",
               .bounds = {0.0, 3600.0, true},
               .unit = "s",
               .description = "how long an unseen track may come back"},
              [](TrackerSection & s) -> auto& { return s.lost_buffer_s; },
              [](const track::TrackerOptions& o) { return o.lost_buffer_s; }),
          tracker_field(
              {.key = "min_hits",
               .bounds = {1.0, 30.0},
               .unit = "frames",
               .description = "matches in a row to confirm a track"},
              [](TrackerSection & s) -> auto& { return s.min_hits; },
              [](const track::TrackerOptions& o) { return o.min_hits; }),
          choice<TrackerSection>(
              {.key = "score_scale",
               .description = "how detection scores are read: unit = probabilities in 0..1; rank = each score's rank "
                              "among the detector's first 2000 scores (any scale: DPM, ACF); auto = unit until a "
                              "score outside 0..1 is seen, then rank"},
              score_scales(), [](TrackerSection & s) -> auto& { return s.score_scale; }),
          tracker_field(
              {.key = "report_predicted_s",
               .bounds = {0.0, 60.0},
               .unit = "s",
               .description = "output of boxes (vsp track, --tracks-out): a lost track is still shown at its "
                              "predicted box this long; rules never use predicted boxes"},
              [](TrackerSection & s) -> auto& { return s.report_predicted_s; },
              [](const track::TrackerOptions& o) { return o.report_predicted_s; }),
      },
      nullptr};
  return t;
}

const Table<CameraConfig>& motion_table() {
  static const Table<CameraConfig> t = {
      {"motion",
       "motion",
       "Motion gating: the detector runs on motion, while tracks move, and at least every max_interval_s. "
       "On for serve cameras; in an analyze config only when it has a `motion:` section (then `enabled` "
       "defaults to true).",
       {}},
      {
          field<CameraConfig>(
              {.key = "enabled", .description = "run the detector only on motion (and moving tracks)"},
              [](CameraConfig & c) -> auto& { return c.motion.enabled; }),
          field<CameraConfig>(
              {.key = "min_changed_fraction",
               .bounds = {0.0, 1.0},
               .description = "share of changed pixels that counts as motion"},
              [](CameraConfig & c) -> auto& { return c.motion.min_changed_fraction; }),
          field<CameraConfig>(
              {.key = "max_interval_s",
               .bounds = {0.0, 3600.0, true},
               .unit = "s",
               .description = "run the detector at least this often, motion or not"},
              [](CameraConfig & c) -> auto& { return c.max_detect_interval_s; }),
      },
      nullptr};
  return t;
}

const Table<anpr::AnprOptions>& anpr_table() {
  using A = anpr::AnprOptions;
  static const Table<A> t = {
      {"anpr", "anpr", "Licence-plate reading for vehicle tracks; the key's presence turns it on.", {}},
      {
          choice<A>(
              {.key = "region", .description = "plate grammar used for voting and validation"}, regions(),
              [](A & a) -> auto& { return a.region; }),
          field<A>(
              {.key = "min_plate_px",
               .bounds = {8.0, 1000.0},
               .unit = "px",
               .description = "plates narrower than this are not read"},
              [](A & a) -> auto& { return a.min_plate_px; }),
          field<A>(
              {.key = "min_vehicle_px",
               .bounds = {16.0, 4000.0},
               .unit = "px",
               .description = "vehicle boxes narrower than this are not searched"},
              [](A & a) -> auto& { return a.min_vehicle_px; }),
          field<A>(
              {.key = "reads_per_s",
               .bounds = {0.0, 100.0, true},
               .unit = "1/s",
               .description = "plate reads per track and second"},
              [](A & a) -> auto& { return a.reads_per_s; }),
          field<A>(
              {.key = "max_reads", .bounds = {1.0, 100.0}, .description = "plate reads per track at most"},
              [](A & a) -> auto& { return a.max_reads; }),
          field<A>(
              {.key = "min_confidence",
               .bounds = {0.0, 1.0},
               .description = "consensus below this is a candidate, not a fact"},
              [](A & a) -> auto& { return a.min_confidence; }),
      },
      nullptr};
  return t;
}

const Table<analytics::LineOptions>& line_table() {
  using L = analytics::LineOptions;
  static const Table<L> t = {
      {"line", "rules.lines[]", "A counting line: a finite segment; `in` = from the left of p1→p2 to its right.", {}},
      {
          field<L>(
              {.key = "name", .description = "rule name in events and summary", .notes = "unique", .required = true},
              [](L & l) -> auto& { return l.name; }),
          field<L>(
              {.key = "p1", .unit = "normalised", .description = "segment start", .required = true},
              [](L & l) -> auto& { return l.p1; }),
          field<L>(
              {.key = "p2",
               .unit = "normalised",
               .description = "segment end; in = left to right of p1->p2",
               .notes = "≠ p1",
               .required = true},
              [](L & l) -> auto& { return l.p2; }),
          field<L>(
              {.key = "classes", .description = "classes counted", .default_text = "all"},
              [](L & l) -> auto& { return l.classes; }),
          choice<L>(
              {.key = "anchor", .description = "point of the box that crosses"}, anchors(),
              [](L & l) -> auto& { return l.anchor; }),
          field<L>(
              {.key = "min_frames",
               .bounds = {1.0, 100.0},
               .unit = "frames",
               .description = "frames on the new side to confirm"},
              [](L & l) -> auto& { return l.min_frames; }),
          field<L>(
              {.key = "min_distance",
               .bounds = {0.0, 0.2},
               .unit = "frame diagonal",
               .description = "dead band either side of the line"},
              [](L & l) -> auto& { return l.min_distance; }),
      },
      [](Reader& r, const YAML::Node& n, const std::string& path, L&) {
        const auto p1 = quiet_point(n["p1"]), p2 = quiet_point(n["p2"]);
        if (p1 && p2 && std::hypot(p1->x - p2->x, p1->y - p2->y) < 1e-3)
          r.error(n["p2"], path + ".p2", "p1 and p2 are the same point: a line needs length");
      }};
  return t;
}

const Table<analytics::ZoneOptions>& zone_table() {
  using Z = analytics::ZoneOptions;
  static const Table<Z> t = {
      {"zone", "rules.zones[]", "A polygon zone: entries, exits, occupancy, dwell; left and removed objects.", {}},
      {
          field<Z>(
              {.key = "name", .description = "rule name", .notes = "unique", .required = true},
              [](Z & z) -> auto& { return z.name; }),
          field<Z>(
              {.key = "polygon", .unit = "normalised", .description = "zone outline", .required = true},
              [](Z & z) -> auto& { return z.polygon; }),
          field<Z>(
              {.key = "classes", .description = "classes counted", .default_text = "all"},
              [](Z & z) -> auto& { return z.classes; }),
          choice<Z>(
              {.key = "anchor", .description = "point of the box that must be inside"}, anchors(),
              [](Z & z) -> auto& { return z.anchor; }),
          field<Z>(
              {.key = "enter_frames",
               .bounds = {1.0, 100.0},
               .unit = "frames",
               .description = "frames inside before an entry counts"},
              [](Z & z) -> auto& { return z.enter_frames; }),
          field<Z>(
              {.key = "exit_frames",
               .bounds = {1.0, 100.0},
               .unit = "frames",
               .description = "frames outside before an exit counts"},
              [](Z & z) -> auto& { return z.exit_frames; }),
          field<Z>(
              {.key = "dwell_threshold_s",
               .bounds = {0.0, kMaxSeconds, true},
               .unit = "s",
               .description = "emit zone_dwell when a stay exceeds this"},
              [](Z & z) -> auto& { return z.dwell_threshold_s; }),
          field<Z>(
              {.key = "max_occupancy",
               .bounds = {0.0, 1000000.0},
               .unit = "objects",
               .description = "emit zone_overcrowded above this"},
              [](Z & z) -> auto& { return z.max_occupancy; }),
          field<Z>(
              {.key = "overcrowded_cooldown_s",
               .bounds = {0.0, kMaxSeconds},
               .unit = "s",
               .description = "minimum time between overcrowding events"},
              [](Z & z) -> auto& { return z.overcrowded_cooldown_s; }),
          field<Z>(
              {.key = "abandoned_after_s",
               .bounds = {0.0, 86400.0, true},
               .unit = "s",
               .description = "watch for left objects: emit object_abandoned when a static object has been "
                              "alone this long (counted from when its owner moved away or left the view)",
               .default_text = "not watched"},
              [](Z & z) -> auto& { return z.abandoned_after_s; }),
          field<Z>(
              {.key = "removed_after_s",
               .bounds = {0.0, 86400.0, true},
               .unit = "s",
               .description = "watch for removed objects: emit object_removed when a static object (or a piece of "
                              "the background) has been gone this long",
               .default_text = "not watched"},
              [](Z & z) -> auto& { return z.removed_after_s; }),
          choice<Z>(
              {.key = "count_mode",
               .description = "occupancy from tracked boxes, a dense count (tiles + heads; costly) or auto (dense "
                              "from 4 tracked people); dense and auto drive zone_overcrowded"},
              zone_count_modes(), [](Z & z) -> auto& { return z.count_mode; }),
          field<Z>(
              {.key = "count_interval_s",
               .bounds = {0.1, 3600.0},
               .unit = "s",
               .description = "how often occupancy is sampled for zone_occupancy (and the dense count runs)"},
              [](Z & z) -> auto& { return z.count_interval_s; }),
          vector_field<Z>(
              {.key = "direction",
               .unit = "normalised",
               .description = "allowed direction of travel [dx, dy] in the image (y down); travel against it over "
                              "min_distance_m is wrong_way (needs calibration)",
               .default_text = "none"},
              [](Z & z) -> auto& { return z.road.direction; },
              [](const core::Point& d) -> std::optional<std::string> {
                if (std::hypot(d.x, d.y) < 1e-6) return "a lane direction needs length: [0, 0] points nowhere";
                return std::nullopt;
              }),
          field<Z>(
              {.key = "speed_limit_kmh",
               .bounds = {0.0, 400.0, true},
               .unit = "km/h",
               .description = "speeding above this plus speed_margin_kmh over min_distance_m (needs calibration)"},
              [](Z & z) -> auto& { return z.road.speed_limit_kmh; }),
          field<Z>(
              {.key = "speed_margin_kmh", .bounds = {0.0, 100.0}, .unit = "km/h", .description = "speeding tolerance"},
              [](Z & z) -> auto& { return z.road.speed_margin_kmh; }),
          field<Z>(
              {.key = "min_distance_m",
               .bounds = {0.0, 1000.0, true},
               .unit = "m",
               .description = "wrong_way and speeding: distance travelled before it counts"},
              [](Z & z) -> auto& { return z.road.min_distance_m; }),
          field<Z>(
              {.key = "no_stopping",
               .description = "a vehicle stationary here for max_stop_s is forbidden_stop (needs calibration)"},
              [](Z & z) -> auto& { return z.road.no_stopping; }),
          field<Z>(
              {.key = "max_stop_s",
               .bounds = {0.0, kMaxSeconds, true},
               .unit = "s",
               .description = "no_stopping: longest tolerated stop"},
              [](Z & z) -> auto& { return z.road.max_stop_s; }),
          field<Z>(
              {.key = "stop_speed_mps",
               .bounds = {0.0, 10.0, true},
               .unit = "m/s",
               .description = "no_stopping: below this speed a vehicle is stationary"},
              [](Z & z) -> auto& { return z.road.stop_speed_mps; }),
          field<Z>(
              {.key = "queue_signal",
               .description = "no_stopping: while this signal is red or amber a stop is a queue, not a violation",
               .default_text = "none"},
              [](Z & z) -> auto& { return z.road.queue_signal; }),
          field<Z>(
              {.key = "crossing_signal",
               .description = "rail crossing: anything inside while this signal is red (closed) is "
                              "rail_crossing_entry, at once",
               .default_text = "none"},
              [](Z & z) -> auto& { return z.road.crossing_signal; }),
      },
      [](Reader& r, const YAML::Node& n, const std::string& path, Z& z) {
        if (n["min_distance_m"] && !z.road.direction && !z.road.speed_limit_kmh)
          r.error(n["min_distance_m"], path + ".min_distance_m",
                  "min_distance_m measures wrong_way and speeding: this zone is not a lane (give it a direction "
                  "or a speed_limit_kmh)");
        for (const char* k : {"max_stop_s", "stop_speed_mps", "queue_signal"})
          if (n[k] && !z.road.no_stopping)
            r.error(n[k], Reader::join(path, k), fmt::format("{} applies to a no_stopping zone", k));
        if (n["speed_margin_kmh"] && !z.road.speed_limit_kmh)
          r.error(n["speed_margin_kmh"], path + ".speed_margin_kmh", "speed_margin_kmh needs speed_limit_kmh");
      }};
  return t;
}

const Table<analytics::RulesOptions>& rules_table() {
  using R = analytics::RulesOptions;
  static const Table<R> t = {
      {"rules", "rules", "Counting lines and zones. Rule names are unique within a camera.", {}},
      {
          list<R>(
              {.key = "lines", .description = "counting lines", .default_text = "[]"}, line_table(),
              [](R & r) -> auto& { return r.lines; }),
          list<R>(
              {.key = "zones", .description = "polygon zones", .default_text = "[]"}, zone_table(),
              [](R & r) -> auto& { return r.zones; }),
          list<R>(
              {.key = "stop_lines", .description = "stop lines governed by a signal (red_light)", .default_text = "[]"},
              stop_line_table(), [](R & r) -> auto& { return r.stop_lines; }),
      },
      [](Reader& r, const YAML::Node& n, const std::string& path, R&) {
        std::set<std::string> names;
        for (const char* kind : {"lines", "zones", "stop_lines"}) {
          const YAML::Node items = n[kind];
          for (size_t i = 0; items && items.IsSequence() && i < items.size(); ++i) {
            const YAML::Node name = items[i].IsMap() ? items[i]["name"] : YAML::Node();
            if (!name || !name.IsScalar() || name.Scalar().empty()) continue;
            if (!names.insert(name.Scalar()).second)
              r.error(name, fmt::format("{}.{}[{}].name", path, kind, i),
                      fmt::format("duplicate rule name '{}'", name.Scalar()));
          }
        }
      }};
  return t;
}

}  // namespace

const Table<PrivacyMask>& privacy_mask_table() {
  using M = PrivacyMask;
  static const Table<M> t = {
      {"privacy_mask",
       "privacy_masks[]",
       "An area of the view blacked out in every frame before motion gating and detection, and in the live "
       "view, snapshots and every export (raw ones included): it cannot be unmasked.",
       {}},
      {
          field<M>(
              {.key = "name", .description = "label of the mask"}, [](M & m) -> auto& { return m.name; }),
          field<M>(
              {.key = "polygon", .unit = "normalised", .description = "masked area", .required = true},
              [](M & m) -> auto& { return m.polygon; }),
      },
      nullptr};
  return t;
}

std::vector<Row<CameraConfig>> camera_rows(bool with_rules) {
  using C = CameraConfig;
  auto self = [](C& c) -> C& { return c; };
  std::vector<Row<C>> rows = {
      section<C>({.key = "detector", .description = "object detector settings"}, detector_table(), self),
      field<C>(
          {.key = "detect_fps",
           .bounds = {0.0, 1000.0, true},
           .unit = "1/s",
           .description = "analysed frames per second (overrides detector.detect_fps)",
           .default_text = "every frame"},
          [](C & c) -> auto& { return c.detect_fps; }),
      section<C>(
          {.key = "tracker", .description = "multi-object tracker settings"}, tracker_table(),
          [](C & c) -> auto& { return c.tracker; }),
      section<C>({.key = "motion", .description = "motion gating", .default_text = "serve: on; analyze: off"},
                 motion_table(), self),
  };
  if (with_rules) {
    rows.push_back(section<C>(
        {.key = "rules", .description = "counting lines and zones"}, rules_table(),
        [](C & c) -> auto& { return c.rules; }));
    rows.push_back(list<C>(
        {.key = "privacy_masks", .description = "privacy masks", .default_text = "none"}, privacy_mask_table(),
        [](C & c) -> auto& { return c.privacy_masks; }));
    rows.push_back(section<C>(
        {.key = "calibration", .description = "ground-plane calibration (road rules)", .default_text = "none"},
        calibration_table(), [](C & c) -> auto& { return c.calibration; }));
    rows.push_back(list<C>(
        {.key = "signals", .description = "traffic lights and rail-crossing signals", .default_text = "[]"},
        signal_table(), [](C & c) -> auto& { return c.signals; }));
  }
  rows.push_back(section<C>(
      {.key = "anpr", .description = "licence-plate reading for vehicle tracks", .default_text = "off"}, anpr_table(),
      [](C & c) -> auto& { return c.anpr; }));
  return rows;
}

const Table<CameraConfig>& analyze_table() {
  static const Table<CameraConfig> t = {
      {"analyze",
       "Analyze config (top level)",
       "A `vsp analyze` config: the fields of one camera at the top level. An empty file is an error; "
       "omit `--config` for the defaults.",
       {}},
      camera_rows(true),
      [](Reader& r, const YAML::Node& n, const std::string& path, CameraConfig& c) {
        check_camera_road(r, n, path, c);
      }};
  return t;
}

std::vector<TableInfo> analyze_table_infos() {
  return {analyze_table().info(),      detector_table().info(),    tracker_table().info(),
          motion_table().info(),       rules_table().info(),       line_table().info(),
          zone_table().info(),         stop_line_table().info(),   anpr_table().info(),
          privacy_mask_table().info(), calibration_table().info(), calibration_point_table().info(),
          signal_table().info()};
}

namespace {
/// A map item of a YAML list and its index there.
struct MapItem {
  size_t index;
  YAML::Node node;
};
/// The map items of list `seq`, in order: `list()` keeps exactly these (an item that is not a map is
/// reported and skipped), so the i-th parsed item came from the i-th of them.
std::vector<MapItem> map_items(const YAML::Node& seq) {
  std::vector<MapItem> out;
  if (!seq || !seq.IsSequence()) return out;
  for (size_t i = 0; i < seq.size(); ++i)
    if (seq[i].IsMap()) out.push_back({i, seq[i]});
  return out;
}
/// Where the i-th parsed item's key `key` is (its node, for the line; `fallback` if unknown) and its
/// path (with the item's index in the YAML list, as the list's own errors name it).
std::pair<YAML::Node, std::string> item_key(const std::vector<MapItem>& items, size_t i, const std::string& list,
                                            const char* key, const YAML::Node& fallback) {
  const size_t at = i < items.size() ? items[i].index : i;
  std::string p = fmt::format("{}[{}]", list, at);
  if (key[0] != '\0') p += std::string(".") + key;
  if (i >= items.size()) return {fallback, p};
  const YAML::Node v = key[0] != '\0' ? items[i].node[key] : YAML::Node();
  return {v ? v : items[i].node, p};
}
}  // namespace

void check_camera_road(Reader& r, const YAML::Node& n, const std::string& path, const CameraConfig& c) {
  if (!n || !n.IsMap()) return;
  std::set<std::string> names;
  const auto sigs = map_items(n["signals"]);
  for (size_t i = 0; i < c.signals.size(); ++i)
    if (!names.insert(c.signals[i].name).second) {
      const auto [at, p] = item_key(sigs, i, Reader::join(path, "signals"), "name", n);
      r.error(at, p, fmt::format("duplicate signal name '{}'", c.signals[i].name));
    }
  std::string known;
  for (const auto& nm : names) known += (known.empty() ? "" : ", ") + nm;
  auto unknown = [&](const std::string& name) {
    return fmt::format("unknown signal '{}' ({})", name,
                       known.empty() ? "the camera has no signals:" : "signals: " + known);
  };
  const YAML::Node rules = n["rules"];
  const auto zones = map_items(rules && rules.IsMap() ? rules["zones"] : YAML::Node());
  const std::string zl = Reader::join(path, "rules.zones");
  for (size_t i = 0; i < c.rules.zones.size(); ++i) {
    const auto& z = c.rules.zones[i];
    if ((z.road.direction || z.road.speed_limit_kmh || z.road.no_stopping) && !c.calibration) {
      const auto [at, p] = item_key(zones, i, zl, "", n);
      r.error(at, p,
              fmt::format("zone '{}' has road rules measured in metres (direction, speed_limit_kmh or no_stopping): "
                          "the camera needs a `calibration:`",
                          z.name));
    }
    for (const auto& [key, name] : {std::pair<const char*, const std::string&>{"queue_signal", z.road.queue_signal},
                                    {"crossing_signal", z.road.crossing_signal}})
      if (!name.empty() && !names.count(name)) {
        const auto [at, p] = item_key(zones, i, zl, key, n);
        r.error(at, p, unknown(name));
      }
  }
  const auto lines = map_items(rules && rules.IsMap() ? rules["stop_lines"] : YAML::Node());
  for (size_t i = 0; i < c.rules.stop_lines.size(); ++i)
    if (const auto& l = c.rules.stop_lines[i]; !names.count(l.signal)) {
      const auto [at, p] = item_key(lines, i, Reader::join(path, "rules.stop_lines"), "signal", n);
      r.error(at, p, unknown(l.signal));
    }
}

AnalyzeConfig default_analyze_config() { return AnalyzeConfig{}; }

track::TrackerOptions make_tracker_options(const TrackerSection& s, double frame_rate) {
  track::TrackerOptions o;
  o.frame_rate = frame_rate;
  if (s.high_score) o.high_score = *s.high_score;
  if (s.low_score) o.low_score = *s.low_score;
  if (s.new_track_score) o.new_track_score = *s.new_track_score;
  if (s.lost_buffer_s) o.lost_buffer_s = *s.lost_buffer_s;
  if (s.min_hits) o.min_hits = *s.min_hits;
  o.score_scale = s.score_scale;
  if (s.report_predicted_s) o.report_predicted_s = *s.report_predicted_s;
  return o;
}

std::variant<AnalyzeConfig, ConfigErrors> parse_analyze_config(const std::string& text, const std::string& file) {
  ConfigErrors errors;
  AnalyzeConfig cfg;
  const auto root = load_yaml(text, file, errors);
  if (!root) return errors;
  if (root->IsNull()) return cfg;  // empty text is the default config
  Reader r(file, errors);
  // Analyze runs the detector on every sampled frame unless the config asks for motion gating.
  if (root->IsMap() && (*root)["motion"]) cfg.camera.motion.enabled = true;
  read_table(r, analyze_table(), *root, "", cfg.camera);
  if (!errors.empty()) {
    sort_errors(errors);
    return errors;
  }
  return cfg;
}

std::variant<AnalyzeConfig, ConfigErrors> load_analyze_config(const std::string& path) {
  auto text = read_config_file(path);
  if (auto* e = std::get_if<ConfigErrors>(&text)) return *e;
  return parse_analyze_config(std::get<std::string>(text), path);
}

}  // namespace vsp::config

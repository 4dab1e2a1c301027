// Static privacy masks: the config rows (degenerate polygons refused), the pixels blacked out and
// nothing centred in a mask reaching the tracker or the rules.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <variant>

#include "config/serve_config.hpp"
#include "pipeline/camera_analysis.hpp"
#include "privacy/static_mask.hpp"

using namespace vsp;

namespace {

struct VecSink final : events::EventSink {
  std::vector<events::Event> events;
  void write(const events::Event& e) override { events.push_back(e); }
};

std::string first_error(const std::variant<config::ServeConfig, config::ConfigErrors>& r) {
  if (const auto* e = std::get_if<config::ConfigErrors>(&r)) return e->empty() ? "" : (*e)[0].to_string();
  return "";
}

}  // namespace

TEST(PrivacyMask, masks_parse_per_camera_in_serve_and_analyze_configs) {
  auto r = config::parse_serve_config(R"(cameras:
  - name: yard
    record_url: x
    privacy_masks:
      - {name: window, polygon: [[0.1, 0.1], [0.4, 0.1], [0.4, 0.5]]}
      - {polygon: [[0.6, 0.6], [0.9, 0.6], [0.9, 0.9], [0.6, 0.9]]}
)",
                                      "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ServeConfig>(r)) << first_error(r);
  const auto& masks = std::get<config::ServeConfig>(r).cameras.at(0).camera.privacy_masks;
  ASSERT_EQ(masks.size(), 2u);
  EXPECT_EQ(masks[0].name, "window");
  EXPECT_EQ(masks[1].polygon.size(), 4u);
  auto a = config::parse_analyze_config("privacy_masks: [{polygon: [[0, 0], [1, 0], [1, 0.5]]}]\n", "a.yml");
  ASSERT_TRUE(std::holds_alternative<config::AnalyzeConfig>(a));
  EXPECT_EQ(std::get<config::AnalyzeConfig>(a).camera.privacy_masks.size(), 1u);
}

TEST(PrivacyMask, degenerate_polygons_are_config_errors_naming_the_mask) {
  const std::pair<const char*, const char*> cases[] = {
      {"[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]", "polygon has no area"},
      {"[[0.1, 0.1], [0.2, 0.2]]", "at least 3 points"},
      {"[[0, 0], [1, 0.2], [1, 0], [0, 1]]", "edges cross"},
      {"[[0, 0], [1.5, 0], [1, 1]]", "0..1"},
  };
  for (const auto& [poly, msg] : cases) {
    auto r = config::parse_serve_config(
        fmt::format("cameras:\n  - name: yard\n    record_url: x\n    privacy_masks: [{{polygon: {}}}]\n", poly),
        "s.yml");
    const std::string e = first_error(r);
    EXPECT_NE(e.find("cameras[yard].privacy_masks[0].polygon"), std::string::npos) << poly << ": " << e;
    EXPECT_NE(e.find(msg), std::string::npos) << poly << ": " << e;
  }
  EXPECT_NE(first_error(config::parse_serve_config("cameras: [{name: a, record_url: x, privacy_masks: [{name: w}]}]\n",
                                                   "s.yml"))
                .find("missing required key 'polygon'"),
            std::string::npos);
}

TEST(PrivacyMask, masked_pixels_are_black_and_the_rest_untouched) {
  core::Image img;
  img.width = 100;
  img.height = 50;
  img.bgr.assign(100 * 50 * 3, 200);
  privacy::StaticMask m({{{0.0, 0.0}, {0.5, 0.0}, {0.5, 1.0}, {0.0, 1.0}}});  // the left half
  m.apply(img);
  auto px = [&](int x, int y) { return img.bgr[static_cast<size_t>((y * 100 + x) * 3)]; };
  EXPECT_EQ(px(10, 10), 0);
  EXPECT_EQ(px(49, 49), 0);
  EXPECT_EQ(px(52, 10), 200);
  EXPECT_EQ(px(99, 49), 200);
  EXPECT_TRUE(m.covers({20, 20}, 100, 50));
  EXPECT_FALSE(m.covers({80, 20}, 100, 50));
}

TEST(PrivacyMask, nothing_centred_in_a_mask_is_tracked_or_counted) {
  // A person walks right across a vertical line at x = 500 of a 1000x500 frame; the mask covers
  // x 400..700 (where it crosses). Without the mask the crossing counts; with it, nothing does.
  auto run = [](bool masked) {
    config::CameraConfig c;
    analytics::LineOptions l;
    l.name = "door";
    l.p1 = {0.5, 0.0};
    l.p2 = {0.5, 1.0};
    c.rules.lines.push_back(l);
    if (masked) c.privacy_masks.push_back({"shop", {{0.4, 0.0}, {0.7, 0.0}, {0.7, 1.0}, {0.4, 1.0}}});
    pipeline::CameraAnalysisOptions o;
    o.config = c;
    o.nominal_fps = 10;
    VecSink sink;
    auto core = pipeline::CameraAnalysis::create(o, sink);
    EXPECT_TRUE(core.ok());
    (*core)->start_stream(1000, 500, 0, "test");
    long tracked_in_mask = 0;
    for (int i = 0; i < 80; ++i) {
      const double t = i / 10.0;
      const float x = static_cast<float>(300 + 70 * t);  // 300 .. 853
      const core::Timestamp ts{i, t};
      if ((*core)->offer(ts)) (*core)->update({{{x - 20, 300, x + 20, 400}, 0.9f, 0}}, ts, nullptr);
      for (const auto& tr : (*core)->tracks())
        if (tr.frames_since_update == 0 && tr.box_px.center().x > 400 && tr.box_px.center().x < 700) ++tracked_in_mask;
    }
    (*core)->finish();
    return std::pair{sink.events.size(), tracked_in_mask};
  };
  const auto [open_events, open_in_mask] = run(false);
  const auto [masked_events, masked_in_mask] = run(true);
  EXPECT_GE(open_events, 1u);
  EXPECT_GT(open_in_mask, 0);
  EXPECT_EQ(masked_events, 0u);
  EXPECT_EQ(masked_in_mask, 0);
}

#include <gtest/gtest.h>

#include "events/event_json.hpp"

using namespace vsp::events;

TEST(Events, rfc3339_round_trips_with_milliseconds) {
  EXPECT_EQ(format_rfc3339_ms(1506445069123), "2017-09-26T16:57:49.123Z");
  EXPECT_EQ(parse_rfc3339_ms("2017-09-26T16:57:49.123Z"), 1506445069123);
  EXPECT_EQ(parse_rfc3339_ms("2017-09-26T16:57:49Z"), 1506445069000);
  EXPECT_FALSE(parse_rfc3339_ms("yesterday").has_value());
  EXPECT_FALSE(parse_rfc3339_ms("2017-13-26T16:57:49Z").has_value());
}

TEST(Events, uuid_v7_is_well_formed_and_time_ordered) {
  const auto a = make_uuid_v7(1000), b = make_uuid_v7(2000);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '7');
  EXPECT_LT(a, b);
  EXPECT_NE(make_uuid_v7(1000), make_uuid_v7(1000));
}

TEST(Events, json_line_round_trips_type_specific_fields) {
  Event e;
  e.id = make_uuid_v7(5);
  e.camera = "gate";
  e.type = "line_crossing";
  e.ts_utc_ms = 1506445069123;
  e.pts_s = 1.5;
  e.track_id = 7;
  e.class_name = "car";
  e.rule = "mid";
  e.direction = "in";
  e.attributes["frame"] = std::int64_t{15};
  const auto line = to_json_line(e);
  EXPECT_NE(line.find("\"class\":\"car\""), std::string::npos);
  auto back = from_json_line(line);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->direction, "in");
  EXPECT_EQ(back->ts_utc_ms, e.ts_utc_ms);
  EXPECT_EQ(std::get<std::int64_t>(back->attributes["frame"]), 15);
  EXPECT_FALSE(from_json_line("{not json").ok());
}

// Regression for a fuzz_event_json find: an int field holding 1e81 was converted with undefined
// behaviour; it is now a malformed event.
TEST(EventJson, an_int_field_out_of_range_is_a_malformed_event) {
  const std::string base = R"({"id":"x","type":"line_crossing","ts_utc":"2026-01-01T00:00:00.000Z","schema_version":)";
  EXPECT_FALSE(vsp::events::from_json_line(base + "1.11111e+81}"));
  EXPECT_FALSE(vsp::events::from_json_line(base + "1,\"track_id\":9e99}"));
  EXPECT_FALSE(vsp::events::from_json_line(base + "1,\"count\":-1e20}"));
  EXPECT_FALSE(vsp::events::from_json_line(base + "\"1\"}"));
  auto ok = vsp::events::from_json_line(base + "1,\"track_id\":7}");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->track_id, 7);
}

// The node's outbox methods (real SQLite, real migrations), uplink subjects, and the uplink and
// center config sections. The end-to-end path with real servers is tests/integration/center_test.sh.
#include <gtest/gtest.h>

#include <filesystem>

#include "center/alerts.hpp"
#include "center/center_config.hpp"
#include "config/serve_config.hpp"
#include "store/store.hpp"
#include "uplink/uplink.hpp"

using namespace vsp;

namespace {
struct TempDb {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("vsp_outbox_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                               "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDb() { std::filesystem::create_directories(dir); }
  ~TempDb() { std::filesystem::remove_all(dir); }
  std::string path() const { return (dir / "vsp.db").string(); }
};

events::Event event(std::int64_t ts_ms, const char* camera, const char* type) {
  events::Event e;
  e.id = events::make_uuid_v7(ts_ms);
  e.camera = camera;
  e.type = type;
  e.rule = "r";
  e.ts_utc_ms = ts_ms;
  return e;
}

std::string errors_text(const config::ConfigErrors& errs) {
  std::string s;
  for (const auto& e : errs) s += e.to_string() + "\n";
  return s;
}
}  // namespace

TEST(Outbox, batch_is_in_write_order_not_id_or_time_order) {
  TempDb db;
  auto s = store::Store::open(db.path());
  ASSERT_TRUE(s.ok()) << s.error().message;
  // Written out of time order: the outbox keeps the order of writing.
  const auto a = event(3000, "gate", "line_crossing"), b = event(1000, "yard", "zone_enter"),
             c = event(2000, "gate", "zone_exit");
  for (const auto& e : {a, b, c}) (*s)->write(e);
  (*s)->write(a);  // a duplicate id adds no second outbox row
  const auto batch = (*s)->outbox_batch(10);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].event_id, a.id);
  EXPECT_EQ(batch[1].event_id, b.id);
  EXPECT_EQ(batch[2].event_id, c.id);
  EXPECT_EQ(batch[1].camera, "yard");
  EXPECT_EQ(batch[1].type, "zone_enter");
  EXPECT_NE(batch[1].json.find(b.id), std::string::npos);
  EXPECT_EQ((*s)->outbox_batch(2).size(), 2u);
  EXPECT_EQ((*s)->outbox_oldest_ms(), 3000);
}

TEST(Outbox, delete_removes_only_acknowledged_rows_and_keeps_the_events) {
  TempDb db;
  auto s = store::Store::open(db.path());
  ASSERT_TRUE(s.ok());
  const auto a = event(1000, "gate", "line_crossing"), b = event(2000, "gate", "line_crossing");
  (*s)->write(a);
  (*s)->write(b);
  (*s)->outbox_delete({a.id, "not-an-id"});
  const auto left = (*s)->outbox_batch(10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].event_id, b.id);
  store::EventQuery q;
  auto page = (*s)->events(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events_json.size(), 2u);
  (*s)->outbox_delete({b.id});
  EXPECT_EQ((*s)->outbox_size(), 0);
  EXPECT_FALSE((*s)->outbox_oldest_ms().has_value());
}

TEST(Outbox, trim_drops_the_oldest_rows_above_the_bound_and_counts_them) {
  TempDb db;
  auto s = store::Store::open(db.path());
  ASSERT_TRUE(s.ok());
  std::vector<events::Event> evs;
  for (int i = 0; i < 5; ++i) evs.push_back(event(1000 + i, "gate", "line_crossing"));
  for (const auto& e : evs) (*s)->write(e);
  EXPECT_EQ((*s)->outbox_trim(10), 0);
  EXPECT_EQ((*s)->outbox_trim(3), 2);
  const auto left = (*s)->outbox_batch(10);
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0].event_id, evs[2].id);
  EXPECT_EQ((*s)->outbox_trim(3), 0);
}

TEST(Uplink, subject_names_site_node_camera_and_type_with_reserved_characters_replaced) {
  EXPECT_EQ(uplink::Uplink::subject_for("north", "n1", "gate", "line_crossing"),
            "vsp.events.north.n1.gate.line_crossing");
  EXPECT_EQ(uplink::Uplink::subject_for("a.b", "n *1", "c>d", ""), "vsp.events.a_b.n__1.c_d._");
}

TEST(UplinkConfig, uplink_section_parses_with_defaults) {
  auto r = config::parse_serve_config(R"(site: north
node: n1
cameras: [{name: a, record_url: x.mp4}]
uplink:
  nats: {servers: [nats://127.0.0.1:4222, nats://127.0.0.1:4223]}
  heartbeat_s: 2
)",
                                      "s.yml");
  auto* cfg = std::get_if<config::ServeConfig>(&r);
  ASSERT_NE(cfg, nullptr) << errors_text(std::get<config::ConfigErrors>(r));
  ASSERT_TRUE(cfg->uplink.has_value());
  EXPECT_EQ(cfg->uplink->servers.size(), 2u);
  EXPECT_EQ(cfg->uplink->heartbeat_s, 2);
  EXPECT_EQ(cfg->uplink->max_outbox_events, 1000000);
  EXPECT_EQ(cfg->site, "north");
  auto none = config::parse_serve_config("cameras: [{name: a, record_url: x.mp4}]\n", "s.yml");
  ASSERT_NE(std::get_if<config::ServeConfig>(&none), nullptr);
  EXPECT_FALSE(std::get<config::ServeConfig>(none).uplink.has_value());
}

TEST(UplinkConfig, bad_uplink_sections_name_line_and_key) {
  auto r = config::parse_serve_config(R"(cameras: [{name: a, record_url: x.mp4}]
uplink:
  nats: {servers: [http://x:1]}
  max_outbox_events: 0
  heartbeat: 3
)",
                                      "s.yml");
  auto* errs = std::get_if<config::ConfigErrors>(&r);
  ASSERT_NE(errs, nullptr);
  const std::string text = errors_text(*errs);
  EXPECT_NE(text.find("s.yml:3: uplink.nats.servers: 'http://x:1' is not a NATS URL"), std::string::npos) << text;
  EXPECT_NE(text.find("s.yml:4: uplink.max_outbox_events:"), std::string::npos) << text;
  EXPECT_NE(text.find("s.yml:5: uplink.heartbeat: unknown key 'heartbeat'"), std::string::npos) << text;
  auto missing = config::parse_serve_config("cameras: [{name: a, record_url: x.mp4}]\nuplink: {}\n", "s.yml");
  ASSERT_NE(std::get_if<config::ConfigErrors>(&missing), nullptr);
  EXPECT_NE(errors_text(std::get<config::ConfigErrors>(missing)).find("s.yml:2: uplink: missing required key 'nats'"),
            std::string::npos);
}

TEST(CenterConfig, minimal_config_gets_the_documented_defaults) {
  auto r = center::parse_center_config(R"(nats: {servers: [nats://127.0.0.1:4222]}
postgres: {dsn: "host=127.0.0.1 dbname=vsp"}
)",
                                       "c.yml");
  auto* cfg = std::get_if<center::CenterConfig>(&r);
  ASSERT_NE(cfg, nullptr) << errors_text(std::get<config::ConfigErrors>(r));
  EXPECT_EQ(cfg->stream, "VSP_EVENTS");
  EXPECT_EQ(cfg->replicas, 1);
  EXPECT_EQ(cfg->consumer, "vsp-center");
  EXPECT_EQ(cfg->listen, "127.0.0.1:8090");
  EXPECT_EQ(cfg->postgres_dsn, "host=127.0.0.1 dbname=vsp");
  EXPECT_EQ(cfg->workers, 1);
  EXPECT_EQ(cfg->batch, 1000);
}

TEST(CenterConfig, every_error_is_reported_at_once_with_line_and_key) {
  auto r = center::parse_center_config(R"(nats:
  servers: [127.0.0.1:4222]
  replicas: 2
  stream: "a.b"
api: {listen: 0.0.0.0:8090}
extra: 1
)",
                                       "c.yml");
  auto* errs = std::get_if<config::ConfigErrors>(&r);
  ASSERT_NE(errs, nullptr);
  const std::string text = errors_text(*errs);
  EXPECT_NE(text.find("c.yml:2: nats.servers[0]: expected nats://HOST:PORT, got '127.0.0.1:4222'"), std::string::npos)
      << text;
  EXPECT_NE(text.find("c.yml:3: nats.replicas: expected 1, 3 or 5, got 2"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yml:4: nats.stream:"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yml:5: api.listen: '0.0.0.0' is not loopback"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yml:6: extra: unknown key 'extra'"), std::string::npos) << text;
  EXPECT_NE(text.find("postgres: missing required key 'postgres'"), std::string::npos) << text;
}

TEST(Alerts, a_rule_matches_only_when_every_given_filter_and_the_plate_list_agree) {
  center::AlertRule stolen;
  stolen.name = "stolen";
  stolen.type = "plate_read";
  stolen.plates = {"ABC1234", "XYZ9876"};
  center::AlertRule north_cars;
  north_cars.name = "north_cars";
  north_cars.site = "north";
  north_cars.class_name = "car";
  const std::vector<center::AlertRule> rules = {stolen, north_cars};
  auto names = [&](const events::Event& e) {
    std::string s;
    for (const auto* r : center::match_alerts(rules, e)) s += r->name + ";";
    return s;
  };
  events::Event e;
  e.type = "plate_read";
  e.site = "north";
  e.class_name = "car";
  e.text = "xyz9876";  // plate lists compare in upper case
  EXPECT_EQ(names(e), "stolen;north_cars;");
  e.text = "XYZ9877";  // one character off is not on the list
  EXPECT_EQ(names(e), "north_cars;");
  e.text = "";
  e.site = "south";
  EXPECT_EQ(names(e), "");
  e.type = "line_crossing";
  e.site = "north";
  e.text = "ABC1234";  // right plate, wrong type
  EXPECT_EQ(names(e), "north_cars;");
}

TEST(CenterConfig, alert_rules_parse_and_their_errors_name_the_rule) {
  auto ok = center::parse_center_config(R"(nats: {servers: [nats://127.0.0.1:4222]}
postgres: {dsn: x}
alerts:
  - {name: stolen, type: plate_read, plates: [abc1234], webhook: "http://127.0.0.1:9/hook", nats: false}
  - {name: gate, camera: gate, min_count: 5, window_s: 30, cooldown_s: 60}
)",
                                        "c.yml");
  auto* cfg = std::get_if<center::CenterConfig>(&ok);
  ASSERT_NE(cfg, nullptr) << errors_text(std::get<config::ConfigErrors>(ok));
  ASSERT_EQ(cfg->alerts.size(), 2u);
  EXPECT_EQ(cfg->alerts[0].plates, std::vector<std::string>{"ABC1234"});
  EXPECT_FALSE(cfg->alerts[0].nats);
  EXPECT_TRUE(cfg->alerts[1].nats);
  EXPECT_EQ(cfg->alerts[1].camera, "gate");
  EXPECT_EQ(cfg->alerts[1].min_count, 5);
  EXPECT_EQ(cfg->alerts[1].window_s, 30);
  EXPECT_EQ(cfg->alerts[1].cooldown_s, 60);
  EXPECT_EQ(cfg->alerts[0].min_count, 1);
  auto bad = center::parse_center_config(R"(nats: {servers: [nats://127.0.0.1:4222]}
postgres: {dsn: x}
alerts:
  - {name: a, webhook: "https://x/hook"}
  - {name: a, nats: false}
  - {name: b, colour: red}
)",
                                         "c.yml");
  auto* errs = std::get_if<config::ConfigErrors>(&bad);
  ASSERT_NE(errs, nullptr);
  const std::string text = errors_text(*errs);
  EXPECT_NE(text.find("c.yml:4: alerts[a].webhook: expected an http:// URL"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yml:5: alerts[1].name: duplicate alert name 'a'"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yml:5: alerts[a]: an alert needs a webhook or nats: true"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yml:6: alerts[2].colour: unknown key 'colour'"), std::string::npos) << text;
}

// Found by fuzz_config: keys that are lists or maps, and sections of the wrong kind, are errors,
// not an uncaught yaml-cpp exception.
TEST(CenterConfig, odd_keys_and_section_kinds_are_errors_not_aborts) {
  const auto bad = center::parse_center_config(
      "nats: {servers: [nats://127.0.0.1:4222], [x]: 1, tls: {[y]: 2}}\n"
      "postgres: x\napi: [1]\nauth: 3\nalerts: [x, {name: a, nats: maybe, [b]: 2}]\n",
      "c.yml");
  auto* errs = std::get_if<config::ConfigErrors>(&bad);
  ASSERT_NE(errs, nullptr);
  const std::string text = errors_text(*errs);
  EXPECT_NE(text.find("c.yml:1: nats.a list: unknown key 'a list'"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yml:2: postgres: expected a map"), std::string::npos) << text;
  EXPECT_NE(text.find("alerts[a].nats: expected true or false, got 'maybe'"), std::string::npos) << text;
}

// ---- The center's one-pass reading of the indexed fields agrees with the full parse ----------------
#include <random>

#include "center/event_fields.hpp"
#include "events/event_json.hpp"

namespace {
void expect_same_fields(const std::string& json) {
  const auto full = events::from_json_line(json);
  const auto fast = center::parse_indexed_fields(json);
  ASSERT_EQ(static_cast<bool>(full), static_cast<bool>(fast))
      << json << "\nfull: " << (full ? "ok" : full.error().message)
      << "\nfast: " << (fast ? "ok" : fast.error().message);
  if (!full) return;
  EXPECT_EQ(full->schema_version, fast->schema_version) << json;
  EXPECT_EQ(full->id, fast->id) << json;
  EXPECT_EQ(full->site, fast->site) << json;
  EXPECT_EQ(full->node, fast->node) << json;
  EXPECT_EQ(full->camera, fast->camera) << json;
  EXPECT_EQ(full->type, fast->type) << json;
  EXPECT_EQ(full->rule, fast->rule) << json;
  EXPECT_EQ(full->ts_utc_ms, fast->ts_utc_ms) << json;
  EXPECT_EQ(full->track_id, fast->track_id) << json;
  EXPECT_EQ(full->class_name, fast->class_name) << json;
  EXPECT_EQ(full->direction, fast->direction) << json;
  EXPECT_EQ(full->text, fast->text) << json;
}
}  // namespace

TEST(CenterFields, one_pass_reading_equals_the_full_parse_on_generated_events) {
  std::mt19937 rng(7);
  const std::vector<std::string> odd = {
      "", "a\"b", "back\\slash", "tab\tnew\nline", "caf\xc3\xa9", "\xf0\x9f\x9a\x97", "</script>", "x/y", "\x01"};
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  for (int i = 0; i < 400; ++i) {
    events::Event e;
    e.ts_utc_ms = static_cast<std::int64_t>(rng() % 4'000'000'000u) * 1000 + rng() % 1000;
    e.id = events::make_uuid_v7(e.ts_utc_ms);
    e.site = pick(odd) + "s";
    e.node = pick(odd);
    e.camera = pick(odd);
    e.type = i % 3 ? "line_crossing" : "plate_read";
    e.rule = pick(odd);
    e.track_id = static_cast<int>(rng() % 100000) - 50;
    e.class_name = pick(odd);
    e.direction = i % 2 ? "in" : "";
    e.text = i % 3 ? "" : "ABC" + std::to_string(i);
    e.pts_s = i * 0.04;
    e.box = std::array<double, 4>{1.5, 2, 3, 4};
    e.attributes["id"] = std::string("not-the-id");
    e.attributes["ts_utc"] = std::int64_t{5};
    e.attributes["nested"] = pick(odd);
    expect_same_fields(events::to_json_line(e));
  }
}

TEST(CenterFields, hand_written_texts_agree_with_the_full_parse) {
  const std::string ok = R"("schema_version":1,"id":"a","type":"t","ts_utc":"2026-01-02T03:04:05.678Z")";
  for (const std::string& json : std::vector<std::string>{
           "{" + ok + "}",
           " \n{ " + ok + " , \"site\" : \"s\\u00e9\\ud83d\\ude97\\/\" }\t",
           "{" + ok + R"(,"\u0069d":"escaped-key","site":"first","site":"last"})",
           "{" + ok + R"(,"track_id":-0,"extra":{"a":[1,2.5e-3,true,false,null,{"id":"x"}]},"n":-0.0E+2})",
           "{" + ok + R"(,"track_id":7.9})",
           R"({"schema_version":1,"id":"a","type":"t","ts_utc":"2026-01-02T03:04:05Z"})",
           R"({"schema_version":1,"id":"a","type":"t","ts_utc":"2026-02-31T23:59:60.5+00:00"})",
           R"({"schema_version":1,"id":"a","type":"t","ts_utc":"1969-12-31T23:59:59.999Z"})",
           // malformed, each for its own reason
           "",
           "[]",
           "null",
           "{",
           "{}",
           "{" + ok + "} x",
           "{" + ok + ",}",
           "{" + ok + ",\"a\":01}",
           "{" + ok + ",\"a\":1.}",
           "{" + ok + ",\"a\":tru}",
           "{" + ok + ",\"a\":\"\\x\"}",
           "{" + ok + ",\"a\":\"\\ud800\"}",
           "{" + ok + ",\"a\":\"\\udc00\"}",
           "{" + ok + ",\"a\":\"\xc3\"}",
           "{" + ok + ",\"a\":\"\xed\xa0\x80\"}",
           "{" + ok + ",\"a\":\"\xc0\xaf\"}",
           "{" + ok + ",\"a\":\"\x01\"}",
           "{" + ok + ",\"a\":[1,]}",
           "{" + ok + ",\"a\" 1}",
           "{" + ok + ",\"track_id\":3000000000}",
           "{" + ok + ",\"track_id\":\"3\"}",
           "{" + ok + ",\"site\":null}",
           "{" + ok + ",\"site\":5}",
           R"({"id":"a","type":"t","ts_utc":"2026-01-02T03:04:05.678Z"})",
           R"({"schema_version":1,"type":"t","ts_utc":"2026-01-02T03:04:05.678Z"})",
           R"({"schema_version":1,"id":5,"type":"t","ts_utc":"2026-01-02T03:04:05.678Z"})",
           R"({"schema_version":1,"id":"a","ts_utc":"2026-01-02T03:04:05.678Z"})",
           R"({"schema_version":1,"id":"a","type":"t"})",
           R"({"schema_version":1,"id":"a","type":"t","ts_utc":"2026-13-02T03:04:05.678Z"})",
           R"({"schema_version":1,"id":"a","type":"t","ts_utc":"2026-01-02 03:04:05.678Z"})",
           R"({"schema_version":1,"id":"a","type":"t","ts_utc":"yesterday"})",
       })
    expect_same_fields(json);
  EXPECT_FALSE(
      center::parse_indexed_fields("{" + ok + ",\"a\":" + std::string(600, '[') + std::string(600, ']') + "}"));
}

TEST(CenterFields, timestamps_format_like_the_events_module) {
  for (std::int64_t ms : {0LL, 1LL, -1LL, 951'782'400'000LL, 1'709'164'800'123LL, -62'135'596'800'000LL,
                          253'402'300'799'999LL, 1'234'567'890'987LL}) {
    char buf[24];
    center::format_ts_ms(ms, buf);
    EXPECT_EQ(std::string(buf, 24), events::format_rfc3339_ms(ms)) << ms;
  }
}

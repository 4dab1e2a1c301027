// uplink_load: a synthetic node for the center's tests and benchmark. Writes events into a real
// node store (SQLite, event + outbox row in one transaction) at a given rate and drains them with
// the real uplink to NATS JetStream. Every 10th event is a plate read (for plate search).
//   uplink_load DB NATS_URL[,NATS_URL...] SITE NODE RATE_PER_S [MAX_EVENTS]
// Stops on SIGTERM/SIGINT, or after MAX_EVENTS and the outbox drained; prints
// "written N outbox M write_s S drained_s S" on stdout.
#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "store/store.hpp"
#include "uplink/uplink.hpp"

namespace {
volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
const char* const kPlates[] = {"ABC1234", "ABC1235", "ABD1234", "XYZ9876", "QRS4567"};
}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    fmt::print(stderr, "usage: uplink_load DB NATS_URL SITE NODE RATE_PER_S [MAX_EVENTS]\n");
    return 2;
  }
  const std::string db = argv[1], url = argv[2], site = argv[3], node = argv[4];
  const double rate = std::stod(argv[5]);
  const long max_events = argc > 6 ? std::stol(argv[6]) : -1;
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  auto store = vsp::store::Store::open(db);
  if (!store) {
    fmt::print(stderr, "uplink_load: {}\n", store.error().message);
    return 1;
  }
  vsp::uplink::UplinkOptions o;
  for (size_t pos = 0; pos <= url.size();) {  // NATS_URL may list several, comma-separated
    const auto comma = std::min(url.find(',', pos), url.size());
    o.servers.push_back(url.substr(pos, comma - pos));
    pos = comma + 1;
  }
  o.site = site;
  o.node = node;
  o.heartbeat_s = 1;
  vsp::uplink::Uplink up(o, **store, [] { return std::vector<vsp::uplink::CameraState>{{"lane1", "streaming", ""}}; });
  up.start();
  const auto t0 = std::chrono::steady_clock::now();
  long written = 0;
  while (!g_stop && (max_events < 0 || written < max_events)) {
    // Pace: event n is due at n / rate seconds after the start; write in small bursts.
    const auto due = t0 + std::chrono::duration<double>(static_cast<double>(written) / rate);
    if (std::chrono::steady_clock::now() < due) {
      std::this_thread::sleep_until(due);
      continue;
    }
    const std::int64_t now = vsp::core::wall_clock_ms();
    vsp::events::Event e;
    e.id = vsp::events::make_uuid_v7(now);
    e.site = site;
    e.node = node;
    e.camera = written % 2 ? "lane2" : "lane1";
    e.ts_utc_ms = now;
    e.track_id = static_cast<int>(written % 1000) + 1;
    e.class_name = "car";
    e.rule = "mid";
    if (written % 10 == 9) {
      e.type = "plate_read";
      e.rule = "gate";
      e.text = kPlates[(written / 10) % 5];
      e.confidence = 0.9;
      e.region = "us";
    } else {
      e.type = "line_crossing";
      e.direction = written % 3 ? "in" : "out";
    }
    (*store)->write(e);
    ++written;
  }
  const double write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // With MAX_EVENTS (the benchmark), wait up to 300 s for the uplink to drain the outbox.
  const auto drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (max_events >= 0 && !g_stop && (*store)->outbox_size() > 0 && std::chrono::steady_clock::now() < drain_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double drained_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  up.stop();
  fmt::print("written {} outbox {} write_s {:.2f} drained_s {:.2f}\n", written, (*store)->outbox_size(), write_s,
             drained_s);
  return 0;
}

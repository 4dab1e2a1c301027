// js_publish: publishers straight to JetStream, for the center benchmark. Each of P threads owns a
// NATS connection and publishes its share of N synthetic events (the node's wire JSON, subject
// vsp.events.<site>.<node>.<camera>.<type>, Nats-Msg-Id = event id) asynchronously, at most
// `window` unacknowledged at a time, then waits for every ack. The JSON is made before the clock
// starts (a node publishes what its outbox already holds). Every 10th event is a plate read.
//   js_publish NATS_URL[,NATS_URL...] N [PUBLISHERS] [WINDOW] [SITE] [RATE_PER_S]
// RATE_PER_S (all publishers together, 0 = as fast as the acks allow) paces the publishing.
// Prints "published N acked A failed F seconds S msg_per_s R start_unix_s T" (T: when the first
// publish went out, wall clock) on stdout; exit 1 when any failed.
#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "events/event.hpp"
#include "events/event_json.hpp"
#include "events/subjects.hpp"

namespace {
const char* const kPlates[] = {"ABC1234", "ABC1235", "ABD1234", "XYZ9876", "QRS4567"};

struct Msg {
  std::string subject, id, json;
};

struct Acks {
  std::atomic<long> ok{0}, failed{0};
  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr*, void* closure) {
    auto* self = static_cast<Acks*>(closure);
    (pa ? self->ok : self->failed).fetch_add(1);
    natsMsg_Destroy(msg);
  }
};

std::vector<Msg> make_events(const std::string& site, const std::string& node, long n, std::int64_t t0_ms) {
  std::vector<Msg> out;
  out.reserve(static_cast<size_t>(n));
  for (long i = 0; i < n; ++i) {
    vsp::events::Event e;
    e.ts_utc_ms = t0_ms + i / 50;  // about 50 events per ms of event time
    e.id = vsp::events::make_uuid_v7(e.ts_utc_ms);
    e.site = site;
    e.node = node;
    e.camera = i % 2 ? "lane2" : "lane1";
    e.pts_s = static_cast<double>(i) / 25.0;
    e.track_id = static_cast<int>(i % 1000) + 1;
    e.class_name = "car";
    e.rule = "mid";
    if (i % 10 == 9) {
      e.type = "plate_read";
      e.rule = "gate";
      e.text = kPlates[(i / 10) % 5];
      e.confidence = 0.9;
      e.region = "us";
    } else {
      e.type = "line_crossing";
      e.direction = i % 3 ? "in" : "out";
    }
    out.push_back({vsp::events::event_subject(e.site, e.node, e.camera, e.type), e.id, vsp::events::to_json_line(e)});
  }
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: js_publish NATS_URL N [PUBLISHERS] [WINDOW] [SITE] [RATE_PER_S]\n");
    return 2;
  }
  const std::string url = argv[1];
  const long n = std::stol(argv[2]);
  const int publishers = argc > 3 ? std::max(1, std::stoi(argv[3])) : 2;
  const int window = argc > 4 ? std::max(1, std::stoi(argv[4])) : 4000;
  const std::string site = argc > 5 ? argv[5] : "bench";
  const double rate = argc > 6 ? std::stod(argv[6]) : 0;
  std::vector<std::string> servers;
  for (size_t pos = 0; pos <= url.size();) {
    const auto comma = std::min(url.find(',', pos), url.size());
    servers.push_back(url.substr(pos, comma - pos));
    pos = comma + 1;
  }
  std::vector<const char*> urls;
  for (const auto& s : servers) urls.push_back(s.c_str());

  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::vector<std::vector<Msg>> work;
  for (int p = 0; p < publishers; ++p)
    work.push_back(make_events(site, fmt::format("p{}", p), n / publishers + (p < n % publishers ? 1 : 0), now_ms));

  Acks acks;
  std::vector<natsConnection*> conns(static_cast<size_t>(publishers), nullptr);
  std::vector<jsCtx*> js(static_cast<size_t>(publishers), nullptr);
  for (int p = 0; p < publishers; ++p) {
    natsOptions* o = nullptr;
    natsOptions_Create(&o);
    natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
    natsOptions_SetName(o, "vsp-js-publish");
    const natsStatus s = natsConnection_Connect(&conns[static_cast<size_t>(p)], o);
    natsOptions_Destroy(o);
    if (s != NATS_OK) {
      fmt::print(stderr, "js_publish: cannot connect to {}: {}\n", url, natsStatus_GetText(s));
      return 1;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 10000;
    jo.PublishAsync.MaxPending = window;
    jo.PublishAsync.StallWait = 10000;
    jo.PublishAsync.AckHandler = &Acks::on_ack;
    jo.PublishAsync.AckHandlerClosure = &acks;
    natsConnection_JetStream(&js[static_cast<size_t>(p)], conns[static_cast<size_t>(p)], &jo);
  }

  std::atomic<long> send_failed{0};
  const auto t0 = std::chrono::steady_clock::now();
  const double start_unix_s =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<std::thread> threads;
  for (int p = 0; p < publishers; ++p)
    threads.emplace_back([&, p] {
      jsCtx* j = js[static_cast<size_t>(p)];
      const auto& msgs = work[static_cast<size_t>(p)];
      const double my_rate = rate / publishers;
      for (size_t i = 0; i < msgs.size(); ++i) {
        if (my_rate > 0) std::this_thread::sleep_until(t0 + std::chrono::duration<double>(i / my_rate));
        natsMsg* m = nullptr;
        natsMsg_Create(&m, msgs[i].subject.c_str(), nullptr, msgs[i].json.data(),
                       static_cast<int>(msgs[i].json.size()));
        natsMsgHeader_Set(m, "Nats-Msg-Id", msgs[i].id.c_str());
        if (js_PublishMsgAsync(j, &m, nullptr) != NATS_OK) {
          natsMsg_Destroy(m);
          send_failed.fetch_add(1);
        }
      }
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = 30000;
      js_PublishAsyncComplete(j, &po);
    });
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (int p = 0; p < publishers; ++p) {
    jsCtx_Destroy(js[static_cast<size_t>(p)]);
    natsConnection_Destroy(conns[static_cast<size_t>(p)]);
  }
  const long failed = acks.failed.load() + send_failed.load();
  fmt::print("published {} acked {} failed {} seconds {:.3f} msg_per_s {:.0f} start_unix_s {:.3f}\n", n, acks.ok.load(),
             failed, secs, static_cast<double>(acks.ok.load()) / secs, start_unix_s);
  return failed == 0 && acks.ok.load() == n ? 0 : 1;
}

#include "core/log.hpp"

#include "core/redact.hpp"

#include <cstdio>
#include <mutex>

namespace vsp::core {
namespace {
std::mutex g_mutex;
LogSink g_sink;
std::atomic<int> g_level{static_cast<int>(LogLevel::info)};
constexpr const char* kNames[] = {"debug", "info", "warn", "error", "off"};
}  // namespace

void set_log_sink(LogSink sink) {
  std::lock_guard lock(g_mutex);
  g_sink = std::move(sink);
}
void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel log_level() { return static_cast<LogLevel>(g_level.load()); }

void log_line(LogLevel level, std::string_view logger, std::string_view raw_message) {
  const std::string clean =
      raw_message.find("://") == std::string_view::npos ? std::string(raw_message) : redact_urls(raw_message);
  const std::string_view message = clean;  // camera URLs may carry passwords
  std::lock_guard lock(g_mutex);
  if (g_sink) {
    g_sink(level, logger, message);
    return;
  }
  std::fprintf(stderr, "%s %.*s: %.*s\n", kNames[static_cast<int>(level)], static_cast<int>(logger.size()),
               logger.data(), static_cast<int>(message.size()), message.data());
}

bool RateLimit::allow() {
  const long long now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  long long last = last_ms_.load();
  if (now - last >= interval_ms_ && last_ms_.compare_exchange_strong(last, now)) {
    suppressed_ = 0;
    return true;
  }
  ++suppressed_;
  return false;
}

}  // namespace vsp::core

#pragma once
/// Named loggers for libraries, which never print directly. The app decides where lines go.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace vsp::core {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

/// Where log lines go; the default writes "level logger: message" to stderr.
using LogSink = std::function<void(LogLevel, std::string_view logger, std::string_view message)>;
void set_log_sink(LogSink sink);
void set_log_level(LogLevel level);
LogLevel log_level();
void log_line(LogLevel level, std::string_view logger, std::string_view message);

/// A logger named after its component and camera, e.g. "decode[gate]".
class Logger {
 public:
  explicit Logger(std::string name) : name_(std::move(name)) {}
  template <class... A>
  void log(LogLevel level, fmt::format_string<A...> f, A&&... a) const {
    if (level < log_level()) return;
    log_line(level, name_, fmt::format(f, std::forward<A>(a)...));
  }
  template <class... A>
  void debug(fmt::format_string<A...> f, A&&... a) const {
    log(LogLevel::debug, f, std::forward<A>(a)...);
  }
  template <class... A>
  void info(fmt::format_string<A...> f, A&&... a) const {
    log(LogLevel::info, f, std::forward<A>(a)...);
  }
  template <class... A>
  void warn(fmt::format_string<A...> f, A&&... a) const {
    log(LogLevel::warn, f, std::forward<A>(a)...);
  }
  template <class... A>
  void error(fmt::format_string<A...> f, A&&... a) const {
    log(LogLevel::error, f, std::forward<A>(a)...);
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

/// Lets a message through at most once per `interval`; for anything that could fire per frame.
class RateLimit {
 public:
  explicit RateLimit(std::chrono::milliseconds interval) : interval_ms_(interval.count()) {}
  bool allow();
  /// Messages swallowed since the last one allowed.
  long suppressed() const { return suppressed_.load(); }

 private:
  long long interval_ms_;
  std::atomic<long long> last_ms_{-1'000'000'000};
  std::atomic<long> suppressed_{0};
};

}  // namespace vsp::core

#pragma once
/// JSON wire format of events (one object per line in files and on the bus).
#include <cstdio>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "events/event.hpp"

namespace vsp::events {

std::string to_json_line(const Event& e);
core::Result<Event> from_json_line(const std::string& line);

/// EventSink writing one JSON object per line; flushes every line so a kill loses nothing
/// already reported.
class JsonLinesWriter final : public EventSink {
 public:
  static core::Result<std::unique_ptr<JsonLinesWriter>> open(const std::string& path);
  ~JsonLinesWriter() override;
  void write(const Event& event) override;
  void flush() override;

 private:
  explicit JsonLinesWriter(std::FILE* f) : f_(f) {}
  std::FILE* f_;
};

}  // namespace vsp::events

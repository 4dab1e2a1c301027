#pragma once
/// Secrets never reach logs or API output: URL credentials are masked.
#include <string>
#include <string_view>

namespace vsp::core {

/// "rtsp://user:pass@cam/x" -> "rtsp://***@cam/x", for every URL in `text`.
std::string redact_urls(std::string_view text);

}  // namespace vsp::core

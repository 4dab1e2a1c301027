#pragma once
/// Video decoder with FFmpeg's send/receive/flush shape; frames come out as BGR24 `core::Image`,
/// scaled once to the size analysis needs.
#include <memory>
#include <optional>

#include "core/result.hpp"
#include "core/types.hpp"
#include "ingest/source.hpp"

namespace vsp::decode {

struct DecoderOptions {
  int out_width = 0;   ///< 0 = native width
  int out_height = 0;  ///< 0 = native height (or keep aspect when only width is set)
  int threads = 1;     ///< decoder threads
};

class Decoder {
 public:
  /// Opens a decoder for the source's video stream.
  static core::Result<std::unique_ptr<Decoder>> create(const ingest::Source& source, const DecoderOptions& options);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  /// Feed one packet. A corrupt packet is reported and skipped; the decoder stays usable.
  core::Status send(const ingest::Packet& packet);
  /// Next decoded frame, if one is ready. `ts.frame` counts frames in decode order from 0.
  /// With `convert` false the image has its timestamp only (no pixels): frames that analysis
  /// skips cost no scaling.
  std::optional<core::Image> receive(bool convert = true);
  /// Like `receive`, converting pixels only when `want(pts_s)` says so.
  template <class Want>
  std::optional<core::Image> receive_if(Want&& want) {
    auto ts = peek();
    if (!ts) return std::nullopt;
    return take(want(*ts));
  }
  /// Signal end of input; `receive` then drains the remaining frames.
  void flush();
  /// Packets rejected as corrupt so far.
  long corrupt_packets() const { return corrupt_packets_; }

 private:
  Decoder() = default;
  std::optional<double> peek();    ///< fetch the next frame; its pts
  core::Image take(bool convert);  ///< hand out the fetched frame
  struct Impl;
  std::unique_ptr<Impl> impl_;
  long corrupt_packets_ = 0;
};

}  // namespace vsp::decode

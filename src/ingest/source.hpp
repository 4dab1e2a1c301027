#pragma once
/// Demuxing sources (files, RTSP, HTTP) through libavformat. FFmpeg types stay behind opaque
/// pointers: only `decode` and `record` reach them, through av_access.hpp.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"

struct AVPacket;
struct AVFormatContext;

namespace vsp::ingest {

/// Who sets it: `Source::open`. Units are in the names.
struct StreamInfo {
  std::string url;
  std::string container;  ///< e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::string codec;      ///< e.g. "h264"
  int width = 0;
  int height = 0;
  double fps = 0;                ///< average frame rate, 0 when unknown (live streams)
  double duration_s = 0;         ///< 0 when unknown
  std::int64_t frame_count = 0;  ///< from the container, 0 when unknown
  /// Container `creation_time` in ms since the Unix epoch, when it has one.
  std::optional<std::int64_t> creation_time_unix_ms;
};

struct SourceOptions {
  std::string url;
  double open_timeout_s = 10;  ///< whole open + stream probing
  double read_timeout_s = 5;   ///< one packet read; a stalled peer fails after this
  bool rtsp_tcp = true;        ///< RTSP transport: interleaved TCP (default) or UDP
  /// Optional stop flag of the owner: set, it aborts a blocking open or read at once.
  const std::atomic<bool>* stop = nullptr;
};

/// One compressed packet of the video stream; cheap to copy (shared ownership).
class Packet {
 public:
  Packet() = default;
  explicit Packet(std::shared_ptr<AVPacket> p, double pts_s, bool keyframe)
      : p_(std::move(p)), pts_s_(pts_s), keyframe_(keyframe) {}
  double pts_s() const { return pts_s_; }
  bool keyframe() const { return keyframe_; }
  const AVPacket* av() const { return p_.get(); }
  bool empty() const { return !p_; }

 private:
  std::shared_ptr<AVPacket> p_;
  double pts_s_ = 0;
  bool keyframe_ = false;
};

/// The best video stream of one URL. `read` is the only call that blocks, for at most
/// `read_timeout_s`.
class Source {
 public:
  static core::Result<std::unique_ptr<Source>> open(const SourceOptions& options);
  ~Source();
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  const StreamInfo& info() const { return info_; }
  /// Next packet of the video stream; an empty optional at the end of the stream. A read error
  /// (truncated file, broken connection, timeout) is an Error: packets already returned stand.
  core::Result<std::optional<Packet>> read();
  /// Ask a blocked `read` to give up (from another thread).
  void interrupt();

  AVFormatContext* av_format() const { return fmt_; }
  int stream_index() const { return stream_index_; }

 private:
  Source() = default;
  AVFormatContext* fmt_ = nullptr;
  int stream_index_ = -1;
  StreamInfo info_;
  SourceOptions options_;
  struct Deadline;
  std::unique_ptr<Deadline> deadline_;
  bool arrival_clock_ = false;  ///< stamp packets with arrival time (streams without timestamps)
  std::chrono::steady_clock::time_point opened_at_;
};

/// True for URLs that reach a peer (rtsp://, http://, ...); false for files and file: URLs.
bool is_network_url(const std::string& url);

/// FFmpeg's message for an error code.
std::string av_error_string(int errnum);

}  // namespace vsp::ingest

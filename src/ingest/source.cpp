#include "ingest/source.hpp"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
}

#include <fmt/format.h>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>

#include <cstdarg>

#include "core/log.hpp"

namespace vsp::ingest {

using core::make_error;

bool is_network_url(const std::string& url) {
  return url.find("://") != std::string::npos && url.rfind("file:", 0) != 0;
}

std::string av_error_string(int errnum) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(errnum, buf, sizeof buf);
  return buf;
}

/// The interrupt callback's state: a deadline for the current blocking call, and a stop flag.
struct Source::Deadline {
  std::atomic<std::int64_t> until_ns{0};
  std::atomic<bool> stop{false};
  const std::atomic<bool>* owner_stop = nullptr;
  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void arm(double seconds) { until_ns = now_ns() + static_cast<std::int64_t>(seconds * 1e9); }
  static int callback(void* opaque) {
    auto* d = static_cast<Deadline*>(opaque);
    const bool owner = d->owner_stop && d->owner_stop->load();
    return d->stop.load() || owner || now_ns() > d->until_ns.load() ? 1 : 0;
  }
};

namespace {
std::optional<std::int64_t> parse_creation_time(const AVDictionary* metadata) {
  const AVDictionaryEntry* e = av_dict_get(metadata, "creation_time", nullptr, 0);
  if (!e || !e->value) return std::nullopt;
  std::tm tm{};
  int ms = 0;
  // "2017-09-26T16:57:49.000000Z"
  if (std::sscanf(e->value, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec) != 6)
    return std::nullopt;
  if (const char* dot = std::strchr(e->value, '.')) ms = std::atoi(std::string(dot + 1, 3).c_str());
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t t = timegm(&tm);
  return static_cast<std::int64_t>(t) * 1000 + ms;
}
}  // namespace

namespace {
/// FFmpeg's own messages go to our logger (libraries never print), warnings and worse only.
void ffmpeg_log(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > AV_LOG_WARNING) return;
  static const core::Logger log("ffmpeg");
  static core::RateLimit limit(std::chrono::seconds(2));
  char line[1024];
  int print_prefix = 1;
  av_log_format_line(avcl, level, fmt, vl, line, sizeof line, &print_prefix);
  std::string msg(line);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
  // JPEG's full-range YUV is handled correctly by swscale; its per-frame notice is noise.
  if (msg.find("deprecated pixel format") != std::string::npos) return;
  if (limit.allow()) log.log(level <= AV_LOG_ERROR ? core::LogLevel::error : core::LogLevel::warn, "{}", msg);
}
}  // namespace

core::Result<std::unique_ptr<Source>> Source::open(const SourceOptions& options) {
  static const bool log_installed = [] {
    av_log_set_callback(&ffmpeg_log);
    return true;
  }();
  (void)log_installed;
  std::unique_ptr<Source> s(new Source());
  s->options_ = options;
  s->deadline_ = std::make_unique<Deadline>();
  s->deadline_->owner_stop = options.stop;
  s->fmt_ = avformat_alloc_context();
  s->fmt_->interrupt_callback.callback = &Deadline::callback;
  s->fmt_->interrupt_callback.opaque = s->deadline_.get();

  AVDictionary* opts = nullptr;
  const bool is_rtsp = options.url.rfind("rtsp://", 0) == 0 || options.url.rfind("rtsps://", 0) == 0;
  if (is_rtsp) {
    av_dict_set(&opts, "rtsp_transport", options.rtsp_tcp ? "tcp" : "udp", 0);
    av_dict_set(&opts, "timeout", fmt::format("{}", static_cast<long>(options.read_timeout_s * 1e6)).c_str(), 0);
  } else if (options.url.rfind("http", 0) == 0) {
    av_dict_set(&opts, "rw_timeout", fmt::format("{}", static_cast<long>(options.read_timeout_s * 1e6)).c_str(), 0);
  }
  s->deadline_->arm(options.open_timeout_s);
  int rc = avformat_open_input(&s->fmt_, options.url.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (rc < 0) {
    // avformat_open_input frees the context on failure.
    s->fmt_ = nullptr;
    if (rc == AVERROR_INVALIDDATA && is_network_url(options.url))
      return make_error("bad_stream", fmt::format("{}: the peer did not answer with a valid stream ({})", options.url,
                                                  av_error_string(rc)));
    if (rc == AVERROR_INVALIDDATA)
      return make_error("not_a_video",
                        fmt::format("{}: not a video FFmpeg can read ({})", options.url, av_error_string(rc)));
    if (rc == AVERROR(ENOENT))
      return make_error("file_not_found", fmt::format("{}: cannot open: {}", options.url, av_error_string(rc)));
    // A local file that exists but that a demuxer guessed at and then choked on (random bytes can be
    // sniffed as NSV, MPEG-PS, ...; the demuxer then fails with ENOMEM or EIO) is not a video either.
    if (!is_network_url(options.url) && rc != AVERROR(EACCES) && rc != AVERROR(EISDIR))
      return make_error("not_a_video",
                        fmt::format("{}: not a video FFmpeg can read ({})", options.url, av_error_string(rc)));
    return make_error("open_failed", fmt::format("{}: cannot open: {}", options.url, av_error_string(rc)));
  }
  // FFmpeg renders any text file as "ANSI art" video through its tty demuxer; that is not a camera.
  if (s->fmt_->iformat && std::string_view(s->fmt_->iformat->name) == "tty")
    return make_error("not_a_video", fmt::format("{}: not a video (looks like a text file)", options.url));
  rc = avformat_find_stream_info(s->fmt_, nullptr);
  if (rc < 0)
    return make_error("not_a_video", fmt::format("{}: not a video FFmpeg can read (no stream info: {})", options.url,
                                                 av_error_string(rc)));
  rc = av_find_best_stream(s->fmt_, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (rc < 0)
    return make_error("not_a_video", fmt::format("{}: not a video (no video stream in this input)", options.url));
  s->stream_index_ = rc;
  const AVStream* st = s->fmt_->streams[rc];
  if (st->codecpar->width <= 0 || st->codecpar->height <= 0)
    return make_error("not_a_video",
                      fmt::format("{}: not a video FFmpeg can read (the video stream has no frame size)", options.url));

  StreamInfo& info = s->info_;
  info.url = options.url;
  info.container = s->fmt_->iformat ? s->fmt_->iformat->name : "";
  info.codec = avcodec_get_name(st->codecpar->codec_id);
  info.width = st->codecpar->width;
  info.height = st->codecpar->height;
  if (st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0) info.fps = av_q2d(st->avg_frame_rate);
  if (s->fmt_->duration > 0) info.duration_s = static_cast<double>(s->fmt_->duration) / AV_TIME_BASE;
  info.frame_count = st->nb_frames;
  info.creation_time_unix_ms = parse_creation_time(st->metadata);
  // Streams without timestamps (HTTP MJPEG) get arrival times: FFmpeg would otherwise invent a
  // 25 fps clock, and sampling at detect_fps and segment lengths would be wrong.
  const std::string fmt_name = info.container;
  s->arrival_clock_ =
      fmt_name == "mpjpeg" || fmt_name == "mjpeg" || fmt_name == "image2pipe" || fmt_name == "jpeg_pipe";
  s->opened_at_ = std::chrono::steady_clock::now();
  if (!info.creation_time_unix_ms) info.creation_time_unix_ms = parse_creation_time(s->fmt_->metadata);
  return s;
}

Source::~Source() {
  if (fmt_) avformat_close_input(&fmt_);
}

void Source::interrupt() { deadline_->stop = true; }

core::Result<std::optional<Packet>> Source::read() {
  std::shared_ptr<AVPacket> pkt(av_packet_alloc(), [](AVPacket* p) { av_packet_free(&p); });
  for (;;) {
    deadline_->arm(options_.read_timeout_s);
    const int rc = av_read_frame(fmt_, pkt.get());
    if (rc == AVERROR_EOF) return std::optional<Packet>{};
    if (rc < 0) {
      if (deadline_->stop) return make_error("interrupted", fmt::format("{}: read interrupted", options_.url));
      return make_error("read_failed", fmt::format("{}: read failed: {}", options_.url, av_error_string(rc)));
    }
    if (pkt->stream_index != stream_index_) {
      av_packet_unref(pkt.get());
      continue;
    }
    const AVStream* st = fmt_->streams[stream_index_];
    if (arrival_clock_) {
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_at_).count();
      pkt->pts = pkt->dts = static_cast<std::int64_t>(t / av_q2d(st->time_base));
      pkt->flags |= AV_PKT_FLAG_KEY;  // every JPEG is a keyframe
    }
    const std::int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    const std::int64_t start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    const double pts_s = ts == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(ts - start) * av_q2d(st->time_base);
    return std::optional<Packet>{Packet(pkt, pts_s, (pkt->flags & AV_PKT_FLAG_KEY) != 0)};
  }
}

}  // namespace vsp::ingest

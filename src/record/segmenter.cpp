#include "record/segmenter.hpp"

extern "C" {
#include <libavformat/avformat.h>
}

#include <fmt/format.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>

namespace vsp::record {

namespace fs = std::filesystem;
using core::make_error;

namespace {

std::string segment_rel_path(const std::string& camera, std::int64_t wall_ms) {
  const std::time_t t = static_cast<std::time_t>(wall_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("recordings/{}/{:04}-{:02}-{:02}/{:02}/{:02}.{:02}", camera, tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/// An output file with one video stream copied from an input stream's parameters.
struct Output {
  AVFormatContext* ctx = nullptr;
  bool header_written = false;
  ~Output() { close(); }
  void close() {
    if (!ctx) return;
    if (header_written) av_write_trailer(ctx);
    if (ctx->pb) avio_closep(&ctx->pb);
    avformat_free_context(ctx);
    ctx = nullptr;
    header_written = false;
  }
  core::Status open(const std::string& path, const char* format, const AVCodecParameters* par, AVRational tb) {
    avformat_alloc_output_context2(&ctx, nullptr, format, path.c_str());
    if (!ctx) return make_error("write_failed", fmt::format("{}: cannot create a {} muxer", path, format));
    AVStream* st = avformat_new_stream(ctx, nullptr);
    avcodec_parameters_copy(st->codecpar, par);
    st->codecpar->codec_tag = 0;
    st->time_base = tb;
    int rc = avio_open(&ctx->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0)
      return make_error("write_failed", fmt::format("{}: cannot open: {}", path, ingest::av_error_string(rc)));
    rc = avformat_write_header(ctx, nullptr);
    if (rc < 0)
      return make_error("write_failed", fmt::format("{}: cannot write header: {}", path, ingest::av_error_string(rc)));
    header_written = true;
    return core::Ok{};
  }
};

}  // namespace

struct Segmenter::Impl {
  SegmenterOptions options;
  AVCodecParameters* par = nullptr;
  AVRational in_tb{1, 90000};
  Output out;
  std::optional<SegmentFile> open_seg;
  std::int64_t seg_first_dts = 0;             ///< input ts of the segment's first packet
  std::int64_t last_dts = AV_NOPTS_VALUE;     ///< last written, output-relative
  std::int64_t last_end_ts = 0;               ///< input ts at the end of the last packet written
  std::int64_t prev_in_dts = AV_NOPTS_VALUE;  ///< input dts of the previous packet seen
  std::optional<std::int64_t> anchor_ms;      ///< wall clock at input ts 0: segment times follow the stream clock
  long seg_packets = 0;                       ///< packets written to the open segment
  std::int64_t good_bytes = 0;                ///< file size after the last packet written (all flushed)
  ~Impl() { avcodec_parameters_free(&par); }

  fs::path full_path(const SegmentFile& s) const { return fs::path(options.root) / s.path; }

  /// Closes the open segment. `cut`: a write failed, so the file is cut back to its last good
  /// packet (a partial packet or trailer at its end is dropped) and indexed with that real end.
  std::optional<SegmentFile> finish(bool cut) {
    if (!open_seg) return std::nullopt;
    out.close();
    SegmentFile s = *open_seg;
    open_seg.reset();
    const double dur = static_cast<double>(last_end_ts - seg_first_dts) * av_q2d(in_tb);
    s.end_ms = s.start_ms + static_cast<std::int64_t>(std::max(0.0, dur) * 1000);
    std::error_code ec;
    if (cut) fs::resize_file(full_path(s), static_cast<std::uintmax_t>(good_bytes), ec);
    const auto size = fs::file_size(full_path(s), ec);
    s.bytes = ec ? good_bytes : static_cast<std::int64_t>(size);
    return s;
  }

  /// Drops the open segment with nothing written in it: no file, no row.
  void discard() {
    if (!open_seg) return;
    out.close();
    std::error_code ec;
    fs::remove(full_path(*open_seg), ec);
    open_seg.reset();
  }
};

Segmenter::Segmenter(SegmenterOptions options, const ingest::Source& source) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const AVStream* st = source.av_format()->streams[source.stream_index()];
  impl_->par = avcodec_parameters_alloc();
  avcodec_parameters_copy(impl_->par, st->codecpar);
  impl_->in_tb = st->time_base;
}

Segmenter::~Segmenter() { close(); }

std::optional<SegmentFile> Segmenter::close() { return impl_->finish(false); }

Segmenter::WriteResult Segmenter::write(const ingest::Packet& packet, std::int64_t wall_ms) {
  Impl& im = *impl_;
  WriteResult r;
  const AVPacket* in = packet.av();
  // A packet without dts (RTSP often sends the first ones so) follows the previous packet's dts:
  // taking its pts instead would put a reordered frame's presentation time in decode order and
  // look like a jump back at the next packet (it cut a 0.5 s stub segment at every connect).
  std::int64_t dts = in->dts;
  std::int64_t pts = in->pts;
  if (dts == AV_NOPTS_VALUE)
    dts = im.prev_in_dts != AV_NOPTS_VALUE ? im.prev_in_dts + 1 : (pts != AV_NOPTS_VALUE ? pts : im.last_end_ts);
  if (pts == AV_NOPTS_VALUE || pts < dts) pts = dts;
  im.prev_in_dts = dts;
  const bool key = packet.keyframe();
  if (!im.open_seg && !key) return r;  // a segment starts on a keyframe
  const double seg_len_s = static_cast<double>(dts - im.seg_first_dts) * av_q2d(im.in_tb);
  const bool discontinuity = im.open_seg && im.last_dts != AV_NOPTS_VALUE && dts - im.seg_first_dts < im.last_dts;
  if (im.open_seg && ((key && seg_len_s >= im.options.segment_s) || discontinuity)) r.closed = close();
  if (!im.open_seg) {
    if (!key) return r;
    // Segment times follow the stream's clock from one wall-clock anchor, so a burst of packets
    // at connect time cannot make segments overlap; re-anchor only when the two drift apart.
    const auto ts_ms = static_cast<std::int64_t>(static_cast<double>(dts) * av_q2d(im.in_tb) * 1000);
    if (!im.anchor_ms || std::llabs(wall_ms - (*im.anchor_ms + ts_ms)) > 5000) im.anchor_ms = wall_ms - ts_ms;
    SegmentFile s;
    s.camera = im.options.camera;
    s.start_ms = *im.anchor_ms + ts_ms;
    // Named after the start it is indexed with, so a file's name and its row agree.
    const std::string base = segment_rel_path(im.options.camera, s.start_ms);
    // MPEG-TS for the codecs it carries; Matroska (also readable when cut) for the rest, e.g. MJPEG.
    const AVCodecID id = im.par->codec_id;
    const bool ts_ok = id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_HEVC || id == AV_CODEC_ID_MPEG2VIDEO ||
                       id == AV_CODEC_ID_MPEG4 || id == AV_CODEC_ID_MPEG1VIDEO;
    const char* ext = ts_ok ? "ts" : "mkv";
    s.path = fmt::format("{}.{}", base, ext);
    for (int k = 1; fs::exists(im.full_path(s)); ++k) s.path = fmt::format("{}-{}.{}", base, k, ext);
    const fs::path full = im.full_path(s);
    std::error_code ec;
    // The storage folder itself must exist: when a disk is unplugged its mount point is an empty
    // folder on another disk, and recording there would fill that one instead.
    if (!fs::is_directory(im.options.root, ec)) {
      r.error = make_error("write_failed",
                           fmt::format("recording {}: the storage folder {} is gone", s.camera, im.options.root));
      return r;
    }
    fs::create_directories(full.parent_path(), ec);
    if (ec) {
      r.error = make_error("write_failed",
                           fmt::format("{}: cannot create folder: {}", full.parent_path().string(), ec.message()));
      return r;
    }
    im.open_seg = s;
    if (auto st = im.out.open(full.string(), ts_ok ? "mpegts" : "matroska", im.par, im.in_tb); !st) {
      im.discard();
      r.error = st.error();
      return r;
    }
    im.seg_first_dts = dts;
    im.last_dts = AV_NOPTS_VALUE;
    im.seg_packets = 0;
    im.good_bytes = 0;
  }
  AVPacket* pkt = av_packet_clone(in);
  pkt->stream_index = 0;
  pkt->dts = dts - im.seg_first_dts;
  pkt->pts = pts - im.seg_first_dts;
  if (pkt->pts < pkt->dts) pkt->pts = pkt->dts;
  const std::int64_t rel_dts = pkt->dts;
  av_packet_rescale_ts(pkt, im.in_tb, im.out.ctx->streams[0]->time_base);
  int rc = av_write_frame(im.out.ctx, pkt);
  av_packet_free(&pkt);
  if (rc >= 0) {  // every packet goes to disk at once: a failure shows here, not at the trailer
    avio_flush(im.out.ctx->pb);
    if (im.out.ctx->pb->error < 0) rc = im.out.ctx->pb->error;
  }
  if (rc < 0) {
    // Disk full, read-only or gone: cut the segment after its last good packet (it stays
    // playable and is indexed with its real end), or drop it when nothing got in.
    r.error = make_error("write_failed",
                         fmt::format("recording {}: write failed: {}", im.options.camera, ingest::av_error_string(rc)));
    if (im.seg_packets == 0)
      im.discard();
    else
      r.closed = im.finish(true);
    return r;
  }
  im.last_dts = rel_dts;
  im.last_end_ts = dts + (in->duration > 0 ? in->duration : 0);
  im.good_bytes = avio_tell(im.out.ctx->pb);
  if (++im.seg_packets == 1) r.opened = im.open_seg;
  ++packets_written_;
  r.written = true;
  return r;
}

std::optional<double> probe_duration_s(const std::string& path) {
  auto src = ingest::Source::open({path, 5, 5});
  if (!src) return std::nullopt;
  double first = -1, last = 0;
  for (;;) {
    auto p = (*src)->read();
    if (!p || !*p) break;
    if (first < 0) first = (**p).pts_s();
    last = std::max(last, (**p).pts_s());
  }
  if (first < 0) return std::nullopt;
  const double fps = (*src)->info().fps > 0 ? (*src)->info().fps : 25;
  return last - first + 1.0 / fps;
}

core::Status export_clip(const std::string& root, const std::vector<SegmentFile>& segments, std::int64_t start_ms,
                         std::int64_t end_ms, const std::string& out_path) {
  Output out;
  bool started = false;
  std::int64_t offset_out = 0;  // output ts where the current segment starts
  std::int64_t last_out_end = 0;
  AVRational out_tb{1, 90000};
  for (const auto& seg : segments) {
    auto src = ingest::Source::open({(fs::path(root) / seg.path).string(), 5, 5});
    if (!src) continue;  // a segment deleted or damaged meanwhile: skip it
    const AVStream* st = (*src)->av_format()->streams[(*src)->stream_index()];
    if (!out.ctx) {
      if (auto s = out.open(out_path, "mp4", st->codecpar, out_tb); !s) return s;
      out_tb = out.ctx->streams[0]->time_base;
    }
    std::int64_t seg_first = AV_NOPTS_VALUE;
    for (;;) {
      auto p = (*src)->read();
      if (!p || !*p) break;
      const AVPacket* in = (**p).av();
      const std::int64_t wall = seg.start_ms + static_cast<std::int64_t>((**p).pts_s() * 1000);
      if (wall > end_ms) break;
      // Start on the first keyframe at most one segment before `start_ms`, so the clip decodes
      // from its first frame and covers the whole range.
      if (!started && (wall < start_ms - 5'000 || !(**p).keyframe())) continue;
      started = true;
      std::int64_t dts = in->dts != AV_NOPTS_VALUE ? in->dts : in->pts;
      if (seg_first == AV_NOPTS_VALUE) seg_first = dts;
      AVPacket* pkt = av_packet_clone(in);
      pkt->stream_index = 0;
      av_packet_rescale_ts(pkt, st->time_base, out_tb);
      const std::int64_t rel = av_rescale_q(dts - seg_first, st->time_base, out_tb);
      const std::int64_t shift = offset_out + rel - pkt->dts;
      pkt->dts += shift;
      pkt->pts = pkt->pts == AV_NOPTS_VALUE ? pkt->dts : pkt->pts + shift;
      const std::int64_t dur = pkt->duration > 0 ? pkt->duration : av_rescale_q(1, AVRational{1, 25}, out_tb);
      last_out_end = pkt->dts + dur;
      const int rc = av_write_frame(out.ctx, pkt);
      av_packet_free(&pkt);
      if (rc < 0)
        return make_error("write_failed", fmt::format("{}: write failed: {}", out_path, ingest::av_error_string(rc)));
    }
    offset_out = last_out_end;
  }
  if (!out.ctx || !started) {
    out.close();
    std::error_code ec;
    fs::remove(out_path, ec);
    return make_error("no_recording", "no recorded video in this time range", "start");
  }
  out.close();
  return core::Ok{};
}

}  // namespace vsp::record

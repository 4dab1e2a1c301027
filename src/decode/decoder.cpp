#include "decode/decoder.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include <fmt/format.h>

namespace vsp::decode {

using core::make_error;

struct Decoder::Impl {
  AVCodecContext* ctx = nullptr;
  AVFrame* frame = nullptr;
  SwsContext* sws = nullptr;
  AVRational time_base{1, 1};
  std::int64_t start_pts = 0;
  std::int64_t frames_out = 0;
  int out_w = 0, out_h = 0;
  std::string url;
  ~Impl() {
    if (sws) sws_freeContext(sws);
    if (frame) av_frame_free(&frame);
    if (ctx) avcodec_free_context(&ctx);
  }
};

core::Result<std::unique_ptr<Decoder>> Decoder::create(const ingest::Source& source, const DecoderOptions& options) {
  const AVStream* st = source.av_format()->streams[source.stream_index()];
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec)
    return make_error("unsupported_codec", fmt::format("{}: no decoder for codec {}", source.info().url,
                                                       avcodec_get_name(st->codecpar->codec_id)));
  std::unique_ptr<Decoder> d(new Decoder());
  d->impl_ = std::make_unique<Impl>();
  Impl& im = *d->impl_;
  im.url = source.info().url;
  im.ctx = avcodec_alloc_context3(codec);
  if (avcodec_parameters_to_context(im.ctx, st->codecpar) < 0)
    return make_error("decoder_failed", fmt::format("{}: bad codec parameters", im.url));
  im.ctx->thread_count = options.threads;
  im.ctx->pkt_timebase = st->time_base;
  const int rc = avcodec_open2(im.ctx, codec, nullptr);
  if (rc < 0)
    return make_error("decoder_failed",
                      fmt::format("{}: cannot open decoder: {}", im.url, ingest::av_error_string(rc)));
  im.frame = av_frame_alloc();
  im.time_base = st->time_base;
  im.start_pts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
  const int w = st->codecpar->width, h = st->codecpar->height;
  im.out_w = options.out_width > 0 ? options.out_width : w;
  im.out_h = options.out_height > 0  ? options.out_height
             : options.out_width > 0 ? (options.out_width * h / w + 1) / 2 * 2
                                     : h;
  return d;
}

Decoder::~Decoder() = default;

core::Status Decoder::send(const ingest::Packet& packet) {
  const int rc = avcodec_send_packet(impl_->ctx, packet.av());
  if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) {
    ++corrupt_packets_;
    return make_error("corrupt_packet", fmt::format("{}: corrupt packet at {:.3f} s: {}", impl_->url, packet.pts_s(),
                                                    ingest::av_error_string(rc)));
  }
  return core::Ok{};
}

void Decoder::flush() { avcodec_send_packet(impl_->ctx, nullptr); }

std::optional<double> Decoder::peek() {
  Impl& im = *impl_;
  if (avcodec_receive_frame(im.ctx, im.frame) < 0) return std::nullopt;
  const std::int64_t pts =
      im.frame->best_effort_timestamp != AV_NOPTS_VALUE ? im.frame->best_effort_timestamp : im.frame->pts;
  return pts == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(pts - im.start_pts) * av_q2d(im.time_base);
}

core::Image Decoder::take(bool convert) {
  Impl& im = *impl_;
  const AVFrame* f = im.frame;
  core::Image img;
  const std::int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
  img.ts.frame = im.frames_out++;
  img.ts.pts_s = pts == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(pts - im.start_pts) * av_q2d(im.time_base);
  if (convert) {
    im.sws = sws_getCachedContext(im.sws, f->width, f->height, static_cast<AVPixelFormat>(f->format), im.out_w,
                                  im.out_h, AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr, nullptr, nullptr);
    img.width = im.out_w;
    img.height = im.out_h;
    img.bgr.resize(static_cast<size_t>(im.out_w) * im.out_h * 3);
    uint8_t* dst[4] = {img.bgr.data(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {im.out_w * 3, 0, 0, 0};
    sws_scale(im.sws, f->data, f->linesize, 0, f->height, dst, dst_stride);
  }
  av_frame_unref(im.frame);
  return img;
}

std::optional<core::Image> Decoder::receive(bool convert) {
  if (!peek()) return std::nullopt;
  return take(convert);
}

}  // namespace vsp::decode

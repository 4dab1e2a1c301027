#include "detect/detector.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "core/log.hpp"
#include "detect/int8_calibration.hpp"
#include "detect/nms.hpp"
#include "infer/session.hpp"

namespace vsp::detect {

using core::make_error;

struct PreparedInput::Impl {
  cv::Mat blob;
  float scale_x = 1, scale_y = 1;  ///< network px -> image px
  int image_w = 0, image_h = 0;
};
PreparedInput::PreparedInput() : impl_(std::make_unique<Impl>()) {}
PreparedInput::~PreparedInput() = default;
PreparedInput::PreparedInput(PreparedInput&&) noexcept = default;
PreparedInput& PreparedInput::operator=(PreparedInput&&) noexcept = default;

struct Detector::Net {
  cv::dnn::Net net;
  std::vector<cv::String> out_names;
  std::unique_ptr<infer::Session> fast;  ///< set when the fast backend runs the model

  /// One forward; the returned matrices stay valid until the next call.
  std::vector<cv::Mat> forward(const cv::Mat& blob) {
    std::vector<cv::Mat> outs;
    if (fast) {
      fast->run(blob.ptr<float>());
      for (const auto& o : fast->outputs()) {
        std::vector<int> sizes(o.dims.begin(), o.dims.end());
        outs.emplace_back(static_cast<int>(sizes.size()), sizes.data(), CV_32F, const_cast<float*>(o.data));
      }
      return outs;
    }
    net.setInput(blob);
    net.forward(outs, out_names);
    return outs;
  }
};

const char* to_string(Backend b) {
  switch (b) {
    case Backend::automatic:
      return "auto";
    case Backend::fast:
      return "fast";
    case Backend::opencv:
      return "opencv";
  }
  return "?";
}

namespace {

// ---- Output decoding, one function per model family (layouts in models/MANIFEST.md) ----------

/// YOLOX: [1, N, 5 + C] rows over strides 8/16/32, columns tx ty tw th obj p0..pC-1 (sigmoided).
void decode_yolox(const cv::Mat& out, int input_size, int num_classes, float thr, core::Detections& dets) {
  const float* row = out.ptr<float>();
  const int cols = 5 + num_classes;
  for (int stride : {8, 16, 32}) {
    const int g = input_size / stride;
    for (int gy = 0; gy < g; ++gy) {
      for (int gx = 0; gx < g; ++gx, row += cols) {
        const float obj = row[4];
        if (obj < thr) continue;
        int best = 0;
        for (int c = 1; c < num_classes; ++c)
          if (row[5 + c] > row[5 + best]) best = c;
        const float score = obj * row[5 + best];
        if (score < thr) continue;
        const float cx = (row[0] + gx) * stride, cy = (row[1] + gy) * stride;
        const float w = std::exp(row[2]) * stride, h = std::exp(row[3]) * stride;
        dets.push_back({{cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}, score, best});
      }
    }
  }
}

/// NanoDet / PicoDet (GFL head): per stride a [1, N, C] score tensor and a [1, N, 32] box
/// distribution (4 sides x 8 bins). `centre_offset` is (s-1)/2 px for NanoDet, 0.5 cells for PicoDet.
void decode_gfl(const std::vector<cv::Mat>& outs, int input_size, bool picodet, float thr, core::Detections& dets) {
  const std::vector<int> strides = picodet ? std::vector<int>{8, 16, 32, 64} : std::vector<int>{8, 16, 32};
  for (int stride : strides) {
    const int g = (input_size + stride - 1) / stride;
    const int n = g * g;
    const cv::Mat* cls = nullptr;
    const cv::Mat* reg = nullptr;
    for (const auto& o : outs) {
      const int rows = o.dims == 3 ? o.size[1] : o.size[0];
      if (rows != n) continue;
      if (o.size[o.dims - 1] == 32)
        reg = &o;
      else
        cls = &o;
    }
    if (!cls || !reg) continue;
    const int nc = cls->size[cls->dims - 1];
    for (int i = 0; i < n; ++i) {
      const float* s = cls->ptr<float>() + static_cast<size_t>(i) * nc;
      const int best = static_cast<int>(std::max_element(s, s + nc) - s);
      if (s[best] < thr) continue;
      const int gx = i % g, gy = i / g;
      const float cx = picodet ? (gx + 0.5f) * stride : gx * stride + (stride - 1) / 2.0f;
      const float cy = picodet ? (gy + 0.5f) * stride : gy * stride + (stride - 1) / 2.0f;
      const float* r = reg->ptr<float>() + static_cast<size_t>(i) * 32;
      float dist[4];
      for (int side = 0; side < 4; ++side) {
        const float* b = r + side * 8;
        const float m = *std::max_element(b, b + 8);
        float sum = 0, acc = 0;
        for (int k = 0; k < 8; ++k) {
          const float e = std::exp(b[k] - m);
          sum += e;
          acc += e * k;
        }
        dist[side] = acc / sum * stride;
      }
      dets.push_back({{cx - dist[0], cy - dist[1], cx + dist[2], cy + dist[3]}, s[best], best});
    }
  }
}

/// NCHW blob of a BGR image with NanoDet/PicoDet normalisation: (pixel - mean) / std per channel.
cv::Mat normalised_blob(const cv::Mat& bgr) {
  static const double kStd[3] = {57.375, 57.12, 58.395};
  cv::Mat blob =
      cv::dnn::blobFromImage(bgr, 1.0, cv::Size(), cv::Scalar(103.53, 116.28, 123.675), false, false, CV_32F);
  const size_t plane = static_cast<size_t>(bgr.rows) * static_cast<size_t>(bgr.cols);
  auto* data = blob.ptr<float>();
  for (int c = 0; c < 3; ++c) {
    const float k = static_cast<float>(1.0 / kStd[c]);
    float* p = data + static_cast<size_t>(c) * plane;
    for (size_t i = 0; i < plane; ++i) p[i] *= k;
  }
  return blob;
}

core::Status check_output_shapes(const ModelSpec& spec, const std::vector<cv::Mat>& outs, const std::string& path) {
  auto bad = [&](const std::string& what) {
    return make_error("model_shape_mismatch",
                      fmt::format("{}: model '{}' has unexpected outputs: {}", path, spec.name, what));
  };
  if (spec.family == ModelFamily::yolox) {
    const int g8 = spec.input_size / 8, g16 = spec.input_size / 16, g32 = spec.input_size / 32;
    const int rows = g8 * g8 + g16 * g16 + g32 * g32;
    if (outs.size() != 1 || outs[0].dims != 3 || outs[0].size[1] != rows || outs[0].size[2] != 5 + spec.num_classes)
      return bad(fmt::format("expected one [1,{},{}] tensor", rows, 5 + spec.num_classes));
    return core::Ok{};
  }
  const size_t expected = spec.family == ModelFamily::picodet ? 8 : 6;
  if (outs.size() != expected) return bad(fmt::format("expected {} tensors, got {}", expected, outs.size()));
  for (const auto& o : outs) {
    const int cols = o.size[o.dims - 1];
    if (o.dims < 2 || (cols != 32 && cols != spec.num_classes))
      return bad(fmt::format("expected [1,N,32] box and [1,N,80] score tensors, got one with {} dims and {} columns",
                             o.dims, cols));
  }
  return core::Ok{};
}

}  // namespace

core::Result<std::unique_ptr<Detector>> Detector::create(const DetectorOptions& options) {
  auto spec = find_model(options.model);
  if (!spec)
    return make_error("unknown_model",
                      fmt::format("unknown model '{}'; known models: {}", options.model, known_model_names()),
                      "detector.model");
  auto path = locate_verified(*spec);
  if (!path) return path.error();
  std::unique_ptr<Detector> d(new Detector());
  d->spec_ = *spec;
  d->options_ = options;
  d->score_threshold_ = options.score_threshold.value_or(spec->default_score_threshold);
  d->nms_iou_ = options.nms_iou.value_or(spec->default_nms_iou);
  d->net_ = std::make_unique<Net>();
  const Int8Calibration* int8 = nullptr;
  if (options.precision == Precision::int8) {
    if (options.backend == Backend::opencv)
      return make_error("precision_unavailable",
                        fmt::format("model '{}': detector.precision int8 runs on the fast backend only, and "
                                    "detector.backend is opencv",
                                    spec->name),
                        "detector.precision");
    int8 = find_int8_calibration(spec->name);
    if (!int8)
      return make_error("precision_unavailable",
                        fmt::format("model '{}' has no int8 path (models with one: {}); use detector.precision fp32",
                                    spec->name, int8_model_names()),
                        "detector.precision");
    if (int8->model_sha256 != spec->sha256)
      return make_error("precision_unavailable",
                        fmt::format("model '{}': its int8 calibration was made on another file (sha256 {}); "
                                    "rerun build/bench/int8_calibrate",
                                    spec->name, int8->model_sha256),
                        "detector.precision");
  }
  const infer::RangeTable* int8_ranges = int8 ? (options.int8_ranges ? options.int8_ranges : &int8->ranges) : nullptr;
  const int s = spec->input_size;
  const cv::Mat blank(std::vector<int>{1, 3, s, s}, CV_32F, cv::Scalar(0));
  const core::Logger log("detect");
  if (options.backend == Backend::automatic && !spec->fast_by_default && !int8) {
    d->backend_reason_ = fmt::format(
        "model '{}' runs on OpenCV DNN: the fast backend is not yet checked and tuned for it "
        "(detector.backend: fast forces it)",
        spec->name);
    log.info("{}", d->backend_reason_);
  } else if (options.backend != Backend::opencv) {
    auto graph = infer::load_onnx(*path);
    core::Result<std::unique_ptr<infer::Session>> session =
        graph ? (graph->model_name = spec->name,
                 infer::Session::create(std::move(*graph), {1, 3, s, s},
                                        {.threads = options.threads, .int8 = int8_ranges}))
              : core::Result<std::unique_ptr<infer::Session>>(graph.error());
    core::Status ok = session ? core::Status(core::Ok{}) : core::Status(session.error());
    if (session) {
      d->net_->fast = std::move(*session);
      ok = check_output_shapes(*spec, d->net_->forward(blank), path->string());  // warm-up and shape check
      if (!ok) d->net_->fast.reset();
    }
    if (ok) {
      d->backend_ = Backend::fast;
      const auto& st = d->net_->fast->stats();
      d->backend_reason_ = fmt::format(
          "model '{}' runs on the fast backend ({}; {} steps, {} activations fused, {:.2f} GFLOP/frame, {} threads)",
          spec->name, infer::Session::kernel_info(), st.steps, st.fused_activations, st.gflop,
          options.threads > 0 ? options.threads : infer::available_cores());
      if (int8)
        d->backend_reason_ += fmt::format(
            " in int8: {} of {} convolutions int8 (s8 weights per channel, u8/s8 inputs per tensor or, for {}, "
            "per channel, {} writing int8); fp32: the heads and those the calibration found sensitive; calibration: {}",
            st.int8_convolutions, st.convolutions, st.int8_per_channel, st.int8_requantised, int8->frames);
      log.info("{}", d->backend_reason_);
      if ((options.threads > 1 || (options.threads == 0 && infer::available_cores() > 1)) &&
          !std::getenv("OMP_WAIT_POLICY"))
        log.info(
            "OMP_WAIT_POLICY is unset: on a machine shared with other work, OMP_WAIT_POLICY=passive with "
            "GOMP_SPINCOUNT=3000 keeps the inference threads from spinning long (as vsp sets; "
            "docs/performance.md)");
      return d;
    }
    if (options.backend == Backend::fast || int8) return ok.error();
    d->backend_reason_ = fmt::format("model '{}' runs on OpenCV DNN: the fast backend cannot run it ({})", spec->name,
                                     ok.error().message);
    log.warn("{}", d->backend_reason_);
  } else {
    d->backend_reason_ = fmt::format("model '{}' runs on OpenCV DNN (detector.backend: opencv)", spec->name);
    log.info("{}", d->backend_reason_);
  }
  if (options.threads > 0) cv::setNumThreads(options.threads);
  try {
    d->net_->net = cv::dnn::readNetFromONNX(path->string());
    d->net_->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    d->net_->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    d->net_->out_names = d->net_->net.getUnconnectedOutLayersNames();
    // Warm-up on a blank frame doubles as the shape check.
    if (auto st = check_output_shapes(*spec, d->net_->forward(blank), path->string()); !st) return st.error();
  } catch (const cv::Exception& e) {
    return make_error("model_load_failed",
                      fmt::format("{}: cannot load model '{}': {}", path->string(), spec->name, e.what()));
  }
  d->backend_ = Backend::opencv;
  return d;
}

Detector::~Detector() = default;

PreparedInput Detector::prepare(const core::Image& image) const {
  PreparedInput in;
  auto& p = in.impl();
  p.image_w = image.width;
  p.image_h = image.height;
  const int s = spec_.input_size;
  const cv::Mat frame(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.bgr.data()));
  if (spec_.family == ModelFamily::picodet) {
    // Paddle trains PicoDet on a plain stretch resize.
    cv::Mat resized;
    cv::resize(frame, resized, cv::Size(s, s), 0, 0, cv::INTER_LINEAR);
    p.scale_x = static_cast<float>(image.width) / s;
    p.scale_y = static_cast<float>(image.height) / s;
    p.blob = normalised_blob(resized);
    return in;
  }
  // Letterbox top-left, pad 114: r = min(S/w, S/h).
  const float r = std::min(static_cast<float>(s) / image.width, static_cast<float>(s) / image.height);
  const int nw = static_cast<int>(std::round(image.width * r)), nh = static_cast<int>(std::round(image.height * r));
  cv::Mat canvas(s, s, CV_8UC3, cv::Scalar(114, 114, 114));
  cv::resize(frame, canvas(cv::Rect(0, 0, nw, nh)), cv::Size(nw, nh), 0, 0, cv::INTER_LINEAR);
  p.scale_x = p.scale_y = 1.0f / r;
  if (spec_.family == ModelFamily::yolox) {
    p.blob = cv::dnn::blobFromImage(canvas);  // BGR, raw 0..255
  } else {
    p.blob = normalised_blob(canvas);
  }
  return in;
}

void Detector::forward_only(const PreparedInput& input) { net_->forward(input.impl().blob); }

core::Status Detector::observe_ranges(const PreparedInput& input, infer::RangeTable& ranges) {
  if (!net_->fast || options_.precision != Precision::fp32)
    return make_error("calibration_unavailable",
                      fmt::format("model '{}': calibration needs the fast backend in fp32", spec_.name));
  net_->fast->observe_ranges(input.impl().blob.ptr<float>(), ranges);
  return core::Ok{};
}

const float* Detector::input_data(const PreparedInput& input) { return input.impl().blob.ptr<float>(); }

core::Status Detector::observe_histograms(const PreparedInput& input, const infer::RangeTable& ranges,
                                          std::map<std::string, std::vector<double>>& hist) {
  if (!net_->fast || options_.precision != Precision::fp32)
    return make_error("calibration_unavailable",
                      fmt::format("model '{}': calibration needs the fast backend in fp32", spec_.name));
  net_->fast->observe_histograms(input.impl().blob.ptr<float>(), ranges, hist);
  return core::Ok{};
}

core::Detections Detector::infer(const PreparedInput& input) {
  const auto& p = input.impl();
  const std::vector<cv::Mat> outs = net_->forward(p.blob);

  core::Detections raw;
  if (spec_.family == ModelFamily::yolox)
    decode_yolox(outs[0], spec_.input_size, spec_.num_classes, score_threshold_, raw);
  else
    decode_gfl(outs, spec_.input_size, spec_.family == ModelFamily::picodet, score_threshold_, raw);

  // Map to image pixels, clip to the frame.
  const float w = static_cast<float>(p.image_w), h = static_cast<float>(p.image_h);
  for (auto& d : raw) {
    d.box_px.x1 = std::clamp(d.box_px.x1 * p.scale_x, 0.f, w);
    d.box_px.x2 = std::clamp(d.box_px.x2 * p.scale_x, 0.f, w);
    d.box_px.y1 = std::clamp(d.box_px.y1 * p.scale_y, 0.f, h);
    d.box_px.y2 = std::clamp(d.box_px.y2 * p.scale_y, 0.f, h);
  }
  std::erase_if(raw, [](const core::Detection& d) { return d.box_px.area() < 4.f; });
  auto kept = suppress_cross_class(nms_per_class(std::move(raw), nms_iou_), options_.cross_class_iou);
  if (!options_.classes.empty())
    std::erase_if(kept, [&](const core::Detection& d) {
      return std::find(options_.classes.begin(), options_.classes.end(), d.class_id) == options_.classes.end();
    });
  return kept;
}

}  // namespace vsp::detect

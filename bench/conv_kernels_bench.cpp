// oneDNN vs XNNPACK on representative yolox_nano convolutions (fp32), one run per library.
// Build: see bench/CMakeLists.txt (target vsp_conv_kernels_bench). Prints median ms per layer.
#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include <omp.h>

namespace {

struct Layer {
  const char* name;
  int c_in, c_out, hw, k, stride, groups;
};

// Shapes taken from yolox_nano_416 (stem after Focus, depthwise-separable blocks, neck 1x1s).
const Layer kLayers[] = {
    {"stem 3x3 12->16 @208", 12, 16, 208, 3, 1, 1}, {"dw 3x3 32 s2 @208", 32, 32, 208, 3, 2, 32},
    {"pw 1x1 32->32 @104", 32, 32, 104, 1, 1, 1},   {"dw 3x3 64 @52", 64, 64, 52, 3, 1, 64},
    {"pw 1x1 64->64 @52", 64, 64, 52, 1, 1, 1},     {"pw 1x1 128->128 @26", 128, 128, 26, 1, 1, 1},
    {"pw 1x1 256->256 @13", 256, 256, 13, 1, 1, 1}, {"3x3 64->64 @52 (head)", 64, 64, 52, 3, 1, 1},
};

template <class F>
double median_ms(F&& f, int reps = 30) {
  for (int i = 0; i < 3; ++i) f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto a = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double gflop(const Layer& l) {
  const double ho = l.hw / l.stride;
  return 2.0 * ho * ho * l.c_out * (l.c_in / l.groups) * l.k * l.k / 1e9;
}

double bench_dnnl(const Layer& l, int threads, bool swish) {
  using namespace dnnl;
  omp_set_num_threads(threads);
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  const int ho = l.hw / l.stride, pad = l.k / 2;
  memory::dims src{1, l.c_in, l.hw, l.hw}, dst{1, l.c_out, ho, ho}, bias{l.c_out};
  memory::dims w = l.groups == 1 ? memory::dims{l.c_out, l.c_in, l.k, l.k}
                                 : memory::dims{l.groups, l.c_out / l.groups, l.c_in / l.groups, l.k, l.k};
  auto any = memory::format_tag::any;
  auto f32 = memory::data_type::f32;
  convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct, {src, f32, any},
                              {w, f32, any}, {bias, f32, memory::format_tag::a}, {dst, f32, any}, {l.stride, l.stride},
                              {pad, pad}, {pad, pad});
  post_ops po;
  if (swish) po.append_eltwise(1.f, algorithm::eltwise_swish, 1.f, 0.f);
  primitive_attr attr;
  attr.set_post_ops(po);
  convolution_forward::primitive_desc pd(d, attr, eng);
  memory ms(pd.src_desc(), eng), mw(pd.weights_desc(), eng), mb(pd.bias_desc(), eng), md(pd.dst_desc(), eng);
  std::fill_n(static_cast<float*>(ms.get_data_handle()), pd.src_desc().get_size() / 4, 0.5f);
  std::fill_n(static_cast<float*>(mw.get_data_handle()), pd.weights_desc().get_size() / 4, 0.01f);
  convolution_forward conv(pd);
  return median_ms([&] {
    conv.execute(s, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md}});
    s.wait();
  });
}

double bench_xnn(const Layer& l, int threads, bool swish) {
  pthreadpool_t pool = threads > 1 ? pthreadpool_create(threads) : nullptr;
  const int ho = l.hw / l.stride, pad = l.k / 2;
  std::vector<float> in(static_cast<size_t>(l.hw) * l.hw * l.c_in, 0.5f), out(static_cast<size_t>(ho) * ho * l.c_out);
  std::vector<float> w(static_cast<size_t>(l.c_out) * (l.c_in / l.groups) * l.k * l.k, 0.01f), b(l.c_out, 0.f);
  xnn_operator_t op = nullptr;
  // XNNPACK's "same" padding for stride 2 differs; explicit pads as ONNX gives them.
  if (xnn_create_convolution2d_nhwc_f32(pad, pad, pad, pad, l.k, l.k, l.stride, l.stride, 1, 1, l.groups,
                                        l.c_in / l.groups, l.c_out / l.groups, l.c_in, l.c_out, w.data(), b.data(),
                                        -INFINITY, INFINITY, 0, &op) != xnn_status_success) {
    std::printf("xnn create failed\n");
    return -1;
  }
  xnn_setup_convolution2d_nhwc_f32(op, 1, l.hw, l.hw, in.data(), out.data(), pool);
  // XNNPACK 2022 has no fused swish (SiLU): sigmoid and multiply are two more operators.
  std::vector<float> sig(out.size()), act(out.size());
  xnn_operator_t sg = nullptr, mul = nullptr;
  xnn_create_sigmoid_nc_f32(l.c_out, l.c_out, l.c_out, 0, &sg);
  xnn_setup_sigmoid_nc_f32(sg, static_cast<size_t>(ho) * ho, out.data(), sig.data(), pool);
  xnn_create_multiply_nd_f32(-INFINITY, INFINITY, 0, &mul);
  const size_t shape[1] = {out.size()};
  xnn_setup_multiply_nd_f32(mul, 1, shape, 1, shape, out.data(), sig.data(), act.data(), pool);
  double ms = median_ms([&] {
    xnn_run_operator(op, pool);
    if (swish) {
      xnn_run_operator(sg, pool);
      xnn_run_operator(mul, pool);
    }
  });
  xnn_delete_operator(op);
  xnn_delete_operator(sg);
  xnn_delete_operator(mul);
  if (pool) pthreadpool_destroy(pool);
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  xnn_initialize(nullptr);
  for (bool swish : {false, true}) {
    std::printf("threads=%d, %s\n%-28s %9s %9s %9s %9s\n", threads, swish ? "conv + SiLU" : "conv alone", "layer",
                "GFLOP", "dnnl ms", "xnn ms", "dnnl/xnn");
    double td = 0, tx = 0;
    for (const auto& l : kLayers) {
      const double d = bench_dnnl(l, threads, swish), x = bench_xnn(l, threads, swish);
      td += d;
      tx += x;
      std::printf("%-28s %9.4f %9.3f %9.3f %9.2f\n", l.name, gflop(l), d, x, d / x);
    }
    std::printf("%-28s %9s %9.3f %9.3f %9.2f\n", "sum", "", td, tx, td / tx);
  }
}

// Operators the fast backend gained for the plate reader's models (issue 12): MatMul with bias,
// ReduceMean, Pow, ConvTranspose with batch-norm, depthwise convolutions over partial channel
// blocks and per-channel broadcasts, each against a naive reference computed here; and the plate
// reader's model runner falling back to OpenCV DNN (`auto`) with the operator and model named.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/dnn.hpp>
#include <random>

#include "anpr/model_runner.hpp"
#include "infer/session.hpp"
#include "onnx_model_builder.hpp"

using namespace vsp;

namespace {

using test_support::Vec;
using Builder = test_support::OnnxModelBuilder;
using test_support::random_vec;

void expect_near(const Vec& got, const Vec& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << "at " << i;
}

}  // namespace

TEST(InferOps, matmul_with_bias_and_batched_matmul_of_two_tensors) {
  // y = x[1,5,8] @ W[8,6] + b; z = y @ transpose-free y2 where y2 = x @ W2[8,5] -> [1,5,5] via x @ (x W2)^T? keep
  // it simple: z = y[1,5,6] @ V where V = Reshape(x[...]) is a run-time [1,6,?] tensor: here V = Transpose(y).
  Builder m;
  m.input("x", {1, 5, 8});
  const Vec w = random_vec(8 * 6, 1), b = random_vec(6, 2);
  m.init("w", {8, 6}, w);
  m.init("b", {6}, b);
  m.node("MatMul", {"x", "w"}, {"xw"});
  m.node("Add", {"xw", "b"}, {"y"});
  auto* t = m.node("Transpose", {"y"}, {"yt"});
  Builder::ints(t, "perm", {0, 2, 1});
  m.node("MatMul", {"y", "yt"}, {"z"});
  m.output("y");
  m.output("z");
  const Vec x = random_vec(40, 3);
  const auto out = m.run("matmul", {1, 5, 8}, x);
  ASSERT_EQ(out.size(), 2u);
  Vec y(30), z(25);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 6; ++j) {
      double acc = b[static_cast<size_t>(j)];
      for (int k = 0; k < 8; ++k) acc += x[static_cast<size_t>(i * 8 + k)] * w[static_cast<size_t>(k * 6 + j)];
      y[static_cast<size_t>(i * 6 + j)] = static_cast<float>(acc);
    }
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      double acc = 0;
      for (int k = 0; k < 6; ++k) acc += y[static_cast<size_t>(i * 6 + k)] * y[static_cast<size_t>(j * 6 + k)];
      z[static_cast<size_t>(i * 5 + j)] = static_cast<float>(acc);
    }
  expect_near(out[0], y, 1e-4f);
  expect_near(out[1], z, 1e-4f);
}

TEST(InferOps, layer_norm_as_reduce_mean_pow_sqrt) {
  // PP-OCRv4's layer norm: (x - mean) / sqrt(mean((x - mean)^2) + eps) over the last axis.
  Builder m;
  m.input("x", {1, 4, 10});
  m.init("two", {}, {2.f});
  m.init("eps", {}, {1e-5f});
  auto* r1 = m.node("ReduceMean", {"x"}, {"mu"});
  Builder::ints(r1, "axes", {-1});
  m.node("Sub", {"x", "mu"}, {"d"});
  m.node("Pow", {"d", "two"}, {"d2"});
  auto* r2 = m.node("ReduceMean", {"d2"}, {"var"});
  Builder::ints(r2, "axes", {-1});
  m.node("Add", {"var", "eps"}, {"ve"});
  m.node("Sqrt", {"ve"}, {"sd"});
  m.node("Div", {"d", "sd"}, {"y"});
  auto* r3 = m.node("ReduceMean", {"x"}, {"m0"});  // keepdims 0: [1,4]
  Builder::ints(r3, "axes", {2});
  Builder::integer(r3, "keepdims", 0);
  m.output("y");
  m.output("m0");
  const Vec x = random_vec(40, 4, -3.f, 5.f);
  const auto out = m.run("layernorm", {1, 4, 10}, x);
  ASSERT_EQ(out.size(), 2u);
  Vec y(40), m0(4);
  for (int r = 0; r < 4; ++r) {
    double mu = 0, var = 0;
    for (int k = 0; k < 10; ++k) mu += x[static_cast<size_t>(r * 10 + k)] / 10.0;
    for (int k = 0; k < 10; ++k) var += std::pow(x[static_cast<size_t>(r * 10 + k)] - mu, 2) / 10.0;
    for (int k = 0; k < 10; ++k)
      y[static_cast<size_t>(r * 10 + k)] =
          static_cast<float>((x[static_cast<size_t>(r * 10 + k)] - mu) / std::sqrt(var + 1e-5));
    m0[static_cast<size_t>(r)] = static_cast<float>(mu);
  }
  expect_near(out[0], y, 1e-4f);
  expect_near(out[1], m0, 1e-5f);
}

TEST(InferOps, conv_transpose_with_batch_norm_matches_the_definition) {
  // DB's upsampling: ConvTranspose k2 s2 (24 -> 24, then 24 -> 1 plus bias and sigmoid), and a k3 s2
  // pad 1 case; a BatchNormalization folded into the first.
  for (const auto& [k, s, p, oc] : {std::tuple{2, 2, 0, 24}, std::tuple{2, 2, 0, 1}, std::tuple{3, 2, 1, 5}}) {
    const int c = 24, h = 5, w = 6;
    Builder m;
    m.input("x", {1, c, h, w});
    const Vec wt = random_vec(static_cast<size_t>(c * oc * k * k), 5), bias = random_vec(static_cast<size_t>(oc), 6);
    const Vec gamma = random_vec(static_cast<size_t>(oc), 7, 0.5f, 1.5f), beta = random_vec(static_cast<size_t>(oc), 8);
    const Vec mean = random_vec(static_cast<size_t>(oc), 9), var = random_vec(static_cast<size_t>(oc), 10, 0.5f, 2.f);
    m.init("w", {c, oc, k, k}, wt);
    m.init("b", {oc}, bias);
    m.init("g", {oc}, gamma);
    m.init("be", {oc}, beta);
    m.init("mu", {oc}, mean);
    m.init("var", {oc}, var);
    auto* d = m.node("ConvTranspose", {"x", "w", "b"}, {"d"});
    Builder::ints(d, "kernel_shape", {k, k});
    Builder::ints(d, "strides", {s, s});
    Builder::ints(d, "pads", {p, p, p, p});
    m.node("BatchNormalization", {"d", "g", "be", "mu", "var"}, {"bn"});
    m.node("Relu", {"bn"}, {"y"});
    m.output("y");
    const Vec x = random_vec(static_cast<size_t>(c * h * w), 11);
    const auto out = m.run("deconv", {1, c, h, w}, x);
    ASSERT_EQ(out.size(), 1u);
    const int oh = (h - 1) * s - 2 * p + k, ow = (w - 1) * s - 2 * p + k;
    std::vector<double> acc(static_cast<size_t>(oc * oh * ow), 0.0);
    for (int ci = 0; ci < c; ++ci)
      for (int i = 0; i < h; ++i)
        for (int j = 0; j < w; ++j)
          for (int o = 0; o < oc; ++o)
            for (int u = 0; u < k; ++u)
              for (int v = 0; v < k; ++v) {
                const int yy = i * s - p + u, xx = j * s - p + v;
                if (yy < 0 || yy >= oh || xx < 0 || xx >= ow) continue;
                acc[static_cast<size_t>((o * oh + yy) * ow + xx)] +=
                    static_cast<double>(x[static_cast<size_t>((ci * h + i) * w + j)]) *
                    wt[static_cast<size_t>(((ci * oc + o) * k + u) * k + v)];
              }
    Vec want(acc.size());
    for (int o = 0; o < oc; ++o)
      for (int q = 0; q < oh * ow; ++q) {
        const auto u = static_cast<size_t>(o);
        const double z = acc[static_cast<size_t>(o * oh * ow + q)] + bias[u];
        const double bn = (z - mean[u]) / std::sqrt(var[u] + 1e-5) * gamma[u] + beta[u];
        want[static_cast<size_t>(o * oh * ow + q)] = static_cast<float>(std::max(0.0, bn));
      }
    SCOPED_TRACE(testing::Message() << "k" << k << " s" << s << " p" << p << " oc " << oc);
    expect_near(out[0], want, 1e-4f);
  }
}

TEST(InferOps, depthwise_over_a_partial_channel_block_and_per_channel_scale) {
  // LPD-YuNet's 51-channel depthwise convolution after a 1x1 one, then a squeeze-excite style
  // per-channel multiply by a run-time [1,C,1,1] tensor (GlobalAveragePool -> Sigmoid).
  const int c = 32, oc = 51, h = 7, w = 9;
  Builder m;
  m.input("x", {1, c, h, w});
  const Vec w1 = random_vec(static_cast<size_t>(oc * c), 12), b1 = random_vec(static_cast<size_t>(oc), 13);
  const Vec w2 = random_vec(static_cast<size_t>(oc * 9), 14), b2 = random_vec(static_cast<size_t>(oc), 15);
  m.init("w1", {oc, c, 1, 1}, w1);
  m.init("b1", {oc}, b1);
  m.init("w2", {oc, 1, 3, 3}, w2);
  m.init("b2", {oc}, b2);
  m.node("Conv", {"x", "w1", "b1"}, {"a"});
  auto* dw = m.node("Conv", {"a", "w2", "b2"}, {"dw"});
  Builder::integer(dw, "group", oc);
  Builder::ints(dw, "pads", {1, 1, 1, 1});
  m.node("GlobalAveragePool", {"dw"}, {"gap"});
  m.node("Sigmoid", {"gap"}, {"se"});
  m.node("Mul", {"dw", "se"}, {"y"});
  m.output("y");
  const Vec x = random_vec(static_cast<size_t>(c * h * w), 16);
  const auto out = m.run("dw51", {1, c, h, w}, x);
  ASSERT_EQ(out.size(), 1u);
  Vec a(static_cast<size_t>(oc * h * w)), d(a.size()), want(a.size());
  for (int o = 0; o < oc; ++o)
    for (int q = 0; q < h * w; ++q) {
      double acc = b1[static_cast<size_t>(o)];
      for (int ci = 0; ci < c; ++ci)
        acc += x[static_cast<size_t>(ci * h * w + q)] * w1[static_cast<size_t>(o * c + ci)];
      a[static_cast<size_t>(o * h * w + q)] = static_cast<float>(acc);
    }
  for (int o = 0; o < oc; ++o) {
    double sum = 0;
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < w; ++j) {
        double acc = b2[static_cast<size_t>(o)];
        for (int u = 0; u < 3; ++u)
          for (int v = 0; v < 3; ++v) {
            const int yy = i - 1 + u, xx = j - 1 + v;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            acc += a[static_cast<size_t>((o * h + yy) * w + xx)] * w2[static_cast<size_t>(o * 9 + u * 3 + v)];
          }
        d[static_cast<size_t>((o * h + i) * w + j)] = static_cast<float>(acc);
        sum += acc;
      }
    const double se = 1.0 / (1.0 + std::exp(-sum / (h * w)));
    for (int q = 0; q < h * w; ++q)
      want[static_cast<size_t>(o * h * w + q)] = static_cast<float>(d[static_cast<size_t>(o * h * w + q)] * se);
  }
  expect_near(out[0], want, 1e-4f);
}

TEST(InferOps, plate_model_runner_falls_back_to_opencv_naming_operator_and_model) {
  // LRN: OpenCV DNN runs it, the fast backend does not.
  Builder m;
  m.input("x", {1, 4, 5, 5});
  m.node("Relu", {"x"}, {"r"});
  auto* lrn = m.node("LRN", {"r"}, {"y"});
  Builder::integer(lrn, "size", 3);
  m.output("y", {1, 4, 5, 5});
  const auto path = m.save("lrn_model");
  auto aut = anpr::detail::ModelRunner::create_from_path(path.string(), "lrn_model", detect::Backend::automatic, 1,
                                                         {1, 4, 5, 5});
  auto fast =
      anpr::detail::ModelRunner::create_from_path(path.string(), "lrn_model", detect::Backend::fast, 1, {1, 4, 5, 5});
  std::filesystem::remove(path);
  ASSERT_TRUE(aut.ok()) << aut.error().message;
  EXPECT_EQ((*aut)->backend(), detect::Backend::opencv);
  EXPECT_NE((*aut)->reason().find("LRN"), std::string::npos) << (*aut)->reason();
  EXPECT_NE((*aut)->reason().find("lrn_model"), std::string::npos) << (*aut)->reason();
  const Vec x = random_vec(100, 17);
  const std::vector<int> sz{1, 4, 5, 5};
  const auto outs = (*aut)->forward(cv::Mat(4, sz.data(), CV_32F, const_cast<float*>(x.data())));
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0].total(), 100u);
  ASSERT_FALSE(fast.ok());
  EXPECT_NE(fast.error().message.find("LRN"), std::string::npos) << fast.error().message;
  EXPECT_NE(fast.error().message.find("lrn_model"), std::string::npos) << fast.error().message;
}

namespace {

/// Plans `m` on the fast backend (one thread), for tests that look at the plan too.
std::unique_ptr<infer::Session> plan(Builder& m, const std::string& stem, const std::vector<int64_t>& dims) {
  const auto path = m.save(stem);
  auto graph = infer::load_onnx(path);
  std::filesystem::remove(path);
  EXPECT_TRUE(graph.ok());
  if (!graph.ok()) return nullptr;
  auto s = infer::Session::create(std::move(*graph), dims, {.threads = 1});
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(*s) : nullptr;
}

Vec output(const infer::Session& s, size_t k) {
  const auto& o = s.outputs().at(k);
  int64_t n = 1;
  for (auto d : o.dims) n *= d;
  return Vec(o.data, o.data + n);
}

/// Naive ConvTranspose, kernel k = stride, no padding: [c, h, w] -> [oc, h k, w k], weights [c, oc, k, k].
Vec deconv_ref(const Vec& x, int c, int h, int w, const Vec& wt, int oc, int k) {
  Vec y(static_cast<size_t>(oc * h * k * w * k), 0.f);
  for (int o = 0; o < oc; ++o)
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < w; ++j)
        for (int u = 0; u < k; ++u)
          for (int v = 0; v < k; ++v) {
            double acc = 0;
            for (int ci = 0; ci < c; ++ci)
              acc += static_cast<double>(x[static_cast<size_t>((ci * h + i) * w + j)]) *
                     wt[static_cast<size_t>(((ci * oc + o) * k + u) * k + v)];
            y[static_cast<size_t>((o * h * k + i * k + u) * w * k + j * k + v)] = static_cast<float>(acc);
          }
  return y;
}

}  // namespace

TEST(InferOps, conv_transpose_kernel_equal_to_stride_runs_as_a_1x1_conv_and_depth_to_space) {
  // PP-OCR's DB head: ConvTranspose (no bias) -> Add [1,oc,1,1] -> BatchNormalization -> Relu ->
  // ConvTranspose to one channel -> Add -> Sigmoid. Channel counts that are not whole blocks (5, 7 and,
  // on AVX-512, 24) take the 1x1-convolution path; k3 s3 checks the depth-to-space order.
  for (const auto& [k, oc] : {std::pair{2, 24}, std::pair{2, 5}, std::pair{3, 7}}) {
    const int c = 12, h = 5, w = 6;
    Builder m;
    m.input("x", {1, c, h, w});
    const Vec w1 = random_vec(static_cast<size_t>(c * oc * k * k), 21), b1 = random_vec(static_cast<size_t>(oc), 22);
    const Vec gamma = random_vec(static_cast<size_t>(oc), 23, 0.5f, 1.5f),
              beta = random_vec(static_cast<size_t>(oc), 24);
    const Vec mean = random_vec(static_cast<size_t>(oc), 25), var = random_vec(static_cast<size_t>(oc), 26, 0.5f, 2.f);
    const Vec w2 = random_vec(static_cast<size_t>(oc * k * k), 27), b2 = random_vec(1, 28);
    m.init("w1", {c, oc, k, k}, w1);
    m.init("b1", {1, oc, 1, 1}, b1);
    m.init("g", {oc}, gamma);
    m.init("be", {oc}, beta);
    m.init("mu", {oc}, mean);
    m.init("var", {oc}, var);
    m.init("w2", {oc, 1, k, k}, w2);
    m.init("b2", {1, 1, 1, 1}, b2);
    for (const char* d : {"d1", "d2"}) {
      auto* ct = m.node("ConvTranspose", {d[1] == '1' ? "x" : "r1", d[1] == '1' ? "w1" : "w2"}, {d});
      Builder::ints(ct, "kernel_shape", {k, k});
      Builder::ints(ct, "strides", {k, k});
    }
    m.node("Add", {"d1", "b1"}, {"a1"});
    m.node("BatchNormalization", {"a1", "g", "be", "mu", "var"}, {"bn"});
    m.node("Relu", {"bn"}, {"r1"});
    m.node("Add", {"d2", "b2"}, {"a2"});
    m.node("Sigmoid", {"a2"}, {"y"});
    m.output("r1");
    m.output("y");
    const Vec x = random_vec(static_cast<size_t>(c * h * w), 29);
    auto s = plan(m, "deconv_k_s", {1, c, h, w});
    ASSERT_TRUE(s);
    SCOPED_TRACE(testing::Message() << "k" << k << " oc " << oc);
    EXPECT_GE(s->stats().deconvs_as_conv, 1);  // the one-channel one at least, on any vector width
    s->run(x.data());
    Vec r1 = deconv_ref(x, c, h, w, w1, oc, k);
    const int hw = h * k * w * k;
    for (int o = 0; o < oc; ++o)
      for (int q = 0; q < hw; ++q) {
        const auto u = static_cast<size_t>(o);
        auto& v = r1[static_cast<size_t>(o * hw + q)];
        const double z = static_cast<double>(v) + b1[u];
        v = static_cast<float>(std::max(0.0, (z - mean[u]) / std::sqrt(var[u] + 1e-5) * gamma[u] + beta[u]));
      }
    Vec y = deconv_ref(r1, oc, h * k, w * k, w2, 1, k);
    for (auto& v : y) v = static_cast<float>(1.0 / (1.0 + std::exp(-(static_cast<double>(v) + b2[0]))));
    expect_near(output(*s, 0), r1, 1e-4f);
    expect_near(output(*s, 1), y, 1e-5f);
  }
}

TEST(InferOps, one_channel_conv_runs_a_jit_kernel) {
  // YuNet's heads: a 1x1 convolution down to one channel, then a 3x3 one-channel convolution, which
  // oneDNN 2.6 ran in its reference loops (30x slower) unless described as depthwise.
  const int c = 16, h = 7, w = 9;
  Builder m;
  m.input("x", {1, c, h, w});
  const Vec w1 = random_vec(static_cast<size_t>(c), 31), b1 = random_vec(1, 32);
  const Vec w2 = random_vec(9, 33), b2 = random_vec(1, 34);
  m.init("w1", {1, c, 1, 1}, w1);
  m.init("b1", {1}, b1);
  m.init("w2", {1, 1, 3, 3}, w2);
  m.init("b2", {1}, b2);
  m.node("Conv", {"x", "w1", "b1"}, {"a"});
  auto* cv = m.node("Conv", {"a", "w2", "b2"}, {"y"});
  Builder::ints(cv, "pads", {1, 1, 1, 1});
  m.output("y");
  const Vec x = random_vec(static_cast<size_t>(c * h * w), 35);
  auto s = plan(m, "one_channel", {1, c, h, w});
  ASSERT_TRUE(s);
  for (const auto& [step, ms] : s->profile(x.data(), 1, true)) EXPECT_EQ(step.find("[ref"), std::string::npos) << step;
  s->run(x.data());
  Vec a(static_cast<size_t>(h * w)), want(a.size());
  for (int q = 0; q < h * w; ++q) {
    double acc = b1[0];
    for (int ci = 0; ci < c; ++ci) acc += x[static_cast<size_t>(ci * h * w + q)] * w1[static_cast<size_t>(ci)];
    a[static_cast<size_t>(q)] = static_cast<float>(acc);
  }
  for (int i = 0; i < h; ++i)
    for (int j = 0; j < w; ++j) {
      double acc = b2[0];
      for (int u = 0; u < 3; ++u)
        for (int v = 0; v < 3; ++v) {
          const int yy = i - 1 + u, xx = j - 1 + v;
          if (yy >= 0 && yy < h && xx >= 0 && xx < w)
            acc += a[static_cast<size_t>(yy * w + xx)] * w2[static_cast<size_t>(u * 3 + v)];
        }
      want[static_cast<size_t>(i * w + j)] = static_cast<float>(acc);
    }
  expect_near(output(*s, 0), want, 1e-4f);
}

TEST(InferOps, concat_of_partial_channel_blocks_is_written_in_place) {
  // PP-OCR's neck: 24-channel maps (blocked, padded) concatenated along channels, plus a plain input
  // (a transpose's result, written straight into its part) used twice and also a graph output, read
  // by a 3x3 convolution; each part must land at its channel offset.
  const int c = 16, oc = 24, hw = 8, cat = oc + c + c + oc, co = 8;
  Builder m;
  m.input("x", {1, c, hw, hw});
  const Vec w1 = random_vec(static_cast<size_t>(oc * c), 41), b1 = random_vec(static_cast<size_t>(oc), 42);
  const Vec w2 = random_vec(static_cast<size_t>(co * cat * 9), 43);
  m.init("w1", {oc, c, 1, 1}, w1);
  m.init("b1", {oc}, b1);
  m.init("w2", {co, cat, 3, 3}, w2);
  m.node("Conv", {"x", "w1", "b1"}, {"a"});
  auto* t = m.node("Transpose", {"x"}, {"t"});
  Builder::ints(t, "perm", {0, 1, 3, 2});
  auto* cc = m.node("Concat", {"a", "t", "t", "a"}, {"cat"});
  Builder::integer(cc, "axis", 1);
  auto* cv = m.node("Conv", {"cat", "w2"}, {"y"});
  Builder::ints(cv, "pads", {1, 1, 1, 1});
  m.node("Relu", {"y"}, {"z"});
  m.output("t");
  m.output("z");
  const Vec x = random_vec(static_cast<size_t>(c * hw * hw), 44);
  auto s = plan(m, "concat_partial", {1, c, hw, hw});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->stats().zero_copy_concats, 1);
  s->run(x.data());
  const int n = hw * hw;
  Vec want_cat(static_cast<size_t>(cat * n)), t_ref(static_cast<size_t>(c * n));
  for (int ci = 0; ci < c; ++ci)
    for (int i = 0; i < hw; ++i)
      for (int j = 0; j < hw; ++j)
        t_ref[static_cast<size_t>((ci * hw + i) * hw + j)] = x[static_cast<size_t>((ci * hw + j) * hw + i)];
  for (int o = 0; o < oc; ++o)
    for (int q = 0; q < n; ++q) {
      double acc = b1[static_cast<size_t>(o)];
      for (int ci = 0; ci < c; ++ci) acc += x[static_cast<size_t>(ci * n + q)] * w1[static_cast<size_t>(o * c + ci)];
      want_cat[static_cast<size_t>(o * n + q)] = want_cat[static_cast<size_t>((oc + 2 * c + o) * n + q)] =
          static_cast<float>(acc);
    }
  std::copy(t_ref.begin(), t_ref.end(), want_cat.begin() + oc * n);
  std::copy(t_ref.begin(), t_ref.end(), want_cat.begin() + (oc + c) * n);
  Vec z(static_cast<size_t>(co * n));
  for (int o = 0; o < co; ++o)
    for (int i = 0; i < hw; ++i)
      for (int j = 0; j < hw; ++j) {
        double acc = 0;
        for (int ci = 0; ci < cat; ++ci)
          for (int u = 0; u < 3; ++u)
            for (int v = 0; v < 3; ++v) {
              const int yy = i - 1 + u, xx = j - 1 + v;
              if (yy >= 0 && yy < hw && xx >= 0 && xx < hw)
                acc += want_cat[static_cast<size_t>((ci * hw + yy) * hw + xx)] *
                       w2[static_cast<size_t>(((o * cat + ci) * 3 + u) * 3 + v)];
            }
        z[static_cast<size_t>((o * hw + i) * hw + j)] = static_cast<float>(std::max(0.0, acc));
      }
  expect_near(output(*s, 0), t_ref, 0.f);
  expect_near(output(*s, 1), z, 1e-3f);
}

TEST(InferOps, learnable_affine_and_written_out_hardswish_fold_into_the_convolution) {
  // PP-LCNetV3 (PP-OCRv4): Conv -> Mul(a) -> Add(b) -> x * Clip(x + 3, 0, 6) / 6 -> Mul(c) -> Add(d),
  // the Clip as it is (the recogniser) or as Relu(t) - Relu(t - 6) (the detector's file); all of it
  // one convolution with post-ops, checked against the definition.
  for (const bool relu_form : {false, true}) {
    const int c = 8, oc = 20, h = 6, w = 7;
    Builder m;
    m.input("x", {1, c, h, w});
    const Vec wt = random_vec(static_cast<size_t>(oc * c * 9), 51), bias = random_vec(static_cast<size_t>(oc), 52);
    m.init("w", {oc, c, 3, 3}, wt);
    m.init("b", {oc}, bias);
    const float a = 1.7f, b = -0.4f, cs = 0.8f, d = 0.25f;
    m.init("a", {1}, {a});
    m.init("bb", {1}, {b});
    m.init("three", {1}, {3.f});
    m.init("six", {1}, {6.f});
    m.init("zero", {}, {0.f});
    m.init("cs", {1}, {cs});
    m.init("d", {1}, {d});
    auto* cv = m.node("Conv", {"x", "w", "b"}, {"conv"});
    Builder::ints(cv, "pads", {1, 1, 1, 1});
    m.node("Mul", {"a", "conv"}, {"m1"});
    m.node("Add", {"m1", "bb"}, {"x1"});
    m.node("Add", {"x1", "three"}, {"t"});
    if (relu_form) {
      m.node("Relu", {"t"}, {"r1"});
      m.node("Sub", {"t", "six"}, {"s"});
      m.node("Relu", {"s"}, {"r2"});
      m.node("Sub", {"r1", "r2"}, {"clip"});
    } else {
      m.node("Clip", {"t", "zero", "six"}, {"clip"});
    }
    m.node("Mul", {"x1", "clip"}, {"m2"});
    m.node("Div", {"m2", "six"}, {"hs"});
    m.node("Mul", {"cs", "hs"}, {"m3"});
    m.node("Add", {"m3", "d"}, {"y"});
    m.output("y");
    const Vec x = random_vec(static_cast<size_t>(c * h * w), 53, -2.f, 2.f);
    auto s = plan(m, "affine_hardswish", {1, c, h, w});
    ASSERT_TRUE(s);
    SCOPED_TRACE(relu_form ? "Relu - Relu" : "Clip");
    for (const auto& [op, ms] : s->profile(x.data(), 1))  // the convolution and layout conversions only
      EXPECT_TRUE(op == "Conv" || op == "Reorder") << op;
    EXPECT_EQ(s->stats().fused_activations, 1);
    s->run(x.data());
    Vec want(static_cast<size_t>(oc * h * w));
    int inside = 0;  // values in the hardswish's curved part (0 < x + 3 < 6): the test covers it
    for (int o = 0; o < oc; ++o)
      for (int i = 0; i < h; ++i)
        for (int j = 0; j < w; ++j) {
          double acc = bias[static_cast<size_t>(o)];
          for (int ci = 0; ci < c; ++ci)
            for (int u = 0; u < 3; ++u)
              for (int v = 0; v < 3; ++v) {
                const int yy = i - 1 + u, xx = j - 1 + v;
                if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                  acc += x[static_cast<size_t>((ci * h + yy) * w + xx)] *
                         wt[static_cast<size_t>(((o * c + ci) * 3 + u) * 3 + v)];
              }
          const double x1 = acc * a + b;
          inside += x1 > -3 && x1 < 3;
          const double hs = x1 * std::clamp(x1 + 3.0, 0.0, 6.0) / 6.0;
          want[static_cast<size_t>((o * h + i) * w + j)] = static_cast<float>(hs * cs + d);
        }
    EXPECT_GT(inside, oc * h * w / 4);
    expect_near(output(*s, 0), want, 1e-4f);
  }
}

// The fast inference backend on small ONNX graphs written here: loader, passes and executor against
// a naive reference computed in the test, plus the errors a user sees for what it cannot run.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "infer/session.hpp"
#include "onnx_model_builder.hpp"

using namespace vsp;

namespace {

using ModelBuilder = test_support::OnnxModelBuilder;
using test_support::random_vec;
using test_support::Vec;

// ---- naive reference on NCHW vectors --------------------------------------------------------

Vec conv(const Vec& x, int c, int h, int w, const Vec& wt, const Vec& b, int oc, int k, int stride, int pad, int groups,
         int* oh_out) {
  const int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
  const int icg = c / groups, ocg = oc / groups;
  Vec y(static_cast<size_t>(oc * oh * ow));
  for (int o = 0; o < oc; ++o)
    for (int i = 0; i < oh; ++i)
      for (int j = 0; j < ow; ++j) {
        double acc = b[static_cast<size_t>(o)];
        const int g = o / ocg;
        for (int ci = 0; ci < icg; ++ci)
          for (int u = 0; u < k; ++u)
            for (int v = 0; v < k; ++v) {
              const int yy = i * stride - pad + u, xx = j * stride - pad + v;
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              acc += static_cast<double>(x[static_cast<size_t>(((g * icg + ci) * h + yy) * w + xx)]) *
                     wt[static_cast<size_t>(((o * icg + ci) * k + u) * k + v)];
            }
        y[static_cast<size_t>((o * oh + i) * ow + j)] = static_cast<float>(acc);
      }
  *oh_out = oh;
  return y;
}

}  // namespace

TEST(InferSession, small_graph_matches_a_naive_reference) {
  // X[1,3,8,8] -> Conv3x3(16) -> SiLU -> (Z, MaxPool3x3 s1 p1 (Z)) -> Concat(32) = C
  // C -> depthwise Conv3x3 s2 (32) -> Relu -> Resize nearest x2 -> + C -> Reshape [1,32,64] -> Transpose [1,64,32]
  const int C0 = 3, H = 8, W = 8;
  const Vec w1 = random_vec(16 * 3 * 9, 1), b1 = random_vec(16, 2);
  const Vec w2 = random_vec(32 * 1 * 9, 3), b2 = random_vec(32, 4);
  ModelBuilder m;
  m.input("x", {1, C0, H, W});
  m.init("w1", {16, 3, 3, 3}, w1);
  m.init("b1", {16}, b1);
  m.init("w2", {32, 1, 3, 3}, w2);
  m.init("b2", {32}, b2);
  m.init("scales", {4}, {1, 1, 2, 2});
  m.init_i64("shape", {1, 32, -1});
  auto* c1 = m.node("Conv", {"x", "w1", "b1"}, {"y"});
  ModelBuilder::ints(c1, "pads", {1, 1, 1, 1});
  m.node("Sigmoid", {"y"}, {"s"});
  m.node("Mul", {"y", "s"}, {"z"});
  auto* mp = m.node("MaxPool", {"z"}, {"p"});
  ModelBuilder::ints(mp, "kernel_shape", {3, 3});
  ModelBuilder::ints(mp, "pads", {1, 1, 1, 1});
  auto* cat = m.node("Concat", {"z", "p"}, {"c"});
  ModelBuilder::integer(cat, "axis", 1);
  auto* c2 = m.node("Conv", {"c", "w2", "b2"}, {"d"});
  ModelBuilder::ints(c2, "pads", {1, 1, 1, 1});
  ModelBuilder::ints(c2, "strides", {2, 2});
  ModelBuilder::integer(c2, "group", 32);
  m.node("Relu", {"d"}, {"dr"});
  auto* rs = m.node("Resize", {"dr", "", "scales"}, {"r"});
  ModelBuilder::str(rs, "mode", "nearest");
  ModelBuilder::str(rs, "coordinate_transformation_mode", "asymmetric");
  m.node("Add", {"r", "c"}, {"a"});
  m.node("Reshape", {"a", "shape"}, {"t"});
  auto* tr = m.node("Transpose", {"t"}, {"out"});
  ModelBuilder::ints(tr, "perm", {0, 2, 1});
  m.output("out");
  const auto path = m.save("infer_small");
  auto graph = infer::load_onnx(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(graph.ok()) << graph.error().message;
  auto s = infer::Session::create(std::move(*graph), {1, C0, H, W}, {.threads = 1});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->stats().convolutions, 2);
  EXPECT_EQ((*s)->stats().fused_activations, 2);  // SiLU and ReLU went into the convolutions
  EXPECT_LE((*s)->stats().arena_bytes, (*s)->stats().naive_bytes);

  const Vec x = random_vec(C0 * H * W, 5, -2.f, 2.f);
  // Reference.
  int oh = 0;
  Vec z = conv(x, C0, H, W, w1, b1, 16, 3, 1, 1, 1, &oh);
  for (auto& v : z) v = v / (1.f + std::exp(-v));
  Vec c(32 * 64);
  for (int ch = 0; ch < 16; ++ch)
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 8; ++j) {
        float mx = -INFINITY;
        for (int u = -1; u <= 1; ++u)
          for (int v = -1; v <= 1; ++v)
            if (i + u >= 0 && i + u < 8 && j + v >= 0 && j + v < 8)
              mx = std::max(mx, z[static_cast<size_t>((ch * 8 + i + u) * 8 + j + v)]);
        c[static_cast<size_t>((ch * 8 + i) * 8 + j)] = z[static_cast<size_t>((ch * 8 + i) * 8 + j)];
        c[static_cast<size_t>(((16 + ch) * 8 + i) * 8 + j)] = mx;
      }
  int dh = 0;
  Vec d = conv(c, 32, 8, 8, w2, b2, 32, 3, 2, 1, 32, &dh);
  ASSERT_EQ(dh, 4);
  for (auto& v : d) v = std::max(v, 0.f);
  Vec expect(64 * 32);
  for (int ch = 0; ch < 32; ++ch)
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 8; ++j) {
        const float a =
            d[static_cast<size_t>((ch * 4 + i / 2) * 4 + j / 2)] + c[static_cast<size_t>((ch * 8 + i) * 8 + j)];
        expect[static_cast<size_t>((i * 8 + j) * 32 + ch)] = a;  // transposed [1,64,32]
      }

  (*s)->run(x.data());
  ASSERT_EQ((*s)->outputs().size(), 1u);
  const auto& out = (*s)->outputs()[0];
  EXPECT_EQ(out.dims, (std::vector<int64_t>{1, 64, 32}));
  double maxdiff = 0;
  for (size_t k = 0; k < expect.size(); ++k)
    maxdiff = std::max(maxdiff, static_cast<double>(std::abs(out.data[k] - expect[k])));
  EXPECT_LT(maxdiff, 1e-4);
  // A second run on other data gives other results (buffers are not stale).
  const Vec x2 = random_vec(C0 * H * W, 6, -2.f, 2.f);
  const float first = out.data[0];
  (*s)->run(x2.data());
  EXPECT_NE(out.data[0], first);
}

TEST(InferSession, batch_norm_folds_into_the_convolution) {
  const Vec w = random_vec(4 * 2, 7), gamma = random_vec(4, 8, 0.5f, 2.f), beta = random_vec(4, 9);
  const Vec mean = random_vec(4, 10), var = random_vec(4, 11, 0.1f, 1.f);
  ModelBuilder m;
  m.input("x", {1, 2, 3, 3});
  m.init("w", {4, 2, 1, 1}, w);
  m.init("g", {4}, gamma);
  m.init("b", {4}, beta);
  m.init("m", {4}, mean);
  m.init("v", {4}, var);
  m.node("Conv", {"x", "w"}, {"y"});
  m.node("BatchNormalization", {"y", "g", "b", "m", "v"}, {"out"});
  m.output("out");
  const auto path = m.save("infer_bn");
  auto graph = infer::load_onnx(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(graph.ok()) << graph.error().message;
  auto s = infer::Session::create(std::move(*graph), {1, 2, 3, 3}, {.threads = 1});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->stats().folded_batch_norms, 1);
  const Vec x = random_vec(18, 12);
  (*s)->run(x.data());
  const float* out = (*s)->outputs()[0].data;
  for (int o = 0; o < 4; ++o)
    for (int p = 0; p < 9; ++p) {
      float y = 0;
      for (int ci = 0; ci < 2; ++ci) y += w[static_cast<size_t>(o * 2 + ci)] * x[static_cast<size_t>(ci * 9 + p)];
      const auto u = static_cast<size_t>(o);
      const float e = (y - mean[u]) / std::sqrt(var[u] + 1e-5f) * gamma[u] + beta[u];
      EXPECT_NEAR(out[o * 9 + p], e, 1e-4) << o << "," << p;
    }
}

TEST(InferSession, an_unsupported_operator_is_named_with_the_model) {
  ModelBuilder m;
  m.input("x", {1, 2, 3, 3});
  m.node("Relu", {"x"}, {"r"});
  m.node("Einsum", {"r"}, {"out"});
  m.output("out");
  const auto path = m.save("tiny_model");
  auto graph = infer::load_onnx(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(graph.ok()) << graph.error().message;
  graph->model_name = "tiny_model";
  auto s = infer::Session::create(std::move(*graph), {1, 2, 3, 3});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("Einsum"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("tiny_model"), std::string::npos) << s.error().message;
}

TEST(InferSession, a_file_that_is_not_onnx_is_an_error_naming_it) {
  auto p = std::filesystem::temp_directory_path() / ("not_a_model_" + std::to_string(::getpid()) + ".onnx");
  std::ofstream(p) << "hello, not protobuf \xff\xff\xff";
  auto g = infer::load_onnx(p);
  std::filesystem::remove(p);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find(p.string()), std::string::npos) << g.error().message;
}

TEST(InferSession, focus_slices_and_concat_become_one_strided_convolution) {
  // YOLOX's Focus: x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2] -> concat -> conv 3x3.
  // The same graph with the concat also an output is not rewritten: both must agree.
  const int64_t big = int64_t{1} << 40;
  auto build = [&](bool concat_is_output) {
    ModelBuilder m;
    m.input("x", {1, 3, 16, 16});
    m.init("w", {8, 12, 3, 3}, random_vec(8 * 12 * 9, 21));
    m.init("b", {8}, random_vec(8, 22));
    const std::pair<int, int> offs[4] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
    std::vector<std::string> parts;
    for (int q = 0; q < 4; ++q) {
      const std::string r = "r" + std::to_string(q), p = "p" + std::to_string(q);
      m.init_i64(r + "_s", {offs[q].first});
      m.init_i64(r + "_e", {big});
      m.init_i64(r + "_a", {2});
      m.init_i64(r + "_st", {2});
      m.node("Slice", {"x", r + "_s", r + "_e", r + "_a", r + "_st"}, {r});
      m.init_i64(p + "_s", {offs[q].second});
      m.init_i64(p + "_e", {big});
      m.init_i64(p + "_a", {3});
      m.init_i64(p + "_st", {2});
      m.node("Slice", {r, p + "_s", p + "_e", p + "_a", p + "_st"}, {p});
      parts.push_back(p);
    }
    auto* cat = m.node("Concat", parts, {"c"});
    ModelBuilder::integer(cat, "axis", 1);
    auto* conv = m.node("Conv", {"c", "w", "b"}, {"out"});
    ModelBuilder::ints(conv, "pads", {1, 1, 1, 1});
    m.output("out");
    if (concat_is_output) m.output("c");
    const auto path = m.save(concat_is_output ? "focus_plain" : "focus_fused");
    auto graph = infer::load_onnx(path);
    std::filesystem::remove(path);
    return graph;
  };
  auto ga = build(false), gb = build(true);
  ASSERT_TRUE(ga.ok() && gb.ok());
  auto a = infer::Session::create(std::move(*ga), {1, 3, 16, 16}, {.threads = 1});
  auto b = infer::Session::create(std::move(*gb), {1, 3, 16, 16}, {.threads = 1});
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ((*a)->stats().space_to_depth_convs, 1);
  EXPECT_EQ((*b)->stats().space_to_depth_convs, 0);
  const Vec x = random_vec(3 * 16 * 16, 23, 0.f, 255.f);
  (*a)->run(x.data());
  (*b)->run(x.data());
  const auto& oa = (*a)->outputs()[0];
  const auto& ob = (*b)->outputs()[0];
  ASSERT_EQ(oa.dims, (std::vector<int64_t>{1, 8, 8, 8}));
  ASSERT_EQ(ob.dims, oa.dims);
  double maxdiff = 0, maxabs = 0;
  for (size_t k = 0; k < 8 * 8 * 8; ++k) {
    maxdiff = std::max(maxdiff, static_cast<double>(std::abs(oa.data[k] - ob.data[k])));
    maxabs = std::max(maxabs, static_cast<double>(std::abs(ob.data[k])));
  }
  EXPECT_GT(maxabs, 1.0);
  EXPECT_LT(maxdiff, 1e-3 * maxabs);
}

// ---- int8 ------------------------------------------------------------------------------------

namespace {

/// X[1,3,12,12] -> Conv3x3(32)+SiLU -> depthwise Conv3x3(32)+Relu -> Conv1x1(16, bias) -> out; biases large
/// enough that getting their units wrong shows.
std::filesystem::path int8_chain_model() {
  ModelBuilder m;
  m.input("x", {1, 3, 12, 12});
  m.init("w1", {32, 3, 3, 3}, random_vec(32 * 27, 21));
  m.init("b1", {32}, random_vec(32, 22, -2.f, 2.f));
  m.init("w2", {32, 1, 3, 3}, random_vec(32 * 9, 23, -0.5f, 0.5f));
  m.init("b2", {32}, random_vec(32, 24, -1.f, 1.f));
  m.init("w3", {16, 32, 1, 1}, random_vec(16 * 32, 25));
  m.init("b3", {16}, random_vec(16, 26, -3.f, 3.f));
  auto* c1 = m.node("Conv", {"x", "w1", "b1"}, {"y1"});
  ModelBuilder::ints(c1, "pads", {1, 1, 1, 1});
  m.node("Sigmoid", {"y1"}, {"s1"});
  m.node("Mul", {"y1", "s1"}, {"z1"});
  auto* c2 = m.node("Conv", {"z1", "w2", "b2"}, {"y2"});
  ModelBuilder::ints(c2, "pads", {1, 1, 1, 1});
  ModelBuilder::integer(c2, "group", 32);
  m.node("Relu", {"y2"}, {"z2"});
  m.node("Conv", {"z2", "w3", "b3"}, {"out"});
  m.output("out");
  return m.save("infer_int8");
}

}  // namespace

TEST(InferSession, int8_convolutions_follow_fp32_within_quantisation_error) {
  const auto path = int8_chain_model();
  auto g32 = infer::load_onnx(path);
  auto g8 = infer::load_onnx(path);
  auto g8f = infer::load_onnx(path);
  auto g8d = infer::load_onnx(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(g32.ok() && g8.ok() && g8f.ok() && g8d.ok());
  auto fp32 = infer::Session::create(std::move(*g32), {1, 3, 12, 12}, {.threads = 1});
  ASSERT_TRUE(fp32.ok()) << fp32.error().message;
  // Calibrate on a few inputs, then check on another one.
  infer::RangeTable ranges;
  for (unsigned seed = 30; seed < 34; ++seed) {
    const Vec x = random_vec(3 * 144, seed, -2.f, 2.f);
    (*fp32)->observe_ranges(x.data(), ranges);
  }
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_GE(ranges.at("out").min, 0.f);  // the last reads the ReLU output (u8): never below zero
  EXPECT_LT(ranges.at("y1").min, 0.f);   // the first reads the input (s8)
  const Vec x = random_vec(3 * 144, 40, -2.f, 2.f);
  (*fp32)->run(x.data());
  const Vec ref((*fp32)->outputs()[0].data, (*fp32)->outputs()[0].data + 16 * 144);
  double ref_max = 0;
  for (float v : ref) ref_max = std::max(ref_max, static_cast<double>(std::abs(v)));
  auto rel_error = [&](infer::Session& s) {
    s.run(x.data());
    double d = 0;
    for (size_t k = 0; k < ref.size(); ++k)
      d = std::max(d, static_cast<double>(std::abs(s.outputs()[0].data[k] - ref[k])));
    return d / ref_max;
  };
  // All three in int8 (requantised between them), the defaults (the head fp32), and int8
  // with f32 results between them.
  auto all = infer::Session::create(
      std::move(*g8), {1, 3, 12, 12},
      {.threads = 1, .int8 = &ranges, .int8_first_conv_fp32 = false, .int8_head_convs_fp32 = false});
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ((*all)->stats().int8_convolutions, 3);
  EXPECT_EQ((*all)->stats().int8_requantised, 2);
  auto dflt = infer::Session::create(std::move(*g8f), {1, 3, 12, 12}, {.threads = 1, .int8 = &ranges});
  ASSERT_TRUE(dflt.ok()) << dflt.error().message;
  EXPECT_EQ((*dflt)->stats().int8_convolutions, 2);  // the head stays fp32
  auto f32dst = infer::Session::create(std::move(*g8d), {1, 3, 12, 12},
                                       {.threads = 1,
                                        .int8 = &ranges,
                                        .int8_first_conv_fp32 = false,
                                        .int8_head_convs_fp32 = false,
                                        .int8_requantise = false});
  ASSERT_TRUE(f32dst.ok()) << f32dst.error().message;
  EXPECT_EQ((*f32dst)->stats().int8_requantised, 0);
  const double e_all = rel_error(**all), e_dflt = rel_error(**dflt), e_f32 = rel_error(**f32dst);
  std::printf("int8 relative max error: all %.4f, default %.4f, f32 results %.4f\n", e_all, e_dflt, e_f32);
  EXPECT_LT(e_all, 0.05);
  EXPECT_LT(e_dflt, 0.03);
  EXPECT_LT(e_f32, 0.05);
  EXPECT_GT(e_all, 0.0);  // it did run in int8
}

TEST(InferSession, int8_per_channel_input_scales_keep_small_channels) {
  // X[1,8,10,10] with channel c spanning +-2^c -> depthwise 3x3 + Relu -> depthwise 3x3 -> out. One
  // scale for the whole input leaves the small channels a few levels; one per channel (folded into
  // the weights, and requantised per channel between the two) keeps each within its own steps.
  ModelBuilder m;
  m.input("x", {1, 8, 10, 10});
  m.init("w1", {8, 1, 3, 3}, random_vec(8 * 9, 51, -0.5f, 0.5f));
  m.init("b1", {8}, random_vec(8, 52, 0.f, 0.2f));
  m.init("w2", {8, 1, 3, 3}, random_vec(8 * 9, 53, -0.5f, 0.5f));
  m.init("b2", {8}, random_vec(8, 54, -0.1f, 0.1f));
  auto* c1 = m.node("Conv", {"x", "w1", "b1"}, {"y1"});
  ModelBuilder::ints(c1, "pads", {1, 1, 1, 1});
  ModelBuilder::integer(c1, "group", 8);
  m.node("Relu", {"y1"}, {"z1"});
  auto* c2 = m.node("Conv", {"z1", "w2", "b2"}, {"out"});
  ModelBuilder::ints(c2, "pads", {1, 1, 1, 1});
  ModelBuilder::integer(c2, "group", 8);
  m.output("out");
  const auto path = m.save("infer_int8_channels");
  auto input_of = [](unsigned seed) {
    Vec x = random_vec(8 * 100, seed);
    for (size_t k = 0; k < x.size(); ++k) x[k] *= static_cast<float>(1 << (k / 100));
    return x;
  };
  auto g32 = infer::load_onnx(path);
  ASSERT_TRUE(g32.ok());
  auto fp32 = infer::Session::create(std::move(*g32), {1, 8, 10, 10}, {.threads = 1});
  ASSERT_TRUE(fp32.ok()) << fp32.error().message;
  infer::RangeTable per_tensor;
  std::map<std::string, std::vector<infer::Int8Range>> channels;
  for (unsigned seed = 100; seed < 140; ++seed) {
    const Vec x = input_of(seed);
    (*fp32)->observe_ranges(x.data(), per_tensor);
    (*fp32)->observe_channel_ranges(x.data(), channels);
  }
  ASSERT_EQ(channels.at("y1").size(), 8u);
  EXPECT_GT(channels.at("y1")[7].max, 50 * channels.at("y1")[0].max);  // it saw the channels apart
  infer::RangeTable per_channel = per_tensor;
  for (auto& [conv, r] : per_channel)
    for (const auto& c : channels.at(conv)) r.channel.push_back(std::max(std::abs(c.min), std::abs(c.max)));
  // (Each channel's own range is tight: a new input goes beyond it more often than beyond the
  // whole tensor's, hence many calibration inputs.)
  const Vec x = input_of(70);
  (*fp32)->run(x.data());
  const Vec ref((*fp32)->outputs()[0].data, (*fp32)->outputs()[0].data + 800);
  // The worst channel's max error relative to that channel's largest value.
  auto channel_error = [&](const infer::RangeTable& table, int* requantised) {
    auto g = infer::load_onnx(path);
    auto s = infer::Session::create(std::move(*g), {1, 8, 10, 10},
                                    {.threads = 1, .int8 = &table, .int8_head_convs_fp32 = false});
    EXPECT_TRUE(s.ok()) << s.error().message;
    if (!s.ok()) return 1.0;
    EXPECT_EQ((*s)->stats().int8_convolutions, 2);
    *requantised = (*s)->stats().int8_requantised;
    (*s)->run(x.data());
    double worst = 0;
    for (size_t c = 0; c < 8; ++c) {
      double d = 0, mx = 1e-6;
      for (size_t k = c * 100; k < (c + 1) * 100; ++k) {
        d = std::max(d, static_cast<double>(std::abs((*s)->outputs()[0].data[k] - ref[k])));
        mx = std::max(mx, static_cast<double>(std::abs(ref[k])));
      }
      worst = std::max(worst, d / mx);
    }
    return worst;
  };
  int rq_t = 0, rq_c = 0;
  const double e_tensor = channel_error(per_tensor, &rq_t), e_channel = channel_error(per_channel, &rq_c);
  std::filesystem::remove(path);
  std::printf("int8 worst-channel relative error: per tensor %.4f, per channel %.4f\n", e_tensor, e_channel);
  EXPECT_EQ(rq_c, 1);  // the first writes u8 per channel for the second (Relu, then a per-channel multiply)
  EXPECT_LT(e_channel, 0.05);
  EXPECT_GT(e_channel, 0.0);
  EXPECT_LT(e_channel * 4, e_tensor);
}

TEST(InferSession, int8_concat_of_int8_producers_stays_int8) {
  // X[1,3,9,9] -> Conv1x1(16)+Relu = a, Conv3x3(24)+SiLU = b; Concat(a, b, X) (43 channels: a whole
  // 16-byte run, a partial one, and an f32 input quantised for it) -> Conv1x1(8) -> out. With every
  // convolution int8 the concat's readers take one scale, so a and b write it and the concat copies
  // bytes (NHWC); a wrong offset or width would scramble channels and show in the output.
  ModelBuilder m;
  m.input("x", {1, 3, 9, 9});
  m.init("wa", {16, 3, 1, 1}, random_vec(16 * 3, 61));
  m.init("ba", {16}, random_vec(16, 62, -1.f, 1.f));
  m.init("wb", {24, 3, 3, 3}, random_vec(24 * 27, 63, -0.5f, 0.5f));
  m.init("bb", {24}, random_vec(24, 64, -1.f, 1.f));
  m.init("wc", {8, 43, 1, 1}, random_vec(8 * 43, 65));
  m.init("bc", {8}, random_vec(8, 66, -2.f, 2.f));
  m.node("Conv", {"x", "wa", "ba"}, {"ya"});
  m.node("Relu", {"ya"}, {"a"});
  auto* cb = m.node("Conv", {"x", "wb", "bb"}, {"yb"});
  ModelBuilder::ints(cb, "pads", {1, 1, 1, 1});
  m.node("Sigmoid", {"yb"}, {"sb"});
  m.node("Mul", {"yb", "sb"}, {"b"});
  auto* cat = m.node("Concat", {"a", "b", "x"}, {"cat"});
  ModelBuilder::integer(cat, "axis", 1);
  m.node("Conv", {"cat", "wc", "bc"}, {"out"});
  m.output("out");
  const auto path = m.save("infer_int8_concat");
  auto g32 = infer::load_onnx(path);
  ASSERT_TRUE(g32.ok());
  auto fp32 = infer::Session::create(std::move(*g32), {1, 3, 9, 9}, {.threads = 1});
  ASSERT_TRUE(fp32.ok()) << fp32.error().message;
  infer::RangeTable ranges;
  for (unsigned seed = 70; seed < 76; ++seed) {
    const Vec x = random_vec(3 * 81, seed, -2.f, 2.f);
    (*fp32)->observe_ranges(x.data(), ranges);
  }
  ASSERT_EQ(ranges.size(), 3u);
  const Vec x = random_vec(3 * 81, 80, -2.f, 2.f);
  (*fp32)->run(x.data());
  const Vec ref((*fp32)->outputs()[0].data, (*fp32)->outputs()[0].data + 8 * 81);
  double ref_max = 0;
  for (float v : ref) ref_max = std::max(ref_max, static_cast<double>(std::abs(v)));
  // Max error relative to the largest output; with requantising off the concat runs in f32.
  auto error_of = [&](bool requantise, int* concats, int* requantised) {
    auto g = infer::load_onnx(path);
    auto s = infer::Session::create(
        std::move(*g), {1, 3, 9, 9},
        {.threads = 1, .int8 = &ranges, .int8_head_convs_fp32 = false, .int8_requantise = requantise});
    EXPECT_TRUE(s.ok()) << s.error().message;
    if (!s.ok()) return 1.0;
    EXPECT_EQ((*s)->stats().int8_convolutions, 3);
    *concats = (*s)->stats().int8_concats;
    *requantised = (*s)->stats().int8_requantised;
    (*s)->run(x.data());
    double d = 0;
    for (size_t k = 0; k < ref.size(); ++k)
      d = std::max(d, static_cast<double>(std::abs((*s)->outputs()[0].data[k] - ref[k])));
    return d / ref_max;
  };
  int cat8 = 0, rq8 = 0, cat32 = 0, rq32 = 0;
  const double e8 = error_of(true, &cat8, &rq8), e32 = error_of(false, &cat32, &rq32);
  std::filesystem::remove(path);
  std::printf("int8 concat: relative max error %.4f (concat in f32: %.4f)\n", e8, e32);
  EXPECT_EQ(cat8, 1);
  EXPECT_EQ(rq8, 2);  // a and b write the concat's s8
  EXPECT_EQ(cat32, 0);
  EXPECT_EQ(rq32, 0);
  EXPECT_GT(ref_max, 1.0);
  EXPECT_LT(e8, 0.05);
  EXPECT_LT(e8, 2 * e32 + 0.005);  // no worse than quantising the f32 concat
  EXPECT_GT(e8, 0.0);              // it did run in int8
}

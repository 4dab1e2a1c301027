#include "infer/session.hpp"

#include "infer/passes.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <numeric>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <set>
#include <unordered_map>

namespace vsp::infer {

using core::make_error;
using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;
using dims_t = std::vector<int64_t>;
using dt = memory::data_type;
using tag = memory::format_tag;

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

namespace {

int64_t numel(const dims_t& d) {
  int64_t n = 1;
  for (auto v : d) n *= v;
  return n;
}

dims_t plain_strides(const dims_t& d) {
  dims_t s(d.size());
  int64_t acc = 1;
  for (size_t k = d.size(); k-- > 0;) {
    s[k] = acc;
    acc *= d[k];
  }
  return s;
}

memory::desc plain_md(const dims_t& d) { return memory::desc(d, dt::f32, plain_strides(d)); }

std::string dims_str(const dims_t& d) { return fmt::format("[{}]", fmt::join(d, ",")); }

/// out (contiguous, `out_dims`) = in[base + sum idx_k * in_strides_k].
void strided_copy(const float* in, int64_t base, const dims_t& in_strides, const dims_t& out_dims, float* out) {
  const size_t nd = out_dims.size();
  if (nd == 0) {
    *out = in[base];
    return;
  }
  dims_t idx(nd, 0);
  const int64_t inner = out_dims[nd - 1], inner_stride = in_strides[nd - 1];
  const int64_t outer = numel(out_dims) / std::max<int64_t>(inner, 1);
  for (int64_t o = 0; o < outer; ++o) {
    int64_t off = base;
    for (size_t k = 0; k + 1 < nd; ++k) off += idx[k] * in_strides[k];
    const float* src = in + off;
    if (inner_stride == 1) {
      std::memcpy(out, src, static_cast<size_t>(inner) * sizeof(float));
    } else {
      for (int64_t i = 0; i < inner; ++i) out[i] = src[i * inner_stride];
    }
    out += inner;
    for (size_t k = nd - 1; k-- > 0;) {
      if (++idx[k] < out_dims[k]) break;
      idx[k] = 0;
    }
  }
}

/// The blocked layout for this CPU's vector width.
std::pair<tag, int64_t> channel_block() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core:
    case dnnl::cpu_isa::avx512_core_vnni:
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_amx:
      return {tag::nChw16c, 16};
    case dnnl::cpu_isa::avx2:
    case dnnl::cpu_isa::avx2_vnni:
      return {tag::nChw8c, 8};
    default:
      return {tag::any, 1 << 30};
  }
}

// Weight levels of an int8 convolution: +-127, except for a u8 input where the CPU lacks VNNI.
// With VNNI, vpdpbusd sums u8 x s8 products straight into 32 bits. Without it oneDNN multiplies with
// vpmaddubsw, whose 16-bit sum of two u8 x s8 products saturates (2 x 255 x 127 > 32767); for an s8
// input oneDNN already halves the weights itself (its "scale adjust", 0.5 in ONEDNN_VERBOSE), for a
// u8 input its int8 guide leaves it to the user: 7-bit weights (+-63). Checked at plan time, so a
// plan follows the ISA the process runs on (and ONEDNN_MAX_CPU_ISA).
float int8_weight_levels(dnnl::memory::data_type src) {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  constexpr unsigned kVnniBits =
      (dnnl_cpu_isa_avx512_core_vnni & ~dnnl_cpu_isa_avx512_core) | (dnnl_cpu_isa_avx2_vnni & ~dnnl_cpu_isa_avx2);
  return src == dnnl::memory::data_type::u8 && (isa & kVnniBits) == 0 ? 63.f : 127.f;
}

int64_t norm_axis(int64_t axis, size_t rank) { return axis < 0 ? axis + static_cast<int64_t>(rank) : axis; }

}  // namespace

struct Session::Impl {
  struct Value {
    dims_t dims;
    memory::desc md;
    memory mem;          ///< bound at finalize (or at creation for fixed values)
    bool fixed = false;  ///< constant or graph input: not in the arena
    bool output = false;
    int first = INT_MAX, last = -1;  ///< steps that first write and last touch it (roots: their views too)
    int parent = -1;                 ///< >= 0: a channel range of that value's buffer (zero-copy concat)
    size_t offset = 0;               ///< bytes into the parent
    bool has_views = false;
    std::vector<std::pair<memory::desc, int>> converted;  ///< cached layout conversions
    float qscale = 0;                                     ///< > 0: u8/s8 data, real value = q * qscale
    std::vector<float> qscales;                           ///< non-empty: per channel, real = q * qscales[c]
  };
  /// How an int8 convolution's input is quantised: u8 or s8, one scale or one per channel.
  struct Quant {
    dt type = dt::s8;
    float scale = 1;
    std::vector<float> scales;
    bool operator==(const Quant& o) const { return type == o.type && scale == o.scale && scales == o.scales; }
  };
  struct Step {
    std::string op;
    std::string detail;  ///< shapes and the kernel oneDNN chose (profiling)
    dnnl::primitive prim;
    bool is_prim = false;
    std::vector<std::pair<int, int>> val_args;  ///< DNNL_ARG_* -> value id
    std::unordered_map<int, memory> args;
    std::function<void()> cpu;
    std::vector<int> reads, writes;
    int observe_src = -1;     ///< fp32 convolution: the value it reads (calibration)
    std::string observe_key;  ///< its ONNX output name
  };

  std::string model;
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  int threads = 1;
  std::vector<Value> vals;
  std::map<std::string, int> by_name;
  std::map<std::string, Tensor> consts;
  std::vector<Step> steps;
  std::vector<std::shared_ptr<float[]>> storage;  ///< arena buffers and constant data
  std::vector<OutputView> outputs;
  std::vector<int> output_ids;
  int input_id = -1;
  SessionStats stats;
  SessionOptions opts;
  std::set<std::string> fp32_convs;  ///< int8 sessions: convolutions kept in fp32

  // ---- values -----------------------------------------------------------------------------
  int new_value(const dims_t& d, const memory::desc& md) {
    Value v;
    v.dims = d;
    v.md = md;
    vals.push_back(std::move(v));
    return static_cast<int>(vals.size()) - 1;
  }
  float* alloc(size_t bytes) {
    const size_t n = (bytes + 63) / sizeof(float) + 16;
    std::shared_ptr<float[]> p(new float[n]);
    storage.push_back(p);
    auto addr = reinterpret_cast<std::uintptr_t>(p.get());
    return reinterpret_cast<float*>((addr + 63) & ~std::uintptr_t{63});
  }
  /// A constant as a value of its own (fixed memory, plain layout), dims padded to `rank`.
  int const_value(const Tensor& t, size_t rank) {
    dims_t d = t.dims;
    while (d.size() < rank) d.insert(d.begin(), 1);
    if (d.empty()) d = {1};
    const int id = new_value(d, plain_md(d));
    float* p = alloc(static_cast<size_t>(numel(d)) * sizeof(float));
    if (t.is_int)
      for (size_t k = 0; k < t.i.size(); ++k) p[k] = static_cast<float>(t.i[k]);
    else
      std::copy(t.f.begin(), t.f.end(), p);
    vals[static_cast<size_t>(id)].fixed = true;
    vals[static_cast<size_t>(id)].mem = memory(vals[static_cast<size_t>(id)].md, eng, p);
    return id;
  }
  bool is_plain(int id) const {
    return vals[static_cast<size_t>(id)].md == plain_md(vals[static_cast<size_t>(id)].dims);
  }

  /// A convolution-like primitive's constant arguments: the weights (given in `plain`'s layout at
  /// `w`) reordered once into the layout its kernel wants, and the bias (f32, accumulator units).
  std::unordered_map<int, memory> fixed_weights(const memory::desc& plain, const void* w, const memory::desc& want,
                                                const memory::desc& bias_md, const std::vector<float>& bias) {
    memory wplain(plain, eng, const_cast<void*>(w));
    memory wmem(want, eng, alloc(want.get_size()));
    dnnl::reorder(wplain, wmem).execute(strm, wplain, wmem);
    memory bmem(bias_md, eng, alloc(bias.size() * sizeof(float)));
    std::copy(bias.begin(), bias.end(), static_cast<float*>(bmem.get_data_handle()));
    strm.wait();
    return {{DNNL_ARG_WEIGHTS, wmem}, {DNNL_ARG_BIAS, bmem}};
  }

  int add_prim(const std::string& op, dnnl::primitive prim, std::vector<std::pair<int, int>> args,
               std::unordered_map<int, memory> fixed = {}) {
    Step s;
    s.op = op;
    s.prim = std::move(prim);
    s.is_prim = true;
    s.args = std::move(fixed);
    for (auto [arg, id] : args) {
      if (arg == DNNL_ARG_DST)
        s.writes.push_back(id);
      else
        s.reads.push_back(id);
    }
    s.val_args = std::move(args);
    steps.push_back(std::move(s));
    return static_cast<int>(steps.size()) - 1;
  }
  void add_cpu(const std::string& op, std::vector<int> reads, std::vector<int> writes, std::function<void()> fn) {
    Step s;
    s.op = op;
    s.cpu = std::move(fn);
    s.reads = std::move(reads);
    s.writes = std::move(writes);
    steps.push_back(std::move(s));
  }
  float* ptr(int id) { return static_cast<float*>(vals[static_cast<size_t>(id)].mem.get_data_handle()); }

  /// `id` in layout `md` (same dims), converting once and caching.
  int ensure(int id, const memory::desc& md) {
    auto& v = vals[static_cast<size_t>(id)];
    if (v.md == md) return id;
    for (auto& [m, cid] : v.converted)
      if (m == md) return cid;
    const int out = new_value(v.dims, md);
    dnnl::reorder::primitive_desc pd(eng, vals[static_cast<size_t>(id)].md, eng, md);
    add_prim("Reorder", dnnl::reorder(pd), {{DNNL_ARG_SRC, id}, {DNNL_ARG_DST, out}});
    ++stats.reorders;
    vals[static_cast<size_t>(id)].converted.emplace_back(md, out);
    return out;
  }
  int plain(int id) { return ensure(id, plain_md(vals[static_cast<size_t>(id)].dims)); }

  // ---- planning ---------------------------------------------------------------------------
  const Graph* graph = nullptr;
  std::unordered_map<std::string, std::vector<size_t>> consumers;
  std::vector<bool> skip;

  core::Error unsupported(const Node& n, const std::string& why) const {
    return make_error("model_unsupported_op", fmt::format("model '{}': operator {} (node '{}') {}", model, n.op,
                                                          n.name.empty() ? n.outputs.at(0) : n.name, why));
  }
  bool is_const(const std::string& name) const { return name.empty() || consts.count(name) != 0; }
  core::Result<int> value_of(const Node& n, const std::string& name) {
    auto it = by_name.find(name);
    if (it != by_name.end()) return it->second;
    auto c = consts.find(name);
    if (c != consts.end()) {
      const int id = const_value(c->second, c->second.dims.size());
      by_name[name] = id;
      return id;
    }
    return unsupported(n, fmt::format("reads '{}', which nothing produced", name));
  }
  /// The only node reading `name`, when exactly one does (and `name` is not a graph output).
  const Node* sole_consumer(const std::string& name, size_t* index) const {
    auto it = consumers.find(name);
    if (it == consumers.end() || it->second.size() != 1) return nullptr;
    if (std::find(graph->outputs.begin(), graph->outputs.end(), name) != graph->outputs.end()) return nullptr;
    *index = it->second[0];
    return &graph->nodes[it->second[0]];
  }
  std::vector<float> const_floats(const std::string& name) const {
    const auto& t = consts.at(name);
    if (!t.is_int) return t.f;
    return std::vector<float>(t.i.begin(), t.i.end());
  }
  std::vector<int64_t> const_ints(const std::string& name) const {
    const auto& t = consts.at(name);
    if (t.is_int) return t.i;
    std::vector<int64_t> r;
    for (float f : t.f) r.push_back(static_cast<int64_t>(f));
    return r;
  }

  core::Status fold(const Node& n);
  std::vector<double> median_step_ms(const float* input, int reps);
  core::Status plan_node(size_t k);
  /// A Conv's or ConvTranspose's input, constant 2-D float weights and bias (zeros when absent).
  struct ConvInputs {
    int x = -1;
    dims_t xd;
    Tensor w;
    std::vector<float> bias;
  };
  /// `oc_axis`: the weights' output-channel axis (0 for Conv's [oc, ic/g, kh, kw], 1 for
  /// ConvTranspose's [ic, oc, kh, kw]).
  core::Result<ConvInputs> conv_inputs(const Node& n, size_t oc_axis);
  /// Folds a BatchNormalization that is `*out_name`'s only reader into `w` and `bias` (weights laid
  /// out as [outer, oc, inner]: output channel o's taps at (i * oc + o) * inner + j), skips it and
  /// moves `*out_name` to its output.
  void fold_batchnorm(std::string* out_name, std::vector<float>& w, std::vector<float>& bias, int64_t outer,
                      int64_t inner);
  /// `name`'s only reader, when it is `name` times, plus, minus or divided by a constant scalar:
  /// y = name * *a + *b, and `*index` the reader.
  bool scalar_affine(const std::string& name, float* a, float* b, size_t* index) const;
  /// hardswish(x) written out, x * Clip(x + 3, 0, 6) / 6 (Clip as it is or as Relu(t) - Relu(t - 6)):
  /// the nodes after `x` (the last writes the result) when `x` is read only by them.
  bool decomposed_hardswish(const std::string& x, std::vector<size_t>* nodes) const;
  core::Status plan_conv(size_t k);
  bool int8_conv(const Node& n) const;
  Quant input_quant(const Node& n) const;
  int ensure_q(int id, const memory::desc& md, const Quant& q);
  /// A channel Concat whose readers are all int8 convolutions taking one per-tensor quantisation:
  /// that quantisation (its int8 producers then write it, and the concat copies bytes), else nullopt.
  std::optional<Quant> concat_int8_quant(const Node& concat) const;
  /// plan_concat for such a concat: in u8/s8 NHWC, inputs of another scale or f32 quantised first.
  core::Status plan_concat_int8(const Node& n, const std::vector<int>& ids, const Quant& q);
  /// Calibration: the values of `id` in plain NCHW.
  std::vector<float> plain_copy(int id);
  core::Status plan_conv_int8(const Node& n, int xid, const Tensor& w, const std::vector<float>& bias, const dims_t& wd,
                              const dims_t& od, const dnnl::post_ops& po, const std::string& out_name,
                              const dims_t& strides, const dims_t& dil, const dims_t& pads);
  core::Status plan_eltwise(const Node& n, algorithm alg, float alpha, float beta, dnnl::post_ops extra = {},
                            const std::string& input = {});
  core::Status plan_binary(const Node& n);
  core::Status plan_concat(const Node& n);
  bool plain_concat_in_place(const Node& n, const std::vector<int>& ids, size_t axis);
  core::Status plan_channel_shuffle(const Node& n, const std::vector<int>& ids, bool* done);
  core::Status plan_pool(const Node& n);
  core::Status plan_resize(const Node& n);
  core::Status plan_softmax(const Node& n);
  core::Status plan_layout_op(const Node& n);
  core::Status plan_reduce(const Node& n);
  core::Status plan_matmul(size_t k);
  core::Status plan_deconv(size_t k);
  bool plan_deconv_as_conv(int x, const std::vector<float>& w, const std::vector<float>& bias, const dims_t& wdims,
                           const dims_t& od, std::string out_name);
  core::Status plan_batch_norm(const Node& n);
  core::Status plan_pow(const Node& n);
  int alias_value(int src, const dims_t& d);
  core::Status finalize();
};

// ---- constant folding (shape arithmetic and constant sub-graphs) ---------------------------

core::Status Session::Impl::fold(const Node& n) {
  auto in = [&](size_t k) -> const Tensor& { return consts.at(n.inputs[k]); };
  auto ints_of = [](const Tensor& t) {
    if (t.is_int) return t.i;
    std::vector<int64_t> r;
    for (float f : t.f) r.push_back(static_cast<int64_t>(f));
    return r;
  };
  Tensor out;
  const std::string& op = n.op;
  if (op == "Constant") {
    if (!n.has("value")) return unsupported(n, "without a tensor 'value' is not supported");
    out = n.attrs.at("value").t;
  } else if (op == "Shape") {
    out.is_int = true;
    auto it = by_name.find(n.inputs[0]);
    out.i = it != by_name.end() ? vals[static_cast<size_t>(it->second)].dims : in(0).dims;
    out.dims = {static_cast<int64_t>(out.i.size())};
  } else if (op == "Identity" || op == "Cast") {
    out = in(0);
    if (op == "Cast") {
      const int64_t to = n.attr_i("to", 1);
      if (to == 1 && out.is_int) {
        out.f.assign(out.i.begin(), out.i.end());
        out.i.clear();
        out.is_int = false;
      } else if (to != 1 && !out.is_int) {
        for (float f : out.f) out.i.push_back(static_cast<int64_t>(f));
        out.f.clear();
        out.is_int = true;
      }
    }
  } else if (op == "Gather") {
    const auto& data = in(0);
    const auto idx = ints_of(in(1));
    if (data.dims.size() != 1 || n.attr_i("axis", 0) != 0) return unsupported(n, "on constants of rank > 1");
    out.is_int = data.is_int;
    out.dims = in(1).dims;
    for (auto ix : idx) {
      const auto j = static_cast<size_t>(ix < 0 ? ix + data.dims[0] : ix);
      if (data.is_int)
        out.i.push_back(data.i.at(j));
      else
        out.f.push_back(data.f.at(j));
    }
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" || op == "Flatten") {
    out = in(0);
    if (op == "Unsqueeze") {
      auto axes = n.inputs.size() > 1 ? ints_of(in(1)) : n.attr_ints("axes");
      const size_t rank = out.dims.size() + axes.size();
      for (auto& a : axes) a = norm_axis(a, rank);
      std::sort(axes.begin(), axes.end());
      for (auto a : axes) out.dims.insert(out.dims.begin() + a, 1);
    } else if (op == "Squeeze") {
      auto axes = n.inputs.size() > 1 ? ints_of(in(1)) : n.attr_ints("axes");
      dims_t d;
      for (size_t k = 0; k < out.dims.size(); ++k) {
        const bool drop = axes.empty() ? out.dims[k] == 1 : std::any_of(axes.begin(), axes.end(), [&](int64_t a) {
          return norm_axis(a, out.dims.size()) == static_cast<int64_t>(k);
        });
        if (!drop) d.push_back(out.dims[k]);
      }
      out.dims = d;
    } else if (op == "Flatten") {
      const auto ax = norm_axis(n.attr_i("axis", 1), out.dims.size());
      int64_t a = 1;
      for (int64_t k = 0; k < ax; ++k) a *= out.dims[static_cast<size_t>(k)];
      out.dims = {a, numel(out.dims) / a};
    } else {
      auto shape = ints_of(in(1));
      int64_t known = 1, neg = -1;
      for (size_t k = 0; k < shape.size(); ++k) {
        if (shape[k] == 0) shape[k] = out.dims.at(k);
        if (shape[k] == -1)
          neg = static_cast<int64_t>(k);
        else
          known *= shape[k];
      }
      if (neg >= 0) shape[static_cast<size_t>(neg)] = out.numel() / known;
      out.dims = shape;
    }
  } else if (op == "Concat") {
    const auto axis = norm_axis(n.attr_i("axis", 0), in(0).dims.size());
    if (in(0).dims.size() != 1 || axis != 0) return unsupported(n, "on constants of rank > 1");
    out.is_int = in(0).is_int;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const auto& t = in(k);
      if (out.is_int) {
        auto v = ints_of(t);
        out.i.insert(out.i.end(), v.begin(), v.end());
      } else {
        out.f.insert(out.f.end(), t.f.begin(), t.f.end());
      }
    }
    out.dims = {static_cast<int64_t>(out.is_int ? out.i.size() : out.f.size())};
  } else if (op == "Slice" && in(0).dims.size() == 1) {
    const auto& data = in(0);
    const int64_t len = data.dims[0];
    int64_t start = ints_of(in(1)).at(0), end = ints_of(in(2)).at(0);
    const int64_t step = n.inputs.size() > 4 && !n.inputs[4].empty() ? ints_of(in(4)).at(0) : 1;
    if (step != 1) return unsupported(n, "with a step on constants");
    if (start < 0) start += len;
    if (end < 0) end += len;
    start = std::clamp<int64_t>(start, 0, len);
    end = std::clamp<int64_t>(end, 0, len);
    out.is_int = data.is_int;
    for (int64_t k = start; k < end; ++k) {
      if (data.is_int)
        out.i.push_back(data.i[static_cast<size_t>(k)]);
      else
        out.f.push_back(data.f[static_cast<size_t>(k)]);
    }
    out.dims = {std::max<int64_t>(0, end - start)};
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    const auto &a = in(0), &b = in(1);
    const bool ints = a.is_int && b.is_int;
    const int64_t na = a.numel(), nb = b.numel();
    if (na != nb && na != 1 && nb != 1) return unsupported(n, "with broadcasting on constants");
    out.dims = na >= nb ? a.dims : b.dims;
    out.is_int = ints;
    const int64_t nn = std::max(na, nb);
    auto get = [](const Tensor& t, int64_t k) {
      const auto j = static_cast<size_t>(t.numel() == 1 ? 0 : k);
      return t.is_int ? static_cast<double>(t.i[j]) : static_cast<double>(t.f[j]);
    };
    for (int64_t k = 0; k < nn; ++k) {
      const double x = get(a, k), y = get(b, k);
      double r = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
      if (ints) {
        if (op == "Div") r = std::floor(x / y);
        out.i.push_back(static_cast<int64_t>(r));
      } else {
        out.f.push_back(static_cast<float>(r));
      }
    }
  } else if (op == "ConstantOfShape") {
    out.dims = ints_of(in(0));
    const Tensor v = n.has("value") ? n.attrs.at("value").t : Tensor{{1}, {0.f}, {}, false};
    out.is_int = v.is_int;
    if (out.is_int)
      out.i.assign(static_cast<size_t>(out.numel()), v.i.at(0));
    else
      out.f.assign(static_cast<size_t>(out.numel()), v.f.at(0));
  } else if (op == "Sqrt" || op == "Neg" || op == "Exp" || op == "Sigmoid" || op == "Relu") {
    out = in(0);
    if (out.is_int) return unsupported(n, "on integer constants");
    for (auto& f : out.f)
      f = op == "Sqrt"   ? std::sqrt(f)
          : op == "Neg"  ? -f
          : op == "Exp"  ? std::exp(f)
          : op == "Relu" ? std::max(f, 0.f)
                         : 1.f / (1.f + std::exp(-f));
  } else {
    return unsupported(n, "on constant inputs is not supported by the fast backend");
  }
  consts[n.outputs.at(0)] = std::move(out);
  ++stats.folded_nodes;
  return core::Ok{};
}

// ---- convolution with folded batch-norm and fused activation --------------------------------

core::Result<Session::Impl::ConvInputs> Session::Impl::conv_inputs(const Node& n, size_t oc_axis) {
  ConvInputs r;
  auto xid = value_of(n, n.inputs.at(0));
  if (!xid) return xid.error();
  r.x = *xid;
  if (!consts.count(n.inputs.at(1))) return unsupported(n, "with weights computed at run time is not supported");
  r.w = consts.at(n.inputs[1]);
  if (r.w.is_int || r.w.dims.size() != 4) return unsupported(n, "is supported for 2-D float convolutions only");
  r.xd = vals[static_cast<size_t>(r.x)].dims;
  if (r.xd.size() != 4) return unsupported(n, fmt::format("on input {} (expected NCHW)", dims_str(r.xd)));
  r.bias.assign(static_cast<size_t>(r.w.dims[oc_axis]), 0.f);
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) r.bias = const_floats(n.inputs[2]);
  return r;
}

void Session::Impl::fold_batchnorm(std::string* out_name, std::vector<float>& w, std::vector<float>& bias,
                                   int64_t outer, int64_t inner) {
  size_t ci = 0;
  const Node* c = sole_consumer(*out_name, &ci);
  if (!c || c->op != "BatchNormalization" || !consts.count(c->inputs.at(1)) || !consts.count(c->inputs.at(2)) ||
      !consts.count(c->inputs.at(3)) || !consts.count(c->inputs.at(4)))
    return;
  const auto gamma = const_floats(c->inputs[1]), beta = const_floats(c->inputs[2]);
  const auto mean = const_floats(c->inputs[3]), var = const_floats(c->inputs[4]);
  const float eps = c->attr_f("epsilon", 1e-5f);
  const auto oc = static_cast<int64_t>(bias.size());
  for (int64_t o = 0; o < oc; ++o) {
    const auto u = static_cast<size_t>(o);
    const float sc = gamma[u] / std::sqrt(var[u] + eps);
    for (int64_t i = 0; i < outer; ++i)
      for (int64_t j = 0; j < inner; ++j) w[static_cast<size_t>((i * oc + o) * inner + j)] *= sc;
    bias[u] = (bias[u] - mean[u]) * sc + beta[u];
  }
  skip[ci] = true;
  *out_name = c->outputs.at(0);
  ++stats.folded_batch_norms;
}

bool Session::Impl::scalar_affine(const std::string& name, float* a, float* b, size_t* index) const {
  const Node* c = sole_consumer(name, index);
  if (!c || c->inputs.size() != 2 || (c->op != "Mul" && c->op != "Add" && c->op != "Sub" && c->op != "Div"))
    return false;
  const bool first = c->inputs[0] == name;
  const std::string& other = first ? c->inputs[1] : c->inputs[0];
  if (other == name || !consts.count(other) || consts.at(other).numel() != 1 || consts.at(other).dims.size() > 4)
    return false;
  const float v = const_floats(other).at(0);
  if (c->op == "Mul") {
    *a = v;
  } else if (c->op == "Add") {
    *b = v;
  } else if (c->op == "Sub") {
    *a = first ? 1.f : -1.f;
    *b = first ? -v : v;
  } else {
    if (!first || v == 0.f) return false;
    *a = 1.f / v;
  }
  return true;
}

bool Session::Impl::decomposed_hardswish(const std::string& x, std::vector<size_t>* nodes) const {
  auto it = consumers.find(x);
  if (it == consumers.end() || it->second.size() != 2 ||
      std::find(graph->outputs.begin(), graph->outputs.end(), x) != graph->outputs.end())
    return false;
  auto scalar = [&](const Node& nd, const std::string& in, float want) {
    if (nd.inputs.size() != 2 || nd.inputs[0] != in) return false;
    return consts.count(nd.inputs[1]) && consts.at(nd.inputs[1]).numel() == 1 &&
           const_floats(nd.inputs[1]).at(0) == want;
  };
  size_t ia = it->second[0], im = it->second[1];
  if (graph->nodes[ia].op != "Add") std::swap(ia, im);
  const Node& add = graph->nodes[ia];
  const Node& mul = graph->nodes[im];
  if (add.op != "Add" || !scalar(add, x, 3.f) || mul.op != "Mul" || mul.inputs.size() != 2) return false;
  const std::string& t = add.outputs.at(0);
  std::vector<size_t> found{ia};
  std::string clipped;
  size_t i1 = 0, i2 = 0, i3 = 0, i4 = 0;
  if (const Node* c = sole_consumer(t, &i1); c && c->op == "Clip") {
    float lo = c->attr_f("min", -INFINITY), hi = c->attr_f("max", INFINITY);
    if (c->inputs.size() > 1 && !c->inputs[1].empty())
      lo = consts.count(c->inputs[1]) ? const_floats(c->inputs[1]).at(0) : NAN;
    if (c->inputs.size() > 2 && !c->inputs[2].empty())
      hi = consts.count(c->inputs[2]) ? const_floats(c->inputs[2]).at(0) : NAN;
    if (lo != 0.f || hi != 6.f) return false;
    found.push_back(i1);
    clipped = c->outputs.at(0);
  } else {
    // Relu(t) - Relu(t - 6).
    auto ct = consumers.find(t);
    if (ct == consumers.end() || ct->second.size() != 2 ||
        std::find(graph->outputs.begin(), graph->outputs.end(), t) != graph->outputs.end())
      return false;
    size_t ir = ct->second[0], is = ct->second[1];
    if (graph->nodes[ir].op != "Relu") std::swap(ir, is);
    const Node& r1 = graph->nodes[ir];
    const Node& sub = graph->nodes[is];
    if (r1.op != "Relu" || sub.op != "Sub" || !scalar(sub, t, 6.f)) return false;
    const Node* r2 = sole_consumer(sub.outputs.at(0), &i2);
    if (!r2 || r2->op != "Relu") return false;
    const Node* d1 = sole_consumer(r1.outputs.at(0), &i3);
    const Node* d2 = sole_consumer(r2->outputs.at(0), &i4);
    if (!d1 || d1 != d2 || d1->op != "Sub" || d1->inputs.size() != 2 || d1->inputs[0] != r1.outputs[0] ||
        d1->inputs[1] != r2->outputs[0])
      return false;
    found.insert(found.end(), {ir, is, i2, i3});
    clipped = d1->outputs.at(0);
  }
  size_t i5 = 0, i6 = 0;
  if (const Node* m = sole_consumer(clipped, &i5);
      !m || i5 != im ||
      !((mul.inputs[0] == x && mul.inputs[1] == clipped) || (mul.inputs[1] == x && mul.inputs[0] == clipped)))
    return false;
  const Node* div = sole_consumer(mul.outputs.at(0), &i6);
  if (!div || div->op != "Div" || !scalar(*div, mul.outputs[0], 6.f)) return false;
  found.insert(found.end(), {im, i6});
  *nodes = std::move(found);
  return true;
}

core::Status Session::Impl::plan_conv(size_t k) {
  const Node& n = graph->nodes[k];
  auto in = conv_inputs(n, 0);
  if (!in) return in.error();
  const int* xid = &in->x;
  Tensor& w = in->w;
  std::vector<float>& bias = in->bias;
  const dims_t xd = in->xd;
  const int64_t oc = w.dims[0], icg = w.dims[1], kh = w.dims[2], kw = w.dims[3];
  const int64_t g = n.attr_i("group", 1);
  auto strides = n.attr_ints("strides", {1, 1});
  auto dil = n.attr_ints("dilations", {1, 1});
  auto pads = n.attr_ints("pads", {0, 0, 0, 0});
  const std::string auto_pad = n.attr_s("auto_pad", "NOTSET");
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (int a = 0; a < 2; ++a) {
      const int64_t in = xd[static_cast<size_t>(2 + a)], s = strides[static_cast<size_t>(a)];
      const int64_t kk = ((a == 0 ? kh : kw) - 1) * dil[static_cast<size_t>(a)] + 1;
      const int64_t outsz = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (outsz - 1) * s + kk - in);
      const int64_t small = total / 2, big = total - small;
      pads[static_cast<size_t>(a)] = auto_pad == "SAME_UPPER" ? small : big;
      pads[static_cast<size_t>(a + 2)] = auto_pad == "SAME_UPPER" ? big : small;
    }
  } else if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  }
  if (xd[1] != icg * g) return unsupported(n, fmt::format("input channels {} do not match the weights", xd[1]));

  // Fold a following BatchNormalization, then fuse the activation after it.
  std::string out_name = n.outputs.at(0);
  size_t ci = 0;
  fold_batchnorm(&out_name, w.f, bias, 1, icg * kh * kw);
  // Then multiplies and adds by constant scalars (PP-LCNetV3's learnable affine blocks) into the
  // weights and bias (fp32 only: int8 planning keeps its own graph).
  const bool fp32_only = !int8_conv(n);
  for (float a = 1, b = 0; fp32_only && scalar_affine(out_name, &a, &b, &ci); a = 1, b = 0) {
    for (auto& v : w.f) v *= a;
    for (auto& v : bias) v = v * a + b;
    skip[ci] = true;
    out_name = graph->nodes[ci].outputs.at(0);
  }
  dnnl::post_ops po;
  bool fused = false;
  if (const Node* c = sole_consumer(out_name, &ci)) {
    fused = true;
    if (c->op == "Relu") {
      po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    } else if (c->op == "LeakyRelu") {
      po.append_eltwise(1.f, algorithm::eltwise_relu, c->attr_f("alpha", 0.01f), 0.f);
    } else if (c->op == "Sigmoid") {
      po.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f);
    } else if (c->op == "HardSwish") {
      po.append_eltwise(1.f, algorithm::eltwise_hardswish, 0.f, 0.f);
    } else if (c->op == "HardSigmoid") {
      po.append_eltwise(1.f, algorithm::eltwise_linear, c->attr_f("alpha", 0.2f), c->attr_f("beta", 0.5f));
      po.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 1.f);
    } else if (c->op == "Clip") {
      float lo = c->attr_f("min", -INFINITY), hi = c->attr_f("max", INFINITY);
      if (c->inputs.size() > 1 && !c->inputs[1].empty()) {
        if (!consts.count(c->inputs[1]))
          fused = false;
        else
          lo = const_floats(c->inputs[1]).at(0);
      }
      if (c->inputs.size() > 2 && !c->inputs[2].empty()) {
        if (!consts.count(c->inputs[2]))
          fused = false;
        else
          hi = const_floats(c->inputs[2]).at(0);
      }
      if (fused) po.append_eltwise(1.f, algorithm::eltwise_clip, lo, hi);
    } else {
      fused = false;
    }
    if (fused) {
      skip[ci] = true;
      out_name = c->outputs.at(0);
    }
  } else if (auto it = consumers.find(out_name);
             it != consumers.end() && it->second.size() == 2 &&
             std::find(graph->outputs.begin(), graph->outputs.end(), out_name) == graph->outputs.end()) {
    // SiLU: y * Sigmoid(y), the sigmoid read only by the multiply.
    const size_t a = it->second[0], b = it->second[1];
    const Node& na = graph->nodes[a];
    const Node& nb = graph->nodes[b];
    const Node* sig = na.op == "Sigmoid" ? &na : nb.op == "Sigmoid" ? &nb : nullptr;
    const Node* mul = na.op == "Mul" ? &na : nb.op == "Mul" ? &nb : nullptr;
    size_t mi = na.op == "Mul" ? a : b, si = na.op == "Sigmoid" ? a : b;
    if (sig && mul && sig != mul && sole_consumer(sig->outputs.at(0), &ci) && ci == mi &&
        ((mul->inputs.at(0) == out_name && mul->inputs.at(1) == sig->outputs[0]) ||
         (mul->inputs.at(1) == out_name && mul->inputs.at(0) == sig->outputs[0]))) {
      po.append_eltwise(1.f, algorithm::eltwise_swish, 1.f, 0.f);
      skip[si] = skip[mi] = true;
      out_name = mul->outputs.at(0);
      fused = true;
    }
  }
  if (std::vector<size_t> hs; !fused && fp32_only && decomposed_hardswish(out_name, &hs)) {
    po.append_eltwise(1.f, algorithm::eltwise_hardswish, 0.f, 0.f);
    for (size_t i : hs) skip[i] = true;
    out_name = graph->nodes[hs.back()].outputs.at(0);
    fused = true;
  }
  if (fused) ++stats.fused_activations;
  // Scalar multiplies and adds after the activation: one linear post-op.
  if (fused && fp32_only) {
    float a = 1, b = 0;
    bool any = false;
    for (float a1 = 1, b1 = 0; scalar_affine(out_name, &a1, &b1, &ci); a1 = 1, b1 = 0, any = true) {
      a *= a1;
      b = b * a1 + b1;
      skip[ci] = true;
      out_name = graph->nodes[ci].outputs.at(0);
    }
    if (any) po.append_eltwise(1.f, algorithm::eltwise_linear, a, b);
  }

  const int64_t oh = (xd[2] + pads[0] + pads[2] - ((kh - 1) * dil[0] + 1)) / strides[0] + 1;
  const int64_t ow = (xd[3] + pads[1] + pads[3] - ((kw - 1) * dil[1] + 1)) / strides[1] + 1;
  const dims_t od{xd[0], oc, oh, ow};
  const dims_t wd = g == 1 ? dims_t{oc, icg, kh, kw} : dims_t{g, oc / g, icg, kh, kw};
  // A plain input lets the kernel pick its layout (a reorder); a blocked one is taken as it is.
  // (An int8 convolution's NHWC result is converted too: fp32 kernels mixing NHWC in and blocked out
  // are reference loops.)
  const auto& xmd = vals[static_cast<size_t>(*xid)].md;
  const auto [in_tag, in_block] = channel_block();
  const memory::desc src_md = is_plain(*xid)                                ? memory::desc(xd, dt::f32, tag::any)
                              : xmd != memory::desc(xd, dt::f32, tag::nhwc) ? xmd
                              : xd[1] % in_block == 0                       ? memory::desc(xd, dt::f32, in_tag)
                                                                            : memory::desc(xd, dt::f32, tag::any);
  // One layout through the graph: channel blocks of the vector width (nChw16c on AVX-512, nChw8c on
  // AVX2). Left to itself oneDNN 2.6 picks NHWC for many shapes here, which costs a copy at every
  // concat; in blocks, concats are free (plan_concat) and the kernels run as fast (measured).
  const auto [block_tag, block] = channel_block();
  if (int8_conv(n)) return plan_conv_int8(n, *xid, w, bias, wd, od, po, out_name, strides, dil, pads);
  // A one-channel convolution (YuNet's heads: a 1x1 convolution down to one channel, then a 3x3 one)
  // is a depthwise one: described as such oneDNN 2.6 runs its jit depthwise kernel (below), as a
  // plain one its reference loops (0.43 ms at 40x40, 30x the jit kernel).
  const bool one_channel = g == 1 && oc == 1 && xd[1] == 1;
  const dims_t fwd = one_channel ? dims_t{1, 1, 1, kh, kw} : wd;
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);
  dnnl::convolution_forward::primitive_desc pd;
  try {
    dnnl::convolution_forward::desc d(
        prop_kind::forward_inference, algorithm::convolution_direct, src_md, memory::desc(fwd, dt::f32, tag::any),
        memory::desc({oc}, dt::f32, tag::a), memory::desc(od, dt::f32, oc % block == 0 ? block_tag : tag::any),
        {strides[0], strides[1]}, {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]}, {pads[2], pads[3]});
    pd = dnnl::convolution_forward::primitive_desc(d, attr, eng);
    // A depthwise convolution over a partial channel block whose input layout leaves oneDNN 2.6 only
    // its reference loops (LPD-YuNet's 51 and 34 channels after a 1x1 convolution: 60 ms for one
    // layer): in the padded blocked layout it runs its jit depthwise kernel. Where it found a real
    // kernel (NanoDet's NHWC brdgmm), the plan is kept as it was.
    if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0 && (g > 1 || one_channel) && g == oc && g == xd[1] &&
        oc % block != 0 && block < (1 << 30)) {
      dnnl::convolution_forward::desc dp(prop_kind::forward_inference, algorithm::convolution_direct,
                                         memory::desc(xd, dt::f32, block_tag), memory::desc(fwd, dt::f32, tag::any),
                                         memory::desc({oc}, dt::f32, tag::a), memory::desc(od, dt::f32, block_tag),
                                         {strides[0], strides[1]}, {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]},
                                         {pads[2], pads[3]});
      pd = dnnl::convolution_forward::primitive_desc(dp, attr, eng);
    }
  } catch (const dnnl::error& e) {
    return unsupported(n, fmt::format("could not be planned: {}", e.what()));
  }
  const int src = ensure(*xid, pd.src_desc());
  auto fixed = fixed_weights(memory::desc(fwd, dt::f32, plain_strides(fwd)), w.f.data(), pd.weights_desc(),
                             pd.bias_desc(), bias);
  const int out = new_value(od, pd.dst_desc());
  const int step =
      add_prim("Conv", dnnl::convolution_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}}, std::move(fixed));
  steps[static_cast<size_t>(step)].detail = fmt::format("{}x{} g{} {}->{} @{}x{} s{} post-ops {} [{}]", kh, kw, g,
                                                        xd[1], oc, oh, ow, strides[0], po.len(), pd.impl_info_str());
  steps[static_cast<size_t>(step)].observe_src = src;
  steps[static_cast<size_t>(step)].observe_key = n.outputs.at(0);
  by_name[out_name] = out;
  ++stats.convolutions;
  stats.gflop += 2.0 * static_cast<double>(numel(od)) * static_cast<double>(icg * kh * kw) / 1e9;
  return core::Ok{};
}

// ---- int8 convolution -----------------------------------------------------------------------

/// Quantisation of a convolution's input from its calibrated range: u8 when it never goes below
/// zero, else symmetric s8; real value = q * scale (or q * scales[c], per channel).
Session::Impl::Quant Session::Impl::input_quant(const Node& n) const {
  const Int8Range& r = opts.int8->at(n.outputs.at(0));
  const bool u8 = r.min >= 0.f;
  const float levels = u8 ? 255.f : 127.f;
  const float amax = std::max(std::abs(r.min), std::abs(r.max));
  Quant q{u8 ? dt::u8 : dt::s8, amax > 0 ? amax / levels : 1.f, {}};
  for (float c : r.channel) q.scales.push_back(c > 0 ? c / levels : q.scale);
  return q;
}

bool Session::Impl::int8_conv(const Node& n) const {
  return opts.int8 && n.op == "Conv" && opts.int8->count(n.outputs.at(0)) && !fp32_convs.count(n.outputs.at(0));
}

int Session::Impl::ensure_q(int id, const memory::desc& md, const Quant& q) {
  auto same = [&](const Value& x) { return x.qscale == q.scale && x.qscales == q.scales; };
  {
    const auto& v = vals[static_cast<size_t>(id)];
    if (v.md == md && same(v)) return id;
    for (auto& [m, cid] : v.converted)
      if (m == md && same(vals[static_cast<size_t>(cid)])) return cid;
  }
  const int out = new_value(vals[static_cast<size_t>(id)].dims, md);  // (vals may move)
  vals[static_cast<size_t>(out)].qscale = q.scale;
  vals[static_cast<size_t>(out)].qscales = q.scales;
  dnnl::primitive_attr attr;
  // f32 -> int8: q = x / scale; int8 -> int8 of another scale: q' = q * s / s' (per channel where
  // either side has one scale per channel).
  const Value& sv = vals[static_cast<size_t>(id)];
  const float src_scale = sv.qscale > 0 ? sv.qscale : 1.f;
  if (sv.qscales.empty() && q.scales.empty()) {
    attr.set_output_scales(0, {src_scale / q.scale});
  } else {
    const size_t c = static_cast<size_t>(sv.dims.at(1));
    std::vector<float> r(c);
    for (size_t k = 0; k < c; ++k)
      r[k] = (sv.qscales.empty() ? src_scale : sv.qscales.at(k)) / (q.scales.empty() ? q.scale : q.scales.at(k));
    attr.set_output_scales(1 << 1, r);
  }
  dnnl::reorder::primitive_desc pd(eng, vals[static_cast<size_t>(id)].md, eng, md, attr);
  add_prim("Quantise", dnnl::reorder(pd), {{DNNL_ARG_SRC, id}, {DNNL_ARG_DST, out}});
  ++stats.quantise_reorders;
  vals[static_cast<size_t>(id)].converted.emplace_back(md, out);
  return out;
}

core::Status Session::Impl::plan_conv_int8(const Node& n, int xid, const Tensor& w, const std::vector<float>& bias,
                                           const dims_t& wd, const dims_t& od, const dnnl::post_ops& po,
                                           const std::string& out_name, const dims_t& strides, const dims_t& dil,
                                           const dims_t& pads) {
  const dims_t xd = vals[static_cast<size_t>(xid)].dims;
  const int64_t oc = od[1];
  const Quant xq = input_quant(n);
  const dt src_dt = xq.type;
  const float sx = xq.scales.empty() ? xq.scale : 1.f;
  // Weights: symmetric s8 per output channel. A per-channel input scale is folded into the
  // weights first (real = q_c * s_c, so w_oc * s_c multiplies q_c).
  const size_t per = static_cast<size_t>(numel(wd) / oc);
  std::vector<float> wf = w.f;
  if (!xq.scales.empty()) {
    const size_t groups = wd.size() == 5 ? static_cast<size_t>(wd[0]) : 1;
    const size_t icg = static_cast<size_t>(xd[1]) / groups, khw = per / icg, ocg = static_cast<size_t>(oc) / groups;
    for (size_t o = 0; o < static_cast<size_t>(oc); ++o)
      for (size_t ic = 0; ic < icg; ++ic)
        for (size_t k = 0; k < khw; ++k) wf[o * per + ic * khw + k] *= xq.scales.at((o / ocg) * icg + ic);
  }
  std::vector<int8_t> wq(wf.size());
  std::vector<float> oscale(static_cast<size_t>(oc)), bq(static_cast<size_t>(oc));
  const float levels = int8_weight_levels(src_dt);
  for (size_t o = 0; o < static_cast<size_t>(oc); ++o) {
    float m = 0;
    for (size_t j = 0; j < per; ++j) m = std::max(m, std::abs(wf[o * per + j]));
    const float sw = m > 0 ? m / levels : 1.f;
    for (size_t j = 0; j < per; ++j)
      wq[o * per + j] = static_cast<int8_t>(std::clamp(std::nearbyint(wf[o * per + j] / sw), -levels, levels));
    // oneDNN 2.x: dst = output_scale * (s32 accumulator + bias), post-ops after: the bias is in
    // accumulator units.
    oscale[o] = sx * sw;
    bq[o] = bias[o] / oscale[o];
  }
  // Requantise: when every reader is an int8 convolution, write its u8/s8 input directly.
  std::optional<Quant> requant;
  if (opts.int8_requantise &&
      std::find(graph->outputs.begin(), graph->outputs.end(), out_name) == graph->outputs.end()) {
    auto it = consumers.find(out_name);
    bool all = it != consumers.end() && !it->second.empty();
    std::optional<Quant> q;
    for (size_t c : all ? it->second : std::vector<size_t>{}) {
      const Node& r = graph->nodes[c];
      const auto cq = r.op == "Concat" ? concat_int8_quant(r) : std::nullopt;
      if (!cq && (!int8_conv(r) || r.inputs.at(0) != out_name)) {
        all = false;
        break;
      }
      const auto rq = cq ? *cq : input_quant(r);
      if (q && !(*q == rq)) all = false;
      q = rq;
    }
    if (all && q) requant = q;
  }
  // Plans the convolution writing int8 for `rq` (or f32 without); nullopt when oneDNN has only its
  // reference loops for it.
  memory channel_inv;  // per-channel requantisation after post-ops: a binary multiply by this
  const int po_len = po.len();
  auto plan = [&](const std::optional<Quant>& rq) -> std::optional<dnnl::convolution_forward::primitive_desc> {
    // A fresh copy of the (eltwise) post-ops: dnnl::post_ops copies share one object. Post-ops run
    // after the output scale on real values; to write a per-tensor reader's units the last one also
    // scales (or, without post-ops, the output scale does).
    const float inv = rq && rq->scales.empty() ? 1.f / rq->scale : 1.f;
    dnnl::post_ops post;
    for (int i = 0; i < po_len; ++i) {
      float scale = 1, alpha = 0, beta = 0;
      algorithm alg;
      po.get_params_eltwise(i, scale, alg, alpha, beta);
      post.append_eltwise(i + 1 == po_len ? scale * inv : scale, alg, alpha, beta);
    }
    std::vector<float> os = oscale;
    if (rq && rq->scales.empty()) {
      if (po_len == 0)
        for (auto& s : os) s *= inv;
    } else if (rq) {
      // The reader has one scale per channel: the output scale takes it without post-ops or with
      // positively homogeneous ones only (ReLU, LeakyReLU: f(x) / s = f(x / s)), else a per-channel
      // multiply after them (SiLU).
      bool homogeneous = true;
      for (int i = 0; i < po_len; ++i) {
        float scale = 1, alpha = 0, beta = 0;
        algorithm alg;
        po.get_params_eltwise(i, scale, alg, alpha, beta);
        homogeneous = homogeneous && alg == algorithm::eltwise_relu && alpha >= 0;
      }
      if (homogeneous) {
        for (size_t o = 0; o < os.size(); ++o) os[o] /= rq->scales.at(o);
      } else {
        const memory::desc md({1, oc, 1, 1}, dt::f32, tag::abcd);
        channel_inv = memory(md, eng, alloc(md.get_size()));
        auto* p = static_cast<float*>(channel_inv.get_data_handle());
        for (size_t o = 0; o < os.size(); ++o) p[o] = 1.f / rq->scales.at(o);
        post.append_binary(algorithm::binary_mul, md);
      }
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(post);
    attr.set_output_scales(1 << 1, os);
    // oneDNN 2.6's int8 kernels (jit, brgemm) take channels-last only; in blocked layouts it falls
    // back to its reference loops. f32 results go on in NHWC too (readers convert where they need).
    const memory::desc dst_md = memory::desc(od, rq ? rq->type : dt::f32, tag::nhwc);
    dnnl::convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct,
                                      memory::desc(xd, src_dt, tag::nhwc), memory::desc(wd, dt::s8, tag::any),
                                      memory::desc({oc}, dt::f32, tag::a), dst_md, {strides[0], strides[1]},
                                      {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]}, {pads[2], pads[3]});
    dnnl::convolution_forward::primitive_desc pd(d, attr, eng);
    if (rq && std::string(pd.impl_info_str()).find("ref") != std::string::npos) return std::nullopt;
    return pd;
  };
  dnnl::convolution_forward::primitive_desc pd;
  try {
    auto p = requant ? plan(requant) : std::nullopt;
    if (!p) {
      requant.reset();
      channel_inv = memory();
      p = plan(std::nullopt);
    }
    if (!p) return unsupported(n, "has no fast int8 kernel in oneDNN here");
    pd = *p;
  } catch (const dnnl::error& e) {
    return unsupported(n, fmt::format("could not be planned in int8: {}", e.what()));
  }
  const int src = ensure_q(xid, pd.src_desc(), xq);
  auto fixed =
      fixed_weights(memory::desc(wd, dt::s8, plain_strides(wd)), wq.data(), pd.weights_desc(), pd.bias_desc(), bq);
  const int out = new_value(od, pd.dst_desc());
  if (requant) {
    vals[static_cast<size_t>(out)].qscale = requant->scale;
    vals[static_cast<size_t>(out)].qscales = requant->scales;
  }
  if (channel_inv) fixed[DNNL_ARG_ATTR_MULTIPLE_POST_OP(po_len) | DNNL_ARG_SRC_1] = channel_inv;
  const int step =
      add_prim("ConvInt8", dnnl::convolution_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}}, fixed);
  steps[static_cast<size_t>(step)].detail =
      fmt::format("{}x{} g{} {}->{} @{}x{} s{} {}->{} post-ops {} [{}]", wd.size() == 5 ? wd[3] : wd[2],
                  wd.size() == 5 ? wd[4] : wd[3], wd.size() == 5 ? wd[0] : 1, xd[1], oc, od[2], od[3], strides[0],
                  std::string(src_dt == dt::u8 ? "u8" : "s8") + (xq.scales.empty() ? "" : "/c"),
                  requant ? std::string(requant->type == dt::u8 ? "u8" : "s8") + (requant->scales.empty() ? "" : "/c")
                          : std::string("f32"),
                  pd.get_primitive_attr().get_post_ops().len(), pd.impl_info_str());
  by_name[out_name] = out;
  ++stats.convolutions;
  ++stats.int8_convolutions;
  steps[static_cast<size_t>(step)].observe_key = n.outputs.at(0);  // (observe_src stays -1: fp32 only)
  if (requant) ++stats.int8_requantised;
  if (!xq.scales.empty()) ++stats.int8_per_channel;
  stats.gflop += 2.0 * static_cast<double>(numel(od)) * static_cast<double>(per) / 1e9;
  return core::Ok{};
}

std::optional<Session::Impl::Quant> Session::Impl::concat_int8_quant(const Node& concat) const {
  if (!opts.int8 || !opts.int8_requantise || concat.op != "Concat") return std::nullopt;
  const std::string& name = concat.outputs.at(0);
  const auto axis = concat.attr_i("axis", 0);
  if ((axis != 1 && axis != -3) ||
      std::find(graph->outputs.begin(), graph->outputs.end(), name) != graph->outputs.end())
    return std::nullopt;
  auto it = consumers.find(name);
  if (it == consumers.end() || it->second.empty()) return std::nullopt;
  std::optional<Quant> q;
  for (size_t c : it->second) {
    const Node& r = graph->nodes[c];
    if (!int8_conv(r) || r.inputs.at(0) != name) return std::nullopt;
    const auto rq = input_quant(r);
    if (!rq.scales.empty() || (q && !(*q == rq))) return std::nullopt;
    q = rq;
  }
  return q;
}

core::Status Session::Impl::plan_concat_int8(const Node& n, const std::vector<int>& ids, const Quant& q) {
  dims_t od = vals[static_cast<size_t>(ids.at(0))].dims;
  if (od.size() != 4) return unsupported(n, "in int8 on inputs that are not NCHW");
  od[1] = 0;
  std::vector<int> srcs;
  for (int id : ids) {
    const dims_t d = vals[static_cast<size_t>(id)].dims;
    if (d.size() != 4 || d[0] != od[0] || d[2] != od[2] || d[3] != od[3])
      return unsupported(n, "in int8 on inputs of different shapes");
    od[1] += d[1];
    // An int8 producer planned for this concat already wrote q; anything else is quantised to it.
    srcs.push_back(ensure_q(id, memory::desc(d, q.type, tag::nhwc), q));
  }
  // A byte copy per pixel: oneDNN 2.6's concat of NHWC int8 with few channels (its simple_concat)
  // is as slow as the f32 one (0.18 ms for [1,32,104,104] s8, one thread).
  const memory::desc dst(od, q.type, tag::nhwc);
  const int out = new_value(od, dst);
  vals[static_cast<size_t>(out)].qscale = q.scale;
  std::vector<size_t> widths;
  for (int id : srcs) widths.push_back(static_cast<size_t>(vals[static_cast<size_t>(id)].dims[1]));
  const auto pixels = static_cast<size_t>(od[0] * od[2] * od[3]);
  const auto total = static_cast<size_t>(od[1]);
  add_cpu("ConcatInt8", srcs, {out}, [this, srcs, widths, pixels, total, out] {
    auto* o = reinterpret_cast<uint8_t*>(ptr(out));
    size_t offset = 0;
    for (size_t k = 0; k < srcs.size(); ++k) {
      const auto* in = reinterpret_cast<const uint8_t*>(ptr(srcs[k]));
      const size_t w = widths[k];
      if (w % 16 == 0) {
#pragma omp parallel for schedule(static)
        for (size_t p = 0; p < pixels; ++p)
          for (size_t c = 0; c < w; c += 16) std::memcpy(o + p * total + offset + c, in + p * w + c, 16);
      } else {
#pragma omp parallel for schedule(static)
        for (size_t p = 0; p < pixels; ++p) std::memcpy(o + p * total + offset, in + p * w, w);
      }
      offset += w;
    }
  });
  steps.back().detail = fmt::format("{} {}", dims_str(od), q.type == dt::u8 ? "u8" : "s8");
  by_name[n.outputs.at(0)] = out;
  ++stats.int8_concats;
  return core::Ok{};
}

core::Status Session::Impl::plan_eltwise(const Node& n, algorithm alg, float alpha, float beta, dnnl::post_ops extra,
                                         const std::string& input) {
  auto x = value_of(n, input.empty() ? n.inputs.at(0) : input);
  if (!x) return x.error();
  const auto& v = vals[static_cast<size_t>(*x)];
  const memory::desc md = v.md;
  const dims_t d = v.dims;
  dnnl::primitive_attr attr;
  attr.set_post_ops(extra);
  dnnl::eltwise_forward::primitive_desc pd(
      dnnl::eltwise_forward::desc(prop_kind::forward_inference, alg, md, alpha, beta), attr, eng);
  const int out = new_value(d, pd.dst_desc());
  add_prim(n.op, dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, *x}, {DNNL_ARG_DST, out}});
  by_name[n.outputs.at(0)] = out;
  return core::Ok{};
}

core::Status Session::Impl::plan_binary(const Node& n) {
  std::string a = n.inputs.at(0), b = n.inputs.at(1);
  const bool commutes = n.op == "Add" || n.op == "Mul";
  if (is_const(a) && commutes) std::swap(a, b);
  if (is_const(a)) return unsupported(n, "with a constant first operand is not supported");
  auto xa = value_of(n, a);
  if (!xa) return xa.error();
  if (is_const(b) && consts.at(b).numel() == 1) {
    // x op scalar: one linear eltwise.
    const float c = const_floats(b).at(0);
    if (n.op == "Add") return plan_eltwise(n, algorithm::eltwise_linear, 1.f, c, {}, a);
    if (n.op == "Sub") return plan_eltwise(n, algorithm::eltwise_linear, 1.f, -c, {}, a);
    if (n.op == "Mul") return plan_eltwise(n, algorithm::eltwise_linear, c, 0.f, {}, a);
    return plan_eltwise(n, algorithm::eltwise_linear, 1.f / c, 0.f, {}, a);
  }
  auto xb = value_of(n, b);
  if (!xb) return xb.error();
  int ia = *xa, ib = *xb;
  auto da = vals[static_cast<size_t>(ia)].dims, db = vals[static_cast<size_t>(ib)].dims;
  const size_t rank = std::max(da.size(), db.size());
  while (da.size() < rank) da.insert(da.begin(), 1);
  while (db.size() < rank) db.insert(db.begin(), 1);
  dims_t od(rank);
  for (size_t k = 0; k < rank; ++k) {
    if (da[k] != db[k] && da[k] != 1 && db[k] != 1)
      return unsupported(n, fmt::format("on shapes {} and {}", dims_str(da), dims_str(db)));
    od[k] = std::max(da[k], db[k]);
  }
  if (da != od) {
    if (!commutes || db != od) return unsupported(n, "broadcasting its first operand is not supported");
    std::swap(ia, ib);
    std::swap(da, db);
  }
  if (vals[static_cast<size_t>(ia)].dims != od) return unsupported(n, "with a rank-changing first operand");
  memory::desc mb;
  if (db == od) {
    ib = ensure(ib, vals[static_cast<size_t>(ia)].md);
    mb = vals[static_cast<size_t>(ib)].md;
  } else if (const auto bt = channel_block().first;
             rank == 4 && db[0] == 1 && db[1] == od[1] && db[2] == 1 && db[3] == 1 &&
             vals[static_cast<size_t>(ia)].md == memory::desc(od, dt::f32, bt) &&
             vals[static_cast<size_t>(ib)].dims.size() == 4 &&
             std::string(dnnl::binary::primitive_desc(
                             dnnl::binary::desc(algorithm::binary_add, vals[static_cast<size_t>(ia)].md, plain_md(db),
                                                vals[static_cast<size_t>(ia)].md),
                             eng)
                             .impl_info_str())
                     .rfind("ref", 0) == 0) {
    // A per-channel operand ([1,C,1,1], squeeze-excite and scale/shift) of a blocked tensor where a
    // plain operand leaves oneDNN 2.6 only reference loops (10x slower): in the same blocked layout
    // it runs its jit kernel.
    ib = ensure(ib, memory::desc(db, dt::f32, bt));
    mb = vals[static_cast<size_t>(ib)].md;
  } else {
    ib = plain(ib);  // broadcast operand: plain, dims padded to the rank (same bytes)
    mb = plain_md(db);
    if (vals[static_cast<size_t>(ib)].dims != db) {
      const int alias = new_value(db, mb);
      const int src = ib;
      add_cpu("Reshape", {src}, {alias}, [this, src, alias] {
        std::memcpy(ptr(alias), ptr(src), static_cast<size_t>(numel(vals[static_cast<size_t>(alias)].dims)) * 4);
      });
      ib = alias;
    }
  }
  const algorithm alg = n.op == "Add"   ? algorithm::binary_add
                        : n.op == "Sub" ? algorithm::binary_sub
                        : n.op == "Mul" ? algorithm::binary_mul
                                        : algorithm::binary_div;
  const memory::desc ma = vals[static_cast<size_t>(ia)].md;
  dnnl::binary::primitive_desc pd(dnnl::binary::desc(alg, ma, mb, ma), eng);
  const int out = new_value(od, pd.dst_desc());
  add_prim(n.op, dnnl::binary(pd), {{DNNL_ARG_SRC_0, ia}, {DNNL_ARG_SRC_1, ib}, {DNNL_ARG_DST, out}});
  by_name[n.outputs.at(0)] = out;
  return core::Ok{};
}

/// ShuffleNet's channel shuffle: Concat(axis 1) -> Reshape [N,g,C/g,H,W] -> Transpose [0,2,1,3,4] ->
/// Reshape [N,C,H,W]. Planned as one reorder per concat input, each writing straight into its
/// interleaved channels of the plain result (a strided view), instead of five copies.
core::Status Session::Impl::plan_channel_shuffle(const Node& n, const std::vector<int>& ids, bool* done) {
  *done = false;
  size_t i1 = 0, i2 = 0, i3 = 0;
  const Node* r1 = sole_consumer(n.outputs.at(0), &i1);
  if (!r1 || r1->op != "Reshape" || !is_const(r1->inputs.at(1))) return core::Ok{};
  const Node* tr = sole_consumer(r1->outputs.at(0), &i2);
  if (!tr || tr->op != "Transpose" || tr->attr_ints("perm") != dims_t{0, 2, 1, 3, 4}) return core::Ok{};
  const Node* r2 = sole_consumer(tr->outputs.at(0), &i3);
  if (!r2 || r2->op != "Reshape" || !is_const(r2->inputs.at(1))) return core::Ok{};
  const dims_t& d0 = vals[static_cast<size_t>(ids[0])].dims;
  if (d0.size() != 4 || d0[0] != 1) return core::Ok{};
  int64_t c = 0;
  for (int id : ids) {
    const auto& d = vals[static_cast<size_t>(id)].dims;
    if (d.size() != 4 || d[0] != 1 || d[2] != d0[2] || d[3] != d0[3]) return core::Ok{};
    c += d[1];
  }
  const dims_t s1 = const_ints(r1->inputs[1]), s2 = const_ints(r2->inputs[1]);
  if (s1.size() != 5 || (s1[0] != 1 && s1[0] != 0) || s1[1] <= 0 || s1[1] * s1[2] != c || s1[3] != d0[2] ||
      s1[4] != d0[3])
    return core::Ok{};
  if (s2.size() != 4 || (s2[1] != c && s2[1] != -1)) return core::Ok{};
  const int64_t g = s1[1], per = c / g, hw = d0[2] * d0[3];
  const dims_t od{1, c, d0[2], d0[3]};
  // Each input must sit inside one group of the concat.
  int64_t m0 = 0;
  for (int id : ids) {
    const int64_t k = vals[static_cast<size_t>(id)].dims[1];
    if (m0 / per != (m0 + k - 1) / per) return core::Ok{};
    m0 += k;
  }
  const int out = new_value(od, plain_md(od));
  m0 = 0;
  for (int id : ids) {
    const dims_t d = vals[static_cast<size_t>(id)].dims;
    const int64_t gi = m0 / per, r0 = m0 % per;
    // out channel of concat channel m = gi * per + r is r * g + gi.
    const memory::desc view_md(d, dt::f32, dims_t{c * hw, g * hw, d[3], 1});
    const int view = new_value(d, view_md);
    vals[static_cast<size_t>(view)].parent = out;
    vals[static_cast<size_t>(view)].offset = static_cast<size_t>((r0 * g + gi) * hw) * sizeof(float);
    dnnl::reorder::primitive_desc pd(eng, vals[static_cast<size_t>(id)].md, eng, view_md);
    add_prim("ChannelShuffle", dnnl::reorder(pd), {{DNNL_ARG_SRC, id}, {DNNL_ARG_DST, view}});
    m0 += d[1];
  }
  vals[static_cast<size_t>(out)].has_views = true;
  skip[i1] = skip[i2] = skip[i3] = true;
  by_name[r2->outputs.at(0)] = out;
  ++stats.channel_shuffles;
  *done = true;
  return core::Ok{};
}

/// A plain concatenation whose leading dimensions (those before `axis`) are 1 (N = 1 along
/// channels): each input's part of the result is one contiguous byte range, so a plain input is
/// written there by its producer (no copy) and any other (PP-OCR's 24-channel blocked maps) is
/// converted straight into it, one reorder instead of a conversion to plain and then a copy.
bool Session::Impl::plain_concat_in_place(const Node& n, const std::vector<int>& ids, size_t axis) {
  dims_t od = vals[static_cast<size_t>(ids[0])].dims;
  const size_t rank = od.size();
  od[axis] = 0;
  for (int id : ids) {
    const dims_t& d = vals[static_cast<size_t>(id)].dims;
    if (d.size() != rank) return false;
    for (size_t k = 0; k < rank; ++k)
      if (k != axis && d[k] != od[k]) return false;
    od[axis] += d[axis];
  }
  for (size_t k = 0; k < axis; ++k)
    if (od[k] != 1) return false;
  const int out = new_value(od, plain_md(od));
  std::set<int> seen;
  size_t offset = 0;
  for (int id : ids) {
    const dims_t d = vals[static_cast<size_t>(id)].dims;
    const auto& v = vals[static_cast<size_t>(id)];
    int part = id;
    if (!is_plain(id) || v.fixed || v.parent >= 0 || v.has_views || !seen.insert(id).second) {
      part = new_value(d, plain_md(d));
      dnnl::reorder::primitive_desc pd(eng, vals[static_cast<size_t>(id)].md, eng, plain_md(d));
      add_prim("Concat", dnnl::reorder(pd), {{DNNL_ARG_SRC, id}, {DNNL_ARG_DST, part}});
    }
    vals[static_cast<size_t>(part)].parent = out;
    vals[static_cast<size_t>(part)].offset = offset;
    offset += static_cast<size_t>(numel(d)) * sizeof(float);
  }
  vals[static_cast<size_t>(out)].has_views = true;
  by_name[n.outputs.at(0)] = out;
  ++stats.zero_copy_concats;
  return true;
}

core::Status Session::Impl::plan_concat(const Node& n) {
  std::vector<int> ids;
  for (const auto& name : n.inputs) {
    auto id = value_of(n, name);
    if (!id) return id.error();
    ids.push_back(*id);
  }
  if (auto q = concat_int8_quant(n)) return plan_concat_int8(n, ids, *q);
  if (norm_axis(n.attr_i("axis", 0), vals[static_cast<size_t>(ids[0])].dims.size()) == 1) {
    bool done = false;
    if (auto st = plan_channel_shuffle(n, ids, &done); !st || done) return st;
  }
  const size_t rank = vals[static_cast<size_t>(ids[0])].dims.size();
  const auto axis = norm_axis(n.attr_i("axis", 0), rank);
  // Blocked concat only of whole channel blocks: oneDNN's concat of partial blocks (ShuffleNet's 58,
  // 116 channels) is a slow reference loop, slower than converting to plain and copying planes.
  const int64_t block = channel_block().second;
  bool all_blocked = true;
  for (int id : ids)
    all_blocked = all_blocked && !is_plain(id) && vals[static_cast<size_t>(id)].dims.size() == rank && rank == 4 &&
                  vals[static_cast<size_t>(id)].dims[1] % block == 0;
  if (all_blocked && axis == 1 && rank == 4 && vals[static_cast<size_t>(ids[0])].dims[0] == 1) {
    // Zero-copy: in nChw16c (or 8c) with N = 1 a run of whole channel blocks is one contiguous byte
    // range, so each producer can write straight into its part of the concatenated buffer.
    for (auto [t, block] : {std::pair{tag::nChw16c, 16}, std::pair{tag::nChw8c, 8}}) {
      bool ok = true;
      std::set<int> seen;
      int64_t channels = 0;
      for (int id : ids) {
        const auto& v = vals[static_cast<size_t>(id)];
        ok = ok && !v.fixed && v.parent < 0 && !v.has_views && seen.insert(id).second && v.dims[1] % block == 0 &&
             v.md == memory::desc(v.dims, dt::f32, t);
        channels += v.dims[1];
      }
      if (!ok) continue;
      dims_t od = vals[static_cast<size_t>(ids[0])].dims;
      od[1] = channels;
      const int out = new_value(od, memory::desc(od, dt::f32, t));
      size_t offset = 0;
      for (int id : ids) {
        auto& v = vals[static_cast<size_t>(id)];
        v.parent = out;
        v.offset = offset;
        offset += v.md.get_size();
      }
      vals[static_cast<size_t>(out)].has_views = true;
      by_name[n.outputs.at(0)] = out;
      ++stats.zero_copy_concats;
      return core::Ok{};
    }
  }
  // Blocked inputs concatenate in their own layout along channels; anything else goes plain.
  if (!(all_blocked && axis == 1)) {
    if (plain_concat_in_place(n, ids, static_cast<size_t>(axis))) return core::Ok{};
    for (auto& id : ids) id = plain(id);
  }
  dims_t od = vals[static_cast<size_t>(ids[0])].dims;
  od[static_cast<size_t>(axis)] = 0;
  std::vector<memory::desc> mds;
  for (int id : ids) {
    const auto& d = vals[static_cast<size_t>(id)].dims;
    if (d.size() != rank) return unsupported(n, "on inputs of different ranks");
    od[static_cast<size_t>(axis)] += d[static_cast<size_t>(axis)];
    mds.push_back(vals[static_cast<size_t>(id)].md);
  }
  const memory::desc dst = all_blocked && axis == 1 ? memory::desc(od, dt::f32, tag::any) : plain_md(od);
  dnnl::concat::primitive_desc pd(dst, static_cast<int>(axis), mds, eng);
  const int out = new_value(od, pd.dst_desc());
  std::vector<std::pair<int, int>> args{{DNNL_ARG_DST, out}};
  for (size_t k = 0; k < ids.size(); ++k) args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(k), ids[k]);
  add_prim("Concat", dnnl::concat(pd), args);
  by_name[n.outputs.at(0)] = out;
  return core::Ok{};
}

core::Status Session::Impl::plan_pool(const Node& n) {
  auto x = value_of(n, n.inputs.at(0));
  if (!x) return x.error();
  const dims_t xd = vals[static_cast<size_t>(*x)].dims;
  if (xd.size() != 4) return unsupported(n, "on a non-NCHW input");
  dims_t kernel, strides{1, 1}, pads{0, 0, 0, 0};
  algorithm alg = algorithm::pooling_max;
  if (n.op == "GlobalAveragePool" || n.op == "GlobalMaxPool") {
    kernel = {xd[2], xd[3]};
    alg = n.op == "GlobalMaxPool" ? algorithm::pooling_max : algorithm::pooling_avg_exclude_padding;
  } else {
    kernel = n.attr_ints("kernel_shape");
    strides = n.attr_ints("strides", {1, 1});
    pads = n.attr_ints("pads", {0, 0, 0, 0});
    if (n.attr_s("auto_pad", "NOTSET") != "NOTSET") return unsupported(n, "with auto_pad is not supported");
    if (!n.attr_ints("dilations").empty() && n.attr_ints("dilations") != dims_t{1, 1})
      return unsupported(n, "with dilations is not supported");
    if (n.op == "AveragePool")
      alg = n.attr_i("count_include_pad", 0) ? algorithm::pooling_avg_include_padding
                                             : algorithm::pooling_avg_exclude_padding;
  }
  if (kernel.size() != 2) return unsupported(n, "with a non-2-D kernel");
  dims_t od{xd[0], xd[1], 0, 0};
  for (size_t a = 0; a < 2; ++a) {
    const int64_t span = xd[2 + a] + pads[a] + pads[a + 2] - kernel[a];
    int64_t o = span / strides[a] + 1;
    if (n.attr_i("ceil_mode", 0) && span % strides[a] != 0) {
      o += 1;
      pads[a + 2] += strides[a] - span % strides[a];
    }
    od[2 + a] = o;
  }
  dnnl::pooling_forward::primitive_desc pd(
      dnnl::pooling_forward::desc(prop_kind::forward_inference, alg, vals[static_cast<size_t>(*x)].md,
                                  memory::desc(od, dt::f32, tag::any), strides, kernel, {pads[0], pads[1]},
                                  {pads[2], pads[3]}),
      eng);
  const int src = ensure(*x, pd.src_desc());
  const int out = new_value(od, pd.dst_desc());
  add_prim(n.op, dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}});
  by_name[n.outputs.at(0)] = out;
  return core::Ok{};
}

core::Status Session::Impl::plan_resize(const Node& n) {
  auto x = value_of(n, n.inputs.at(0));
  if (!x) return x.error();
  const dims_t xd = vals[static_cast<size_t>(*x)].dims;
  if (xd.size() != 4) return unsupported(n, "on a non-NCHW input");
  dims_t od = xd;
  // Upsample(X, scales) or Resize(X, roi, scales, sizes).
  const std::string scales_name = n.op == "Upsample" ? n.inputs.at(1) : (n.inputs.size() > 2 ? n.inputs[2] : "");
  const std::string sizes_name = n.op == "Resize" && n.inputs.size() > 3 ? n.inputs[3] : "";
  if (!sizes_name.empty() && consts.count(sizes_name) && consts.at(sizes_name).numel() == 4) {
    od = const_ints(sizes_name);
  } else if (!scales_name.empty() && consts.count(scales_name) && consts.at(scales_name).numel() == 4) {
    const auto s = const_floats(scales_name);
    for (size_t a = 0; a < 4; ++a) od[a] = static_cast<int64_t>(std::floor(static_cast<float>(xd[a]) * s[a]));
  } else {
    return unsupported(n, "without constant scales or sizes is not supported");
  }
  if (od[0] != xd[0] || od[1] != xd[1]) return unsupported(n, "resizing batch or channels is not supported");
  const std::string mode = n.attr_s("mode", "nearest");
  const std::string ctm = n.attr_s("coordinate_transformation_mode", "half_pixel");
  algorithm alg;
  if (mode == "nearest") {
    if (od[2] % xd[2] != 0 || od[3] % xd[3] != 0)
      return unsupported(n, "in nearest mode is supported for integer scale factors only");
    alg = algorithm::resampling_nearest;
  } else if (mode == "linear" || mode == "bilinear") {
    if (ctm != "half_pixel" && ctm != "pytorch_half_pixel")
      return unsupported(n, fmt::format("in linear mode with coordinate_transformation_mode '{}'", ctm));
    alg = algorithm::resampling_linear;
  } else {
    return unsupported(n, fmt::format("in mode '{}' is not supported", mode));
  }
  dnnl::resampling_forward::primitive_desc pd(
      dnnl::resampling_forward::desc(prop_kind::forward_inference, alg, vals[static_cast<size_t>(*x)].md,
                                     memory::desc(od, dt::f32, tag::any)),
      eng);
  const int src = ensure(*x, pd.src_desc());
  const int out = new_value(od, pd.dst_desc());
  add_prim(n.op, dnnl::resampling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}});
  by_name[n.outputs.at(0)] = out;
  return core::Ok{};
}

core::Status Session::Impl::plan_softmax(const Node& n) {
  auto x = value_of(n, n.inputs.at(0));
  if (!x) return x.error();
  const int src = plain(*x);
  const dims_t d = vals[static_cast<size_t>(src)].dims;
  const auto axis = norm_axis(n.attr_i("axis", -1), d.size());
  dnnl::softmax_forward::primitive_desc pd(
      dnnl::softmax_forward::desc(prop_kind::forward_inference, vals[static_cast<size_t>(src)].md,
                                  static_cast<int>(axis)),
      eng);
  const int out = new_value(d, pd.dst_desc());
  add_prim("Softmax", dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}});
  by_name[n.outputs.at(0)] = out;
  return core::Ok{};
}

// ---- operators of the PP-OCRv4 models (issue 12: plates on the fast backend) ------------------

/// A plain value of dims `d` holding the same bytes as plain value `src` (a reshape by copy).
int Session::Impl::alias_value(int src, const dims_t& d) {
  const int alias = new_value(d, plain_md(d));
  add_cpu("Reshape", {src}, {alias}, [this, src, alias] {
    std::memcpy(ptr(alias), ptr(src), static_cast<size_t>(numel(vals[static_cast<size_t>(alias)].dims)) * 4);
  });
  return alias;
}

core::Status Session::Impl::plan_reduce(const Node& n) {
  auto x = value_of(n, n.inputs.at(0));
  if (!x) return x.error();
  const int src = plain(*x);
  const dims_t xd = vals[static_cast<size_t>(src)].dims;
  dims_t axes = n.attr_ints("axes");
  if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
    if (!is_const(n.inputs[1])) return unsupported(n, "with run-time axes is not supported");
    axes = const_ints(n.inputs[1]);
  }
  if (axes.empty())
    for (size_t k = 0; k < xd.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  dims_t kd = xd, od;
  for (auto& a : axes) kd[static_cast<size_t>(norm_axis(a, xd.size()))] = 1;
  for (size_t k = 0; k < xd.size(); ++k) {
    const bool reduced = std::any_of(axes.begin(), axes.end(),
                                     [&](int64_t a) { return norm_axis(a, xd.size()) == static_cast<int64_t>(k); });
    if (!reduced || n.attr_i("keepdims", 1)) od.push_back(kd[k]);
  }
  if (od.empty()) od = {1};
  const algorithm alg = n.op == "ReduceMean"  ? algorithm::reduction_mean
                        : n.op == "ReduceSum" ? algorithm::reduction_sum
                                              : algorithm::reduction_max;
  dnnl::reduction::primitive_desc pd;
  try {
    pd = dnnl::reduction::primitive_desc(dnnl::reduction::desc(alg, plain_md(xd), plain_md(kd), 0.f, 0.f), eng);
  } catch (const dnnl::error& e) {
    return unsupported(n, fmt::format("on {} could not be planned: {}", dims_str(xd), e.what()));
  }
  int out = new_value(kd, pd.dst_desc());
  add_prim(n.op, dnnl::reduction(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}});
  if (od != kd) out = alias_value(out, od);
  by_name[n.outputs.at(0)] = out;
  return core::Ok{};
}

core::Status Session::Impl::plan_pow(const Node& n) {
  if (!is_const(n.inputs.at(1)) || consts.at(n.inputs[1]).numel() != 1)
    return unsupported(n, "with a run-time or non-scalar exponent is not supported");
  const float e = const_floats(n.inputs[1]).at(0);
  if (e == 2.f) return plan_eltwise(n, algorithm::eltwise_square, 0.f, 0.f);
  return plan_eltwise(n, algorithm::eltwise_pow, 1.f, e);
}

/// MatMul on plain row-major data (batched, numpy broadcasting of batch dimensions); a constant
/// right operand is a weight matrix, and a following Add of a constant row vector its bias.
core::Status Session::Impl::plan_matmul(size_t k) {
  const Node& n = graph->nodes[k];
  if (is_const(n.inputs.at(0))) return unsupported(n, "with a constant first operand is not supported");
  auto xa = value_of(n, n.inputs[0]);
  if (!xa) return xa.error();
  int a = plain(*xa);
  const dims_t da = vals[static_cast<size_t>(a)].dims;
  const bool b_const = is_const(n.inputs.at(1));
  dims_t db;
  int b = -1;
  if (b_const) {
    db = consts.at(n.inputs[1]).dims;
  } else {
    auto xb = value_of(n, n.inputs[1]);
    if (!xb) return xb.error();
    b = plain(*xb);
    db = vals[static_cast<size_t>(b)].dims;
  }
  if (da.size() < 2 || db.size() < 2) return unsupported(n, "on vectors is not supported");
  const size_t rank = std::max(da.size(), db.size());
  dims_t pa = da, pb = db;
  while (pa.size() < rank) pa.insert(pa.begin(), 1);
  while (pb.size() < rank) pb.insert(pb.begin(), 1);
  if (pa[rank - 1] != pb[rank - 2])
    return unsupported(n, fmt::format("on shapes {} and {}", dims_str(da), dims_str(db)));
  dims_t od(rank);
  for (size_t i = 0; i + 2 < rank; ++i) {
    if (pa[i] != pb[i] && pa[i] != 1 && pb[i] != 1)
      return unsupported(n, fmt::format("on shapes {} and {}", dims_str(da), dims_str(db)));
    od[i] = std::max(pa[i], pb[i]);
  }
  od[rank - 2] = pa[rank - 2];
  od[rank - 1] = pb[rank - 1];
  if (pa != da) a = alias_value(a, pa);
  // Bias: MatMul -> Add(constant of N values), the Add read only here.
  std::string out_name = n.outputs.at(0);
  std::vector<float> bias;
  size_t ci = 0;
  if (const Node* c = sole_consumer(out_name, &ci); c && c->op == "Add" && b_const) {
    const std::string& other = c->inputs.at(0) == out_name ? c->inputs.at(1) : c->inputs.at(0);
    if (consts.count(other) && consts.at(other).numel() == od[rank - 1] && !consts.at(other).is_int) {
      bias = const_floats(other);
      skip[ci] = true;
      out_name = c->outputs.at(0);
    }
  }
  dims_t bias_dims(rank, 1);
  bias_dims[rank - 1] = od[rank - 1];
  dnnl::matmul::primitive_desc pd;
  try {
    const dnnl::matmul::desc d =
        bias.empty() ? dnnl::matmul::desc(plain_md(pa), plain_md(pb), plain_md(od))
                     : dnnl::matmul::desc(plain_md(pa), plain_md(pb), plain_md(bias_dims), plain_md(od));
    pd = dnnl::matmul::primitive_desc(d, eng);
  } catch (const dnnl::error& e) {
    return unsupported(n, fmt::format("on {} x {} could not be planned: {}", dims_str(da), dims_str(db), e.what()));
  }
  std::unordered_map<int, memory> fixed;
  std::vector<std::pair<int, int>> args{{DNNL_ARG_SRC, a}};
  if (b_const) {
    memory wmem(pd.weights_desc(), eng, alloc(pd.weights_desc().get_size()));
    const auto w = const_floats(n.inputs[1]);
    std::copy(w.begin(), w.end(), static_cast<float*>(wmem.get_data_handle()));
    fixed[DNNL_ARG_WEIGHTS] = wmem;
  } else {
    if (pb != db) b = alias_value(b, pb);
    args.emplace_back(DNNL_ARG_WEIGHTS, b);
  }
  if (!bias.empty()) {
    memory bmem(pd.bias_desc(), eng, alloc(bias.size() * sizeof(float)));
    std::copy(bias.begin(), bias.end(), static_cast<float*>(bmem.get_data_handle()));
    fixed[DNNL_ARG_BIAS] = bmem;
  }
  const int out = new_value(od, pd.dst_desc());
  args.emplace_back(DNNL_ARG_DST, out);
  const int step = add_prim("MatMul", dnnl::matmul(pd), args, fixed);
  steps[static_cast<size_t>(step)].detail =
      fmt::format("{} x {}{} [{}]", dims_str(pa), dims_str(pb), bias.empty() ? "" : " + bias", pd.impl_info_str());
  by_name[out_name] = out;
  int64_t batch = 1;
  for (size_t i = 0; i + 2 < rank; ++i) batch *= od[i];
  stats.gflop += 2.0 * static_cast<double>(batch * od[rank - 2] * od[rank - 1] * pa[rank - 1]) / 1e9;
  return core::Ok{};
}

/// ConvTranspose (2-D, float, constant weights) with a following BatchNormalization folded in and a
/// ReLU or sigmoid fused.
core::Status Session::Impl::plan_deconv(size_t k) {
  const Node& n = graph->nodes[k];
  auto in = conv_inputs(n, 1);
  if (!in) return in.error();
  const int* xid = &in->x;
  Tensor& w = in->w;
  std::vector<float>& bias = in->bias;
  const dims_t xd = in->xd;
  const int64_t g = n.attr_i("group", 1);
  if (g != 1) return unsupported(n, "with groups is not supported");
  const int64_t ic = w.dims[0], oc = w.dims[1], kh = w.dims[2], kw = w.dims[3];
  if (ic != xd[1]) return unsupported(n, fmt::format("input channels {} do not match the weights", xd[1]));
  const auto strides = n.attr_ints("strides", {1, 1}), dil = n.attr_ints("dilations", {1, 1});
  const auto pads = n.attr_ints("pads", {0, 0, 0, 0}), opad = n.attr_ints("output_padding", {0, 0});
  if (n.attr_s("auto_pad", "NOTSET") != "NOTSET" || n.has("output_shape"))
    return unsupported(n, "with auto_pad or output_shape is not supported");
  std::string out_name = n.outputs.at(0);
  size_t ci = 0;
  // A per-channel constant added after it (PP-OCR's DB head keeps the bias apart): into the bias.
  if (const Node* c = sole_consumer(out_name, &ci); c && c->op == "Add" && c->inputs.size() == 2) {
    const std::string& other = c->inputs[0] == out_name ? c->inputs[1] : c->inputs[0];
    if (consts.count(other) && !consts.at(other).is_int) {
      dims_t bd = consts.at(other).dims;
      while (bd.size() < 4) bd.insert(bd.begin(), 1);
      const auto add = const_floats(other);
      if (bd.size() == 4 && bd[0] == 1 && bd[2] == 1 && bd[3] == 1 && (bd[1] == oc || bd[1] == 1)) {
        for (size_t o = 0; o < bias.size(); ++o) bias[o] += add[bd[1] == 1 ? 0 : o];
        skip[ci] = true;
        out_name = c->outputs.at(0);
      }
    }
  }
  fold_batchnorm(&out_name, w.f, bias, ic, kh * kw);
  dims_t od{xd[0], oc, 0, 0};
  for (size_t a = 0; a < 2; ++a)
    od[2 + a] =
        (xd[2 + a] - 1) * strides[a] - pads[a] - pads[a + 2] + (a == 0 ? kh - 1 : kw - 1) * dil[a] + 1 + opad[a];
  // Kernel = stride, no padding (DB's 2x2 upsampling): every input pixel writes its own kh x kw
  // output patch, so this is a 1x1 convolution to oc * kh * kw channels and a depth-to-space. With
  // fewer output channels than a whole number of blocks that beats oneDNN's deconvolution, which
  // runs only in the padded blocked layout (24 -> 1: 16x the arithmetic, 4.6 ms; as a 1x1 convolution
  // 0.1 ms).
  if (const int64_t block = channel_block().second; oc % block != 0 && block < (1 << 30) && kh == strides[0] &&
                                                    kw == strides[1] && dil == dims_t{1, 1} &&
                                                    pads == dims_t{0, 0, 0, 0} && opad == dims_t{0, 0})
    if (plan_deconv_as_conv(*xid, w.f, bias, w.dims, od, out_name)) return core::Ok{};
  dnnl::post_ops po;
  // (A fused sigmoid made oneDNN 2.6's deconvolution 10x slower: only ReLU is fused.)
  if (const Node* c = sole_consumer(out_name, &ci); c && c->op == "Relu") {
    po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    skip[ci] = true;
    out_name = c->outputs.at(0);
    ++stats.fused_activations;
  }
  const dims_t wd{oc, ic, kh, kw};
  // Blocked (channels padded to the block) in and out: in other layouts oneDNN 2.6 runs reference loops.
  const tag block_tag = channel_block().first;
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);
  dnnl::deconvolution_forward::primitive_desc pd;
  try {
    dnnl::deconvolution_forward::desc d(
        prop_kind::forward_inference, algorithm::deconvolution_direct, memory::desc(xd, dt::f32, block_tag),
        memory::desc(wd, dt::f32, tag::any), memory::desc({oc}, dt::f32, tag::a), memory::desc(od, dt::f32, block_tag),
        {strides[0], strides[1]}, {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]}, {pads[2] - opad[0], pads[3] - opad[1]});
    pd = dnnl::deconvolution_forward::primitive_desc(d, attr, eng);
  } catch (const dnnl::error& e) {
    return unsupported(n, fmt::format("could not be planned: {}", e.what()));
  }
  const int src = ensure(*xid, pd.src_desc());
  // ONNX keeps ConvTranspose weights as [in, out, kh, kw]: oneDNN's iohw.
  auto fixed = fixed_weights(memory::desc(wd, dt::f32, tag::iohw), w.f.data(), pd.weights_desc(), pd.bias_desc(), bias);
  const int out = new_value(od, pd.dst_desc());
  const int step = add_prim("ConvTranspose", dnnl::deconvolution_forward(pd),
                            {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}}, std::move(fixed));
  steps[static_cast<size_t>(step)].detail = fmt::format("{}x{} {}->{} @{}x{} s{} post-ops {} [{}]", kh, kw, ic, oc,
                                                        od[2], od[3], strides[0], po.len(), pd.impl_info_str());
  // Fewer channels than a block (DB's one-channel map): plain at once, so that what follows does not
  // run over the padding.
  by_name[out_name] = oc < channel_block().second ? plain(out) : out;
  stats.gflop += 2.0 * static_cast<double>(numel(xd)) * static_cast<double>(oc * kh * kw) / 1e9;
  return core::Ok{};
}

/// A ConvTranspose whose kernel equals its stride and that has no padding, as a 1x1 convolution (NHWC
/// in and out: oneDNN's brgemm 1x1 kernel, no channel padding) to kh * kw * oc channels, channel
/// (a * kw + b) * oc + o holding output pixel (y * kh + a, x * kw + b) of channel o, then a
/// depth-to-space copy into the NHWC result (runs of oc floats). A following ReLU or sigmoid runs as
/// the convolution's post-op. False where oneDNN offers only reference loops for it (the caller then
/// plans the deconvolution).
bool Session::Impl::plan_deconv_as_conv(int x, const std::vector<float>& w, const std::vector<float>& bias,
                                        const dims_t& wdims, const dims_t& od, std::string out_name) {
  const int64_t ic = wdims[0], oc = wdims[1], kh = wdims[2], kw = wdims[3];
  const dims_t xd = vals[static_cast<size_t>(x)].dims;
  const int64_t cc = oc * kh * kw;
  dnnl::post_ops po;
  size_t ci = 0;
  const Node* act = sole_consumer(out_name, &ci);
  if (act && act->op == "Relu")
    po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
  else if (act && act->op == "Sigmoid")
    po.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f);
  else
    act = nullptr;
  const dims_t cd{xd[0], cc, xd[2], xd[3]};
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);
  dnnl::convolution_forward::primitive_desc pd;
  try {
    dnnl::convolution_forward::desc d(
        prop_kind::forward_inference, algorithm::convolution_direct, memory::desc(xd, dt::f32, tag::nhwc),
        memory::desc({cc, ic, 1, 1}, dt::f32, tag::any), memory::desc({cc}, dt::f32, tag::a),
        memory::desc(cd, dt::f32, tag::nhwc), {1, 1}, {0, 0}, {0, 0}, {0, 0});
    pd = dnnl::convolution_forward::primitive_desc(d, attr, eng);
  } catch (const dnnl::error&) {
    return false;
  }
  if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return false;
  // ONNX's [ic, oc, kh, kw] weights to the 1x1 convolution's [kh * kw * oc, ic].
  std::vector<float> w2(static_cast<size_t>(cc * ic)), b2(static_cast<size_t>(cc));
  for (int64_t o = 0; o < oc; ++o)
    for (int64_t t = 0; t < kh * kw; ++t) {
      const int64_t c = t * oc + o;
      b2[static_cast<size_t>(c)] = bias[static_cast<size_t>(o)];
      for (int64_t i = 0; i < ic; ++i)
        w2[static_cast<size_t>(c * ic + i)] = w[static_cast<size_t>((i * oc + o) * kh * kw + t)];
    }
  auto fixed =
      fixed_weights(memory::desc({cc, ic, 1, 1}, dt::f32, tag::oihw), w2.data(), pd.weights_desc(), pd.bias_desc(), b2);
  const int src = ensure(x, pd.src_desc());
  const int mid = new_value(cd, pd.dst_desc());
  const int step = add_prim("ConvTranspose", dnnl::convolution_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, mid}},
                            std::move(fixed));
  steps[static_cast<size_t>(step)].detail =
      fmt::format("{}x{} {}->{} @{}x{} s{} as 1x1 {}->{} post-ops {} [{}]", kh, kw, ic, oc, od[2], od[3], kh, ic, cc,
                  po.len(), pd.impl_info_str());
  // (One channel: NHWC and plain NCHW are the same bytes; plain, so that no reader converts it.)
  const int out = new_value(od, oc == 1 ? plain_md(od) : memory::desc(od, dt::f32, tag::nhwc));
  add_cpu("DepthToSpace", {mid}, {out}, [this, mid, out, nb = xd[0], oc, kh, kw, h = xd[2], wi = xd[3]] {
    const float* in = ptr(mid);
    float* y = ptr(out);
    const int64_t cc = kh * kw * oc, row = wi * kw * oc;
    for (int64_t r = 0; r < nb * h; ++r)
      for (int64_t a = 0; a < kh; ++a) {
        float* dst = y + (r * kh + a) * row;
        const float* src = in + r * wi * cc + a * kw * oc;
        if (oc == 1) {
          for (int64_t j = 0; j < wi; ++j)
            for (int64_t v = 0; v < kw; ++v) dst[j * kw + v] = src[j * cc + v];
        } else {
          for (int64_t j = 0; j < wi; ++j) std::memcpy(dst + j * kw * oc, src + j * cc, sizeof(float) * kw * oc);
        }
      }
  });
  if (act) {
    skip[ci] = true;
    out_name = act->outputs.at(0);
    ++stats.fused_activations;
  }
  by_name[out_name] = out;
  ++stats.deconvs_as_conv;
  stats.gflop += 2.0 * static_cast<double>(numel(xd)) * static_cast<double>(oc * kh * kw) / 1e9;
  return true;
}

/// A BatchNormalization that no convolution absorbed: y = x * scale + shift per channel.
core::Status Session::Impl::plan_batch_norm(const Node& n) {
  auto x = value_of(n, n.inputs.at(0));
  if (!x) return x.error();
  for (size_t i = 1; i < 5; ++i)
    if (!consts.count(n.inputs.at(i))) return unsupported(n, "with run-time statistics is not supported");
  const dims_t xd = vals[static_cast<size_t>(*x)].dims;
  if (xd.size() != 4) return unsupported(n, "on a non-NCHW input");
  const auto gamma = const_floats(n.inputs[1]), beta = const_floats(n.inputs[2]);
  const auto mean = const_floats(n.inputs[3]), var = const_floats(n.inputs[4]);
  const float eps = n.attr_f("epsilon", 1e-5f);
  const memory::desc md = vals[static_cast<size_t>(*x)].md;
  dnnl::batch_normalization_forward::primitive_desc pd(
      dnnl::batch_normalization_forward::desc(prop_kind::forward_inference, md, eps,
                                              dnnl::normalization_flags::use_global_stats |
                                                  dnnl::normalization_flags::use_scale |
                                                  dnnl::normalization_flags::use_shift),
      eng);
  auto fixed_vec = [&](const std::vector<float>& v) {
    memory m(memory::desc({static_cast<int64_t>(v.size())}, dt::f32, tag::a), eng, alloc(v.size() * sizeof(float)));
    std::copy(v.begin(), v.end(), static_cast<float*>(m.get_data_handle()));
    return m;
  };
  const int out = new_value(xd, pd.dst_desc());
  add_prim("BatchNormalization", dnnl::batch_normalization_forward(pd), {{DNNL_ARG_SRC, *x}, {DNNL_ARG_DST, out}},
           {{DNNL_ARG_MEAN, fixed_vec(mean)},
            {DNNL_ARG_VARIANCE, fixed_vec(var)},
            {DNNL_ARG_SCALE, fixed_vec(gamma)},
            {DNNL_ARG_SHIFT, fixed_vec(beta)}});
  by_name[n.outputs.at(0)] = out;
  return core::Ok{};
}

/// Reshape-like and data-movement operators on plain row-major data.
core::Status Session::Impl::plan_layout_op(const Node& n) {
  auto x = value_of(n, n.inputs.at(0));
  if (!x) return x.error();
  const int src = plain(*x);
  const dims_t xd = vals[static_cast<size_t>(src)].dims;
  const dims_t xs = plain_strides(xd);
  const size_t rank = xd.size();
  auto emit_copy = [&](const std::string& out_name, const dims_t& od, int64_t base, const dims_t& in_strides) {
    const int out = new_value(od, plain_md(od));
    add_cpu(n.op, {src}, {out},
            [this, src, out, od, base, in_strides] { strided_copy(ptr(src), base, in_strides, od, ptr(out)); });
    by_name[out_name] = out;
  };
  if (n.op == "Reshape" || n.op == "Flatten" || n.op == "Squeeze" || n.op == "Unsqueeze") {
    // Fold the shape arithmetic on a stand-in constant of the same dims.
    Tensor shape_only;
    shape_only.dims = xd;
    Node tmp = n;
    const std::string stand_in = "\x01shape:" + n.inputs[0];
    tmp.inputs[0] = stand_in;
    tmp.outputs = {stand_in + ":out"};
    consts[stand_in] = shape_only;
    if (auto st = fold(tmp); !st) return st.error();
    --stats.folded_nodes;
    const dims_t od = consts.at(tmp.outputs[0]).dims;
    consts.erase(stand_in);
    consts.erase(tmp.outputs[0]);
    if (numel(od) != numel(xd)) return unsupported(n, fmt::format("from {} to {}", dims_str(xd), dims_str(od)));
    emit_copy(n.outputs.at(0), od, 0, plain_strides(od));
    return core::Ok{};
  }
  if (n.op == "Transpose") {
    dims_t perm = n.attr_ints("perm");
    if (perm.empty())
      for (size_t k = rank; k-- > 0;) perm.push_back(static_cast<int64_t>(k));
    dims_t od, is;
    for (auto p : perm) {
      od.push_back(xd[static_cast<size_t>(p)]);
      is.push_back(xs[static_cast<size_t>(p)]);
    }
    emit_copy(n.outputs.at(0), od, 0, is);
    return core::Ok{};
  }
  if (n.op == "Slice") {
    dims_t starts, ends, axes, steps;
    if (n.inputs.size() >= 3) {
      for (size_t k = 1; k < n.inputs.size(); ++k)
        if (!is_const(n.inputs[k])) return unsupported(n, "with run-time bounds is not supported");
      starts = const_ints(n.inputs[1]);
      ends = const_ints(n.inputs[2]);
      if (n.inputs.size() > 3 && !n.inputs[3].empty()) axes = const_ints(n.inputs[3]);
      if (n.inputs.size() > 4 && !n.inputs[4].empty()) steps = const_ints(n.inputs[4]);
    } else {
      starts = n.attr_ints("starts");
      ends = n.attr_ints("ends");
      axes = n.attr_ints("axes");
    }
    if (axes.empty())
      for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
    if (steps.empty()) steps.assign(starts.size(), 1);
    dims_t od = xd, is = xs;
    int64_t base = 0;
    for (size_t k = 0; k < axes.size(); ++k) {
      const auto a = static_cast<size_t>(norm_axis(axes[k], rank));
      const int64_t len = xd[a], st = steps[k];
      if (st <= 0) return unsupported(n, "with a non-positive step is not supported");
      int64_t b = starts[k], e = ends[k];
      if (b < 0) b += len;
      if (e < 0) e += len;
      b = std::clamp<int64_t>(b, 0, len);
      e = std::clamp<int64_t>(e, 0, len);
      od[a] = e > b ? (e - b + st - 1) / st : 0;
      is[a] = xs[a] * st;
      base += b * xs[a];
    }
    emit_copy(n.outputs.at(0), od, base, is);
    return core::Ok{};
  }
  if (n.op == "Split") {
    const auto axis = static_cast<size_t>(norm_axis(n.attr_i("axis", 0), rank));
    dims_t parts = n.attr_ints("split");
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) parts = const_ints(n.inputs[1]);
    if (parts.empty()) parts.assign(n.outputs.size(), xd[axis] / static_cast<int64_t>(n.outputs.size()));
    bool outer_is_one = true;
    for (size_t k = 0; k < axis; ++k) outer_is_one = outer_is_one && xd[k] == 1;
    auto& sv = vals[static_cast<size_t>(src)];
    if (outer_is_one && !sv.fixed && sv.parent < 0) {
      // Leading dimensions of 1: each part is a contiguous range of the input, so a view, no copy.
      int64_t off = 0;
      for (size_t k = 0; k < n.outputs.size(); ++k) {
        dims_t od = xd;
        od[axis] = parts.at(k);
        const int view = new_value(od, plain_md(od));
        vals[static_cast<size_t>(view)].parent = src;
        vals[static_cast<size_t>(view)].offset = static_cast<size_t>(off * xs[axis]) * sizeof(float);
        by_name[n.outputs[k]] = view;
        off += parts[k];
      }
      vals[static_cast<size_t>(src)].has_views = true;
      ++stats.zero_copy_splits;
      return core::Ok{};
    }
    int64_t off = 0;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      dims_t od = xd;
      od[axis] = parts.at(k);
      emit_copy(n.outputs[k], od, off * xs[axis], xs);
      off += parts[k];
    }
    return core::Ok{};
  }
  return unsupported(n, "is not supported by the fast backend");
}

core::Status Session::Impl::plan_node(size_t k) {
  const Node& n = graph->nodes[k];
  bool all_const = !n.inputs.empty() || n.op == "Constant";
  for (const auto& in : n.inputs) all_const = all_const && is_const(in);
  if (n.op == "Shape" && by_name.count(n.inputs.at(0))) all_const = true;
  if (all_const) return fold(n);
  const std::string& op = n.op;
  if (op == "Conv") return plan_conv(k);
  if (op == "Relu") return plan_eltwise(n, algorithm::eltwise_relu, 0.f, 0.f);
  if (op == "LeakyRelu") return plan_eltwise(n, algorithm::eltwise_relu, n.attr_f("alpha", 0.01f), 0.f);
  if (op == "Sigmoid") return plan_eltwise(n, algorithm::eltwise_logistic, 0.f, 0.f);
  if (op == "Tanh") return plan_eltwise(n, algorithm::eltwise_tanh, 0.f, 0.f);
  if (op == "Exp") return plan_eltwise(n, algorithm::eltwise_exp, 0.f, 0.f);
  if (op == "Sqrt") return plan_eltwise(n, algorithm::eltwise_sqrt, 0.f, 0.f);
  if (op == "HardSwish") return plan_eltwise(n, algorithm::eltwise_hardswish, 0.f, 0.f);
  if (op == "HardSigmoid") {
    dnnl::post_ops po;
    po.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 1.f);
    return plan_eltwise(n, algorithm::eltwise_linear, n.attr_f("alpha", 0.2f), n.attr_f("beta", 0.5f), po);
  }
  if (op == "Clip") {
    float lo = n.attr_f("min", -INFINITY), hi = n.attr_f("max", INFINITY);
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) lo = const_floats(n.inputs[1]).at(0);
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) hi = const_floats(n.inputs[2]).at(0);
    return plan_eltwise(n, algorithm::eltwise_clip, lo, hi);
  }
  if (op == "Identity" || op == "Dropout") {
    auto x = value_of(n, n.inputs.at(0));
    if (!x) return x.error();
    by_name[n.outputs.at(0)] = *x;
    return core::Ok{};
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return plan_binary(n);
  if (op == "Concat") return plan_concat(n);
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool") return plan_pool(n);
  if (op == "Resize" || op == "Upsample") return plan_resize(n);
  if (op == "Softmax") return plan_softmax(n);
  if (op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax") return plan_reduce(n);
  if (op == "MatMul") return plan_matmul(k);
  if (op == "ConvTranspose") return plan_deconv(k);
  if (op == "BatchNormalization") return plan_batch_norm(n);
  if (op == "Pow") return plan_pow(n);
  return plan_layout_op(n);
}

// ---- memory plan: one arena of reused buffers ------------------------------------------------

core::Status Session::Impl::finalize() {
  // Live ranges of buffer owners ("roots"); a zero-copy concat input lives in its parent's buffer.
  auto root = [&](int id) {
    return vals[static_cast<size_t>(id)].parent >= 0 ? vals[static_cast<size_t>(id)].parent : id;
  };
  for (int id : output_ids) vals[static_cast<size_t>(root(id))].output = vals[static_cast<size_t>(id)].output = true;
  for (size_t s = 0; s < steps.size(); ++s) {
    for (const auto* list : {&steps[s].writes, &steps[s].reads})
      for (int id : *list) {
        auto& r = vals[static_cast<size_t>(root(id))];
        r.first = std::min(r.first, static_cast<int>(s));
        r.last = std::max(r.last, static_cast<int>(s));
      }
  }
  std::vector<std::vector<int>> alloc_at(steps.size()), release_at(steps.size());
  for (size_t id = 0; id < vals.size(); ++id) {
    const auto& v = vals[id];
    if (v.fixed || v.parent >= 0 || v.last < 0) continue;
    alloc_at[static_cast<size_t>(v.first)].push_back(static_cast<int>(id));
    if (!v.output) release_at[static_cast<size_t>(v.last)].push_back(static_cast<int>(id));
  }
  struct Slot {
    size_t size = 0;
    bool busy = false;
  };
  std::vector<Slot> slots;
  std::vector<int> slot_of(vals.size(), -1);
  for (size_t s = 0; s < steps.size(); ++s) {
    for (int id : alloc_at[s]) {
      const size_t need = vals[static_cast<size_t>(id)].md.get_size();
      stats.naive_bytes += static_cast<int64_t>(need);
      int best = -1, largest = -1;
      for (size_t k = 0; k < slots.size(); ++k) {
        if (slots[k].busy) continue;
        if (slots[k].size >= need && (best < 0 || slots[k].size < slots[static_cast<size_t>(best)].size))
          best = static_cast<int>(k);
        if (largest < 0 || slots[k].size > slots[static_cast<size_t>(largest)].size) largest = static_cast<int>(k);
      }
      if (best < 0 && largest >= 0) {
        best = largest;
        slots[static_cast<size_t>(best)].size = need;
      }
      if (best < 0) {
        slots.push_back({need, false});
        best = static_cast<int>(slots.size()) - 1;
      }
      slots[static_cast<size_t>(best)].busy = true;
      slot_of[static_cast<size_t>(id)] = best;
    }
    for (int id : release_at[s]) slots[static_cast<size_t>(slot_of[static_cast<size_t>(id)])].busy = false;
  }
  std::vector<char*> base(slots.size());
  for (size_t k = 0; k < slots.size(); ++k) {
    base[k] = reinterpret_cast<char*>(alloc(slots[k].size));
    stats.arena_bytes += static_cast<int64_t>(slots[k].size);
  }
  for (size_t id = 0; id < vals.size(); ++id) {
    auto& v = vals[id];
    if (v.fixed) continue;
    const int r = root(static_cast<int>(id));
    if (slot_of[static_cast<size_t>(r)] < 0) {  // planned but never used: memory of its own
      v.mem = memory(v.md, eng, alloc(v.md.get_size()));
      continue;
    }
    v.mem = memory(v.md, eng, base[static_cast<size_t>(slot_of[static_cast<size_t>(r)])] + v.offset);
  }
  for (auto& s : steps)
    for (auto [arg, id] : s.val_args) s.args[arg] = vals[static_cast<size_t>(id)].mem;
  stats.steps = static_cast<int>(steps.size());
  return core::Ok{};
}

// ---- public ---------------------------------------------------------------------------------

Session::Session() : impl_(std::make_unique<Impl>()) {}
Session::~Session() = default;

core::Result<std::unique_ptr<Session>> Session::create(Graph graph, const std::vector<int64_t>& input_dims,
                                                       const SessionOptions& options) {
  std::unique_ptr<Session> s(new Session());
  auto& im = *s->impl_;
  im.model = graph.model_name;
  im.threads = options.threads > 0 ? options.threads : available_cores();
  omp_set_num_threads(im.threads);
  if (graph.inputs.size() != 1)
    return make_error("model_unsupported",
                      fmt::format("model '{}': {} inputs (the fast backend runs single-input models)", im.model,
                                  graph.inputs.size()));
  im.stats.space_to_depth_convs = fuse_space_to_depth_conv(graph);
  im.consts = std::move(graph.constants);
  graph.constants.clear();
  im.graph = &graph;
  for (size_t k = 0; k < graph.nodes.size(); ++k)
    for (const auto& in : graph.nodes[k].inputs)
      if (!in.empty()) im.consumers[in].push_back(k);
  im.skip.assign(graph.nodes.size(), false);
  im.opts = options;
  if (options.int8) {
    // Convolutions kept in fp32: the first (reading the image) and the heads (no convolution after
    // them), where quantisation costs the most accuracy for the least time.
    std::vector<bool> reaches_conv(graph.nodes.size(), false);
    for (size_t k = graph.nodes.size(); k-- > 0;)
      for (const auto& o : graph.nodes[k].outputs)
        if (auto it = im.consumers.find(o); it != im.consumers.end())
          for (size_t c : it->second)
            if (graph.nodes[c].op == "Conv" || reaches_conv[c]) reaches_conv[k] = true;
    for (size_t k = 0; k < graph.nodes.size(); ++k) {
      const Node& n = graph.nodes[k];
      if (n.op != "Conv") continue;
      if ((options.int8_first_conv_fp32 && n.inputs.at(0) == graph.inputs[0].name) ||
          (options.int8_head_convs_fp32 && !reaches_conv[k]))
        im.fp32_convs.insert(n.outputs.at(0));
    }
  }
  try {
    im.input_id = im.new_value(input_dims, plain_md(input_dims));
    auto& iv = im.vals[static_cast<size_t>(im.input_id)];
    iv.fixed = true;
    iv.mem = memory(iv.md, im.eng, im.alloc(iv.md.get_size()));
    im.by_name[graph.inputs[0].name] = im.input_id;
    // Constant nodes first: patterns looking ahead (channel shuffle) need their values.
    for (size_t k = 0; k < graph.nodes.size(); ++k) {
      if (graph.nodes[k].op != "Constant") continue;
      if (auto st = im.fold(graph.nodes[k]); !st) return st.error();
      im.skip[k] = true;
    }
    for (size_t k = 0; k < graph.nodes.size(); ++k) {
      if (im.skip[k]) continue;
      if (auto st = im.plan_node(k); !st) return st.error();
    }
    for (const auto& name : graph.outputs) {
      auto it = im.by_name.find(name);
      if (it == im.by_name.end())
        return make_error("model_unsupported", fmt::format("model '{}': output '{}' is a constant", im.model, name));
      const int id = im.plain(it->second);
      im.output_ids.push_back(id);
      im.outputs.push_back({name, im.vals[static_cast<size_t>(id)].dims, nullptr});
    }
    if (auto st = im.finalize(); !st) return st.error();
  } catch (const dnnl::error& e) {
    return make_error("model_unsupported", fmt::format("model '{}': oneDNN could not plan it: {}", im.model, e.what()));
  }
  for (size_t k = 0; k < im.outputs.size(); ++k)
    im.outputs[k].data =
        static_cast<const float*>(im.vals[static_cast<size_t>(im.output_ids[k])].mem.get_data_handle());
  im.graph = nullptr;
  im.consts.clear();
  return s;
}

void Session::run(const float* input) {
  auto& im = *impl_;
  omp_set_num_threads(im.threads);
  im.vals[static_cast<size_t>(im.input_id)].mem.set_data_handle(const_cast<float*>(input));
  for (auto& s : im.steps) {
    if (s.is_prim)
      s.prim.execute(im.strm, s.args);
    else
      s.cpu();
  }
  im.strm.wait();
}

const std::vector<OutputView>& Session::outputs() const { return impl_->outputs; }

// Median ms of each step over `reps` forwards, each step timed alone (the stream waited on after it).
std::vector<double> Session::Impl::median_step_ms(const float* input, int reps) {
  auto& im = *this;
  omp_set_num_threads(im.threads);
  im.vals[static_cast<size_t>(im.input_id)].mem.set_data_handle(const_cast<float*>(input));
  std::vector<std::vector<double>> per_step(im.steps.size());
  for (int r = 0; r < reps; ++r)
    for (size_t k = 0; k < im.steps.size(); ++k) {
      auto& s = im.steps[k];
      const auto t0 = std::chrono::steady_clock::now();
      if (s.is_prim)
        s.prim.execute(im.strm, s.args);
      else
        s.cpu();
      im.strm.wait();
      per_step[k].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  std::vector<double> med(im.steps.size(), 0.0);
  for (size_t k = 0; k < per_step.size(); ++k) {
    auto& v = per_step[k];
    if (v.empty()) continue;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    med[k] = v[v.size() / 2];
  }
  return med;
}

std::vector<std::pair<std::string, double>> Session::profile(const float* input, int reps, bool each_step) {
  auto& im = *impl_;
  const std::vector<double> med = im.median_step_ms(input, reps);
  std::vector<std::pair<std::string, double>> out;
  if (each_step) {
    for (size_t k = 0; k < im.steps.size(); ++k) {
      std::string d = im.steps[k].op + " " + im.steps[k].detail;
      if (im.steps[k].detail.empty() && !im.steps[k].writes.empty())
        d += dims_str(im.vals[static_cast<size_t>(im.steps[k].writes[0])].dims);
      out.emplace_back(d, med[k]);
    }
  } else {
    std::map<std::string, double> by_op;
    for (size_t k = 0; k < im.steps.size(); ++k) by_op[im.steps[k].op] += med[k];
    out.assign(by_op.begin(), by_op.end());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}
const SessionStats& Session::stats() const { return impl_->stats; }

std::map<std::string, double> Session::conv_times(const float* input, int reps) {
  auto& im = *impl_;
  const std::vector<double> med = im.median_step_ms(input, reps);
  std::map<std::string, double> out;
  for (size_t k = 0; k < im.steps.size(); ++k) {
    const auto& s = im.steps[k];
    if ((s.op != "Conv" && s.op != "ConvInt8") || s.observe_key.empty() || reps <= 0) continue;
    out[s.observe_key] = med[k];
  }
  return out;
}

float mse_clip(const std::vector<double>& hist, float amax, int levels) {
  const size_t n = hist.size();
  if (n == 0 || amax <= 0) return amax;
  const double w = static_cast<double>(amax) / static_cast<double>(n);
  double total = 0;
  for (double h : hist) total += h;
  double best = -1, best_c = amax, inside = 0;
  for (size_t k = 0; k < n; ++k) {
    inside += hist[k];
    const double c = static_cast<double>(k + 1) * w, step = c / levels;
    double err = inside * step * step / 12.0;
    for (size_t j = k + 1; j < n; ++j) {
      const double d = (static_cast<double>(j) + 0.5) * w - c;
      err += hist[j] * d * d;
    }
    if (best < 0 || err < best) best = err, best_c = c;
  }
  (void)total;
  return static_cast<float>(best_c);
}

void Session::observe_histograms(const float* input, const RangeTable& ranges,
                                 std::map<std::string, std::vector<double>>& hist, int bins) {
  auto& im = *impl_;
  omp_set_num_threads(im.threads);
  im.vals[static_cast<size_t>(im.input_id)].mem.set_data_handle(const_cast<float*>(input));
  for (auto& s : im.steps) {
    auto r = s.observe_src >= 0 ? ranges.find(s.observe_key) : ranges.end();
    if (r != ranges.end()) {
      const auto& v = im.vals[static_cast<size_t>(s.observe_src)];
      const float* p = static_cast<const float*>(v.mem.get_data_handle());
      const size_t count = v.md.get_size() / sizeof(float);
      const float amax = std::max(std::abs(r->second.min), std::abs(r->second.max));
      auto& h = hist[s.observe_key];
      h.resize(static_cast<size_t>(bins), 0.0);
      if (amax > 0) {
        const float k = static_cast<float>(bins) / amax;
        for (size_t i = 0; i < count; ++i)
          h[static_cast<size_t>(std::min(bins - 1, static_cast<int>(std::abs(p[i]) * k)))] += 1;
      }
    }
    if (s.is_prim)
      s.prim.execute(im.strm, s.args);
    else
      s.cpu();
    im.strm.wait();
  }
}

std::vector<float> Session::Impl::plain_copy(int id) {
  auto& v = vals[static_cast<size_t>(id)];
  std::vector<float> out(static_cast<size_t>(numel(v.dims)));
  memory dst(plain_md(v.dims), eng, out.data());
  dnnl::reorder(v.mem, dst).execute(strm, v.mem, dst);
  strm.wait();
  return out;
}

void Session::observe_channel_ranges(const float* input, std::map<std::string, std::vector<Int8Range>>& ranges) {
  auto& im = *impl_;
  omp_set_num_threads(im.threads);
  im.vals[static_cast<size_t>(im.input_id)].mem.set_data_handle(const_cast<float*>(input));
  for (auto& s : im.steps) {
    if (s.observe_src >= 0) {
      const auto& d = im.vals[static_cast<size_t>(s.observe_src)].dims;
      const auto x = im.plain_copy(s.observe_src);
      const size_t c = static_cast<size_t>(d.at(1)), hw = x.size() / static_cast<size_t>(d.at(0)) / c;
      auto& r = ranges[s.observe_key];
      const bool fresh = r.empty();
      r.resize(c);
      for (size_t b = 0; b < static_cast<size_t>(d.at(0)); ++b)
        for (size_t k = 0; k < c; ++k) {
          const float* p = x.data() + (b * c + k) * hw;
          const auto [lo, hi] = std::minmax_element(p, p + hw);
          if (fresh && b == 0)
            r[k] = {*lo, *hi};
          else
            r[k] = {std::min(r[k].min, *lo), std::max(r[k].max, *hi)};
        }
    }
    if (s.is_prim)
      s.prim.execute(im.strm, s.args);
    else
      s.cpu();
    im.strm.wait();
  }
}

void Session::observe_channel_histograms(const float* input,
                                         const std::map<std::string, std::vector<Int8Range>>& ranges,
                                         std::map<std::string, std::vector<std::vector<double>>>& hist, int bins) {
  auto& im = *impl_;
  omp_set_num_threads(im.threads);
  im.vals[static_cast<size_t>(im.input_id)].mem.set_data_handle(const_cast<float*>(input));
  for (auto& s : im.steps) {
    auto r = s.observe_src >= 0 ? ranges.find(s.observe_key) : ranges.end();
    if (r != ranges.end()) {
      const auto& d = im.vals[static_cast<size_t>(s.observe_src)].dims;
      const auto x = im.plain_copy(s.observe_src);
      const size_t c = static_cast<size_t>(d.at(1)), hw = x.size() / static_cast<size_t>(d.at(0)) / c;
      auto& h = hist[s.observe_key];
      h.resize(c);
      for (size_t k = 0; k < c && k < r->second.size(); ++k) {
        h[k].resize(static_cast<size_t>(bins), 0.0);
        const float amax = std::max(std::abs(r->second[k].min), std::abs(r->second[k].max));
        if (amax <= 0) continue;
        const float scale = static_cast<float>(bins) / amax;
        for (size_t b = 0; b < static_cast<size_t>(d.at(0)); ++b) {
          const float* p = x.data() + (b * c + k) * hw;
          for (size_t i = 0; i < hw; ++i)
            h[k][static_cast<size_t>(std::min(bins - 1, static_cast<int>(std::abs(p[i]) * scale)))] += 1;
        }
      }
    }
    if (s.is_prim)
      s.prim.execute(im.strm, s.args);
    else
      s.cpu();
    im.strm.wait();
  }
}

void Session::observe_ranges(const float* input, RangeTable& ranges) {
  auto& im = *impl_;
  omp_set_num_threads(im.threads);
  im.vals[static_cast<size_t>(im.input_id)].mem.set_data_handle(const_cast<float*>(input));
  for (auto& s : im.steps) {
    if (s.observe_src >= 0) {
      // The values the convolution is about to read (blocked padding is zero: harmless to a range).
      const auto& v = im.vals[static_cast<size_t>(s.observe_src)];
      const float* p = static_cast<const float*>(v.mem.get_data_handle());
      const size_t count = v.md.get_size() / sizeof(float);
      const auto [lo, hi] = std::minmax_element(p, p + count);
      auto it = ranges.find(s.observe_key);
      if (it == ranges.end())
        ranges[s.observe_key] = {*lo, *hi};
      else
        it->second = {std::min(it->second.min, *lo), std::max(it->second.max, *hi)};
    }
    if (s.is_prim)
      s.prim.execute(im.strm, s.args);
    else
      s.cpu();
    im.strm.wait();
  }
}

std::string Session::kernel_info() {
  const auto* v = dnnl::version();
  std::string isa;
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41:
      isa = "sse41";
      break;
    case dnnl::cpu_isa::avx:
      isa = "avx";
      break;
    case dnnl::cpu_isa::avx2:
      isa = "avx2";
      break;
    case dnnl::cpu_isa::avx2_vnni:
      isa = "avx2_vnni";
      break;
    case dnnl::cpu_isa::avx512_core:
      isa = "avx512_core";
      break;
    case dnnl::cpu_isa::avx512_core_vnni:
      isa = "avx512_core_vnni";
      break;
    case dnnl::cpu_isa::avx512_core_bf16:
      isa = "avx512_core_bf16";
      break;
    case dnnl::cpu_isa::avx512_core_amx:
      isa = "avx512_core_amx";
      break;
    default:
      isa = "other";
      break;
  }
  return fmt::format("oneDNN {}.{}.{} ({})", v->major, v->minor, v->patch, isa);
}

}  // namespace vsp::infer

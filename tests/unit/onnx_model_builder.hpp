#pragma once
// A small ONNX graph written in a test, planned and run on the fast backend (src/infer): shared by the
// backend's unit tests (infer_test.cpp, infer_ops_test.cpp).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "infer/session.hpp"

namespace vsp::test_support {

using Vec = std::vector<float>;

struct OnnxModelBuilder {
  onnx::ModelProto model;
  onnx::GraphProto* g;
  OnnxModelBuilder() {
    model.set_ir_version(7);
    model.add_opset_import()->set_version(13);
    g = model.mutable_graph();
    g->set_name("ops");
  }
  void input(const std::string& name, std::vector<int64_t> dims) {
    auto* vi = g->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  void output(const std::string& name, std::vector<int64_t> dims = {}) {
    auto* vi = g->add_output();
    vi->set_name(name);
    if (dims.empty()) return;
    auto* tt = vi->mutable_type()->mutable_tensor_type();  // OpenCV's importer wants the type
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  void init(const std::string& name, std::vector<int64_t> dims, const Vec& v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    for (float f : v) t->add_float_data(f);
  }
  void init_i64(const std::string& name, const std::vector<int64_t>& v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(v.size()));
    for (auto x : v) t->add_int64_data(x);
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + out.at(0));
    for (auto& s : in) n->add_input(s);
    for (auto& s : out) n->add_output(s);
    return n;
  }
  static void ints(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void integer(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void str(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  std::filesystem::path save(const std::string& stem) {
    auto p = std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(::getpid()) + ".onnx");
    std::ofstream f(p, std::ios::binary);
    f << model.SerializeAsString();
    return p;
  }
  /// Plans and runs the model once on `x`; the outputs in graph order.
  std::vector<Vec> run(const std::string& stem, const std::vector<int64_t>& dims, const Vec& x) {
    const auto path = save(stem);
    auto graph = infer::load_onnx(path);
    std::filesystem::remove(path);
    EXPECT_TRUE(graph.ok());
    if (!graph.ok()) return {};
    auto s = infer::Session::create(std::move(*graph), dims, {.threads = 1});
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    if (!s.ok()) return {};
    (*s)->run(x.data());
    std::vector<Vec> out;
    for (const auto& o : (*s)->outputs()) {
      int64_t n = 1;
      for (auto d : o.dims) n *= d;
      out.emplace_back(o.data, o.data + n);
    }
    return out;
  }
};

inline Vec random_vec(size_t n, unsigned seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  Vec v(n);
  for (auto& f : v) f = u(rng);
  return v;
}

}  // namespace vsp::test_support

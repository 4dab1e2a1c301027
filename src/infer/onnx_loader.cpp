#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "infer/graph.hpp"

namespace vsp::infer {

using core::make_error;

namespace {

core::Result<Tensor> to_tensor(const onnx::TensorProto& t, const std::string& where) {
  Tensor out;
  out.dims.assign(t.dims().begin(), t.dims().end());
  const int64_t n = out.numel();
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return make_error("model_unsupported",
                      fmt::format("{}: tensor '{}' keeps its data outside the file", where, t.name()));
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      out.f.resize(static_cast<size_t>(n));
      if (t.has_raw_data()) {
        if (t.raw_data().size() != static_cast<size_t>(n) * 4)
          return make_error("model_invalid", fmt::format("{}: tensor '{}' has the wrong byte size", where, t.name()));
        std::memcpy(out.f.data(), t.raw_data().data(), t.raw_data().size());
      } else {
        if (t.float_data_size() != n)
          return make_error("model_invalid", fmt::format("{}: tensor '{}' has the wrong size", where, t.name()));
        std::copy(t.float_data().begin(), t.float_data().end(), out.f.begin());
      }
      return out;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::BOOL: {
      out.is_int = true;
      out.i.resize(static_cast<size_t>(n));
      if (t.has_raw_data()) {
        const auto& raw = t.raw_data();
        const int64_t esize = t.data_type() == onnx::TensorProto::INT64   ? 8
                              : t.data_type() == onnx::TensorProto::INT32 ? 4
                                                                          : 1;
        if (static_cast<int64_t>(raw.size()) != n * esize)
          return make_error("model_invalid", fmt::format("{}: tensor '{}' has the wrong byte size", where, t.name()));
        for (int64_t k = 0; k < n; ++k) {
          if (esize == 8) {
            int64_t v;
            std::memcpy(&v, raw.data() + k * 8, 8);
            out.i[static_cast<size_t>(k)] = v;
          } else if (esize == 4) {
            int32_t v;
            std::memcpy(&v, raw.data() + k * 4, 4);
            out.i[static_cast<size_t>(k)] = v;
          } else {
            out.i[static_cast<size_t>(k)] = raw[static_cast<size_t>(k)] != 0;
          }
        }
      } else if (t.data_type() == onnx::TensorProto::INT64) {
        std::copy(t.int64_data().begin(), t.int64_data().end(), out.i.begin());
      } else {
        std::copy(t.int32_data().begin(), t.int32_data().end(), out.i.begin());
      }
      return out;
    }
    default:
      return make_error("model_unsupported",
                        fmt::format("{}: tensor '{}' has data type {} (only float32 and integer tensors are read)",
                                    where, t.name(), t.data_type()));
  }
}

}  // namespace

core::Result<Graph> load_onnx(const std::filesystem::path& path) {
  const std::string where = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("model_not_found", fmt::format("{}: cannot open", where));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return make_error("model_invalid", fmt::format("{}: not an ONNX model", where));
  const auto& g = model.graph();
  if (!model.has_graph() || g.node_size() == 0)
    return make_error("model_invalid", fmt::format("{}: not an ONNX model (no graph)", where));
  Graph out;
  out.model_name = path.stem().string();
  std::set<std::string> init_names;
  for (const auto& t : g.initializer()) {
    auto tensor = to_tensor(t, where);
    if (!tensor) return tensor.error();
    out.constants[t.name()] = std::move(*tensor);
    init_names.insert(t.name());
  }
  for (const auto& vi : g.input()) {
    if (init_names.count(vi.name())) continue;
    GraphInput gi{vi.name(), {}};
    for (const auto& d : vi.type().tensor_type().shape().dim())
      gi.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    out.inputs.push_back(std::move(gi));
  }
  for (const auto& vi : g.output()) out.outputs.push_back(vi.name());
  for (const auto& n : g.node()) {
    Node node;
    node.op = n.op_type();
    node.name = n.name();
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      return make_error("model_unsupported",
                        fmt::format("{}: node '{}' uses op domain '{}'", where, n.name(), n.domain()));
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    for (const auto& a : n.attribute()) {
      Attribute attr;
      attr.i = a.i();
      attr.f = a.f();
      attr.s = a.s();
      attr.ints.assign(a.ints().begin(), a.ints().end());
      attr.floats.assign(a.floats().begin(), a.floats().end());
      if (a.has_t()) {
        auto t = to_tensor(a.t(), where);
        if (!t) return t.error();
        attr.t = std::move(*t);
      }
      node.attrs[a.name()] = std::move(attr);
    }
    out.nodes.push_back(std::move(node));
  }
  return out;
}

}  // namespace vsp::infer

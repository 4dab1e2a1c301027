#pragma once
/// A small in-memory form of an ONNX graph: what the passes rewrite and the executor plans from.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace vsp::infer {

/// A constant tensor: float data, or int64 data for shape arithmetic (`is_int`).
struct Tensor {
  std::vector<int64_t> dims;
  std::vector<float> f;
  std::vector<int64_t> i;
  bool is_int = false;
  int64_t numel() const {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    return n;
  }
};

struct Attribute {
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  Tensor t;
};

struct Node {
  std::string op;
  std::string name;
  std::vector<std::string> inputs;  ///< "" = optional input left out
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attrs;

  bool has(const std::string& a) const { return attrs.count(a) != 0; }
  int64_t attr_i(const std::string& a, int64_t def) const {
    auto it = attrs.find(a);
    return it == attrs.end() ? def : it->second.i;
  }
  float attr_f(const std::string& a, float def) const {
    auto it = attrs.find(a);
    return it == attrs.end() ? def : it->second.f;
  }
  std::vector<int64_t> attr_ints(const std::string& a, std::vector<int64_t> def = {}) const {
    auto it = attrs.find(a);
    return it == attrs.end() ? def : it->second.ints;
  }
  std::string attr_s(const std::string& a, const std::string& def) const {
    auto it = attrs.find(a);
    return it == attrs.end() ? def : it->second.s;
  }
};

struct GraphInput {
  std::string name;
  std::vector<int64_t> dims;  ///< -1 where the file leaves a dimension open
};

struct Graph {
  std::string model_name;                   ///< for error messages (file stem or config name)
  std::vector<Node> nodes;                  ///< in topological order, as ONNX requires
  std::map<std::string, Tensor> constants;  ///< initializers and folded values
  std::vector<GraphInput> inputs;           ///< runtime inputs (initializers excluded)
  std::vector<std::string> outputs;
};

/// Reads an ONNX file (float32 weights; int64 shape tensors). The error names the file.
core::Result<Graph> load_onnx(const std::filesystem::path& path);

}  // namespace vsp::infer

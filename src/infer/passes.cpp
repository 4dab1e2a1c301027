// Graph rewrites that run before planning (see passes.hpp).
#include "infer/passes.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

namespace vsp::infer {

namespace {

std::optional<std::vector<int64_t>> ints_of(const Graph& g, const std::unordered_map<std::string, size_t>& producer,
                                            const std::string& name) {
  const Tensor* t = nullptr;
  if (auto it = g.constants.find(name); it != g.constants.end()) {
    t = &it->second;
  } else if (auto p = producer.find(name);
             p != producer.end() && g.nodes[p->second].op == "Constant" && g.nodes[p->second].has("value")) {
    t = &g.nodes[p->second].attrs.at("value").t;
  }
  if (!t) return std::nullopt;
  if (t->is_int) return t->i;
  std::vector<int64_t> r;
  for (float f : t->f) r.push_back(static_cast<int64_t>(f));
  return r;
}

/// A chain of Slice nodes that takes every second row and column of `src` from (dy, dx).
struct SubSample {
  std::string src;
  int64_t dy = -1, dx = -1;
};

std::optional<SubSample> trace_subsample(const Graph& g, const std::unordered_map<std::string, size_t>& producer,
                                         std::string name) {
  SubSample s;
  for (int depth = 0; depth < 4; ++depth) {
    auto p = producer.find(name);
    if (p == producer.end() || g.nodes[p->second].op != "Slice") break;
    const Node& n = g.nodes[p->second];
    if (n.inputs.size() < 5) return std::nullopt;  // opset >= 10 form with explicit axes and steps
    auto starts = ints_of(g, producer, n.inputs[1]), ends = ints_of(g, producer, n.inputs[2]);
    auto axes = ints_of(g, producer, n.inputs[3]), steps = ints_of(g, producer, n.inputs[4]);
    if (!starts || !ends || !axes || !steps || starts->size() != axes->size() || steps->size() != axes->size())
      return std::nullopt;
    for (size_t k = 0; k < axes->size(); ++k) {
      const int64_t axis = (*axes)[k] < 0 ? (*axes)[k] + 4 : (*axes)[k];
      if ((axis != 2 && axis != 3) || (*steps)[k] != 2 || (*starts)[k] < 0 || (*starts)[k] > 1 ||
          (*ends)[k] < (int64_t{1} << 30))
        return std::nullopt;
      int64_t& slot = axis == 2 ? s.dy : s.dx;
      if (slot >= 0) return std::nullopt;
      slot = (*starts)[k];
    }
    name = n.inputs[0];
  }
  if (s.dy < 0 || s.dx < 0) return std::nullopt;
  s.src = name;
  return s;
}

}  // namespace

int fuse_space_to_depth_conv(Graph& g) {
  std::unordered_map<std::string, size_t> producer;
  std::unordered_map<std::string, int> readers;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    for (const auto& o : g.nodes[k].outputs) producer[o] = k;
    for (const auto& i : g.nodes[k].inputs) ++readers[i];
  }
  int rewritten = 0;
  for (auto& conv : g.nodes) {
    if (conv.op != "Conv" || conv.inputs.size() < 2 || !g.constants.count(conv.inputs[1])) continue;
    auto p = producer.find(conv.inputs[0]);
    if (p == producer.end() || readers[conv.inputs[0]] != 1 ||
        std::find(g.outputs.begin(), g.outputs.end(), conv.inputs[0]) != g.outputs.end())
      continue;
    const Node& cat = g.nodes[p->second];
    if (cat.op != "Concat" || cat.inputs.size() != 4 || cat.attr_i("axis", 0) != 1) continue;
    const Tensor& w = g.constants.at(conv.inputs[1]);
    if (w.is_int || w.dims.size() != 4 || w.dims[1] % 4 != 0 || w.dims[2] != w.dims[3]) continue;
    const auto strides = conv.attr_ints("strides", {1, 1}), dil = conv.attr_ints("dilations", {1, 1});
    const auto pads = conv.attr_ints("pads", {0, 0, 0, 0});
    if (conv.attr_i("group", 1) != 1 || strides != std::vector<int64_t>{1, 1} || dil != std::vector<int64_t>{1, 1} ||
        conv.attr_s("auto_pad", "NOTSET") != "NOTSET" || pads.size() != 4 ||
        std::set<int64_t>(pads.begin(), pads.end()).size() != 1)
      continue;
    std::vector<SubSample> parts;
    std::set<std::pair<int64_t, int64_t>> offsets;
    for (const auto& in : cat.inputs) {
      auto s = trace_subsample(g, producer, in);
      if (!s || (!parts.empty() && s->src != parts[0].src)) break;
      parts.push_back(*s);
      offsets.insert({s->dy, s->dx});
    }
    if (parts.size() != 4 || offsets.size() != 4) continue;
    // out(i,j) = sum_q,c,u,v W[o][q*C+c][u][v] * X[c][2(i+u-p)+dy_q][2(j+v-p)+dx_q]: a 2k x 2k kernel,
    // stride 2, padding 2p on X itself.
    const int64_t oc = w.dims[0], c4 = w.dims[1], k = w.dims[2], c = c4 / 4, k2 = 2 * k, pad = pads[0];
    Tensor nw;
    nw.dims = {oc, c, k2, k2};
    nw.f.assign(static_cast<size_t>(oc * c * k2 * k2), 0.f);
    for (int64_t o = 0; o < oc; ++o)
      for (int64_t q = 0; q < 4; ++q)
        for (int64_t ci = 0; ci < c; ++ci)
          for (int64_t u = 0; u < k; ++u)
            for (int64_t v = 0; v < k; ++v) {
              const int64_t r = 2 * u + parts[static_cast<size_t>(q)].dy, s = 2 * v + parts[static_cast<size_t>(q)].dx;
              nw.f[static_cast<size_t>(((o * c + ci) * k2 + r) * k2 + s)] =
                  w.f[static_cast<size_t>(((o * c4 + q * c + ci) * k + u) * k + v)];
            }
    const std::string wname = conv.inputs[1] + ":space_to_depth";
    g.constants[wname] = std::move(nw);
    conv.inputs[0] = parts[0].src;
    conv.inputs[1] = wname;
    conv.attrs["kernel_shape"].ints = {k2, k2};
    conv.attrs["strides"].ints = {2, 2};
    conv.attrs["pads"].ints = {2 * pad, 2 * pad, 2 * pad, 2 * pad};
    ++rewritten;
  }
  if (rewritten) remove_dead_nodes(g);
  return rewritten;
}

int remove_dead_nodes(Graph& g) {
  std::set<std::string> used(g.outputs.begin(), g.outputs.end());
  std::vector<bool> live(g.nodes.size(), false);
  for (size_t k = g.nodes.size(); k-- > 0;) {
    for (const auto& o : g.nodes[k].outputs)
      if (used.count(o)) live[k] = true;
    if (live[k])
      for (const auto& i : g.nodes[k].inputs) used.insert(i);
  }
  std::vector<Node> kept;
  for (size_t k = 0; k < g.nodes.size(); ++k)
    if (live[k]) kept.push_back(std::move(g.nodes[k]));
  const int removed = static_cast<int>(g.nodes.size() - kept.size());
  g.nodes = std::move(kept);
  return removed;
}

}  // namespace vsp::infer

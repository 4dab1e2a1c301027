#include "anpr/model_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/log.hpp"

namespace vsp::anpr::detail {

core::Result<std::unique_ptr<ModelRunner>> ModelRunner::create(const ModelFile& file, const std::string& name,
                                                               detect::Backend backend, int threads,
                                                               const std::vector<int64_t>& probe) {
  auto path = verified(file);
  if (!path) return path.error();
  return create_from_path(*path, name, backend, threads, probe);
}

core::Result<std::unique_ptr<ModelRunner>> ModelRunner::create_from_path(const std::string& path_in,
                                                                         const std::string& name,
                                                                         detect::Backend backend, int threads,
                                                                         const std::vector<int64_t>& probe) {
  const std::optional<std::string> path = path_in;
  std::unique_ptr<ModelRunner> r(new ModelRunner());
  r->name_ = name;
  r->path_ = *path;
  r->threads_ = threads;
  const core::Logger log("anpr");
  if (backend != detect::Backend::opencv) {
    auto graph = infer::load_onnx(*path);
    core::Status ok = graph ? core::Status(core::Ok{}) : core::Status(graph.error());
    if (graph) {
      graph->model_name = name;
      r->graph_ = std::move(*graph);
      auto s = infer::Session::create(r->graph_, probe, {.threads = threads});
      if (s) {
        r->sessions_.push_back({probe, std::move(*s), 0, false});
        r->plans_made_ = 1;
      } else {
        ok = s.error();
      }
    }
    if (ok) {
      r->backend_ = detect::Backend::fast;
      const auto& st = r->sessions_.front().session->stats();
      r->reason_ = fmt::format("model '{}' runs on the fast backend ({}; {} steps, {:.2f} GFLOP at {}x{}, {} threads)",
                               name, infer::Session::kernel_info(), st.steps, st.gflop, probe.at(3), probe.at(2),
                               threads > 0 ? threads : infer::available_cores());
      log.info("{}", r->reason_);
      return r;
    }
    if (backend == detect::Backend::fast) return ok.error();
    r->reason_ =
        fmt::format("model '{}' runs on OpenCV DNN: the fast backend cannot run it ({})", name, ok.error().message);
    log.warn("{}", r->reason_);
    r->graph_ = {};
  } else {
    r->reason_ = fmt::format("model '{}' runs on OpenCV DNN (backend: opencv)", name);
    log.info("{}", r->reason_);
  }
  if (auto st = r->load_opencv(); !st) return st.error();
  r->backend_ = detect::Backend::opencv;
  return r;
}

ModelRunner::~ModelRunner() = default;

core::Status ModelRunner::load_opencv() {
  if (net_loaded_) return core::Ok{};
  try {
    net_ = cv::dnn::readNetFromONNX(path_);
    net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  } catch (const cv::Exception& e) {
    return core::make_error("model_load_failed", fmt::format("{}: cannot load: {}", path_, e.what()));
  }
  net_loaded_ = true;
  return core::Ok{};
}

infer::Session* ModelRunner::session_for(const std::vector<int64_t>& dims) {
  for (auto& p : sessions_)
    if (p.dims == dims) {
      p.used = ++clock_;
      return p.session.get();
    }
  auto s = infer::Session::create(graph_, dims, {.threads = threads_});
  if (!s) {
    const core::Logger log("anpr");
    log.warn("model '{}': the fast backend cannot plan input [{}] ({}); this size runs on OpenCV DNN", name_,
             fmt::join(dims, ","), s.error().message);
    return nullptr;
  }
  ++plans_made_;
  const auto unpinned = std::count_if(sessions_.begin(), sessions_.end(), [](const Planned& p) { return !p.pinned; });
  if (static_cast<size_t>(unpinned) >= max_sessions_) {
    auto oldest = sessions_.end();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (!it->pinned && (oldest == sessions_.end() || it->used < oldest->used)) oldest = it;
    if (oldest != sessions_.end()) sessions_.erase(oldest);
  }
  sessions_.push_back({dims, std::move(*s), ++clock_, false});
  return sessions_.back().session.get();
}

void ModelRunner::prepare(const std::vector<std::vector<int64_t>>& dims) {
  if (backend_ != detect::Backend::fast) return;
  for (const auto& d : dims) {
    auto it = std::find_if(sessions_.begin(), sessions_.end(), [&](const Planned& p) { return p.dims == d; });
    if (it == sessions_.end()) {
      if (!session_for(d)) continue;
      it = sessions_.end() - 1;
    }
    it->pinned = true;
  }
}

std::vector<cv::Mat> ModelRunner::forward(const cv::Mat& blob, const std::vector<std::string>& names) {
  // Counted and timed for benchmarks and tests (usage()); nothing decides on it.
  const auto t0 = std::chrono::steady_clock::now();
  struct Count {
    ModelUsage& u;
    std::chrono::steady_clock::time_point t0;
    ~Count() {
      ++u.forwards;
      u.ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
  } count{usage_, t0};
  std::vector<cv::Mat> outs;
  if (backend_ == detect::Backend::fast) {
    const std::vector<int64_t> dims{blob.size[0], blob.size[1], blob.size[2], blob.size[3]};
    if (infer::Session* s = session_for(dims)) {
      s->run(blob.ptr<float>());
      const auto& views = s->outputs();
      auto as_mat = [](const infer::OutputView& o) {
        std::vector<int> sizes(o.dims.begin(), o.dims.end());
        return cv::Mat(static_cast<int>(sizes.size()), sizes.data(), CV_32F, const_cast<float*>(o.data));
      };
      if (names.empty()) {
        for (const auto& o : views) outs.push_back(as_mat(o));
        return outs;
      }
      for (const auto& want : names) {
        auto it = std::find_if(views.begin(), views.end(), [&](const infer::OutputView& o) { return o.name == want; });
        if (it == views.end()) break;
        outs.push_back(as_mat(*it));
      }
      if (outs.size() == names.size()) return outs;
      outs.clear();
    }
    if (!load_opencv()) return outs;
  }
  net_.setInput(blob);
  if (names.empty()) {
    outs.push_back(net_.forward());
  } else {
    std::vector<cv::String> n(names.begin(), names.end());
    net_.forward(outs, n);
  }
  return outs;
}

}  // namespace vsp::anpr::detail

#pragma once
/// The fast inference backend: an ONNX graph planned once onto oneDNN primitives.
///
/// Planning (at `create`) folds constant and shape sub-graphs, folds batch-norm into convolutions,
/// fuses a convolution with the activation that follows it (ReLU, LeakyReLU, sigmoid, SiLU, clip,
/// hard-sigmoid, hard-swish), keeps the blocked layout oneDNN picks for convolutions through every
/// layout-agnostic operator (eltwise, binary, pooling, resampling, concat), converts to plain layout
/// only before reshapes/transposes/slices, and assigns every intermediate tensor a slot in a few
/// buffers reused by liveness. `run` then only executes the step list.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "infer/graph.hpp"

namespace vsp::infer {

struct SessionOptions {
  int threads = 0;  ///< threads for one forward; 0 = the machine's cores
};

/// A graph output after `run`: plain row-major float32, valid until the next `run`.
struct OutputView {
  std::string name;
  std::vector<int64_t> dims;
  const float* data = nullptr;
};

struct SessionStats {
  int steps = 0;
  int convolutions = 0;
  int fused_activations = 0;  ///< activations merged into a convolution
  int folded_batch_norms = 0;
  int space_to_depth_convs = 0;  ///< Focus slices + concat + conv rewritten as one strided conv
  int folded_nodes = 0;          ///< nodes evaluated once at plan time (shape arithmetic, constants)
  int reorders = 0;              ///< layout conversions left in the graph
  int zero_copy_concats = 0;     ///< concats done by producers writing into one buffer
  int zero_copy_splits = 0;      ///< splits into views of their input
  int channel_shuffles = 0;      ///< ShuffleNet concat + reshape + transpose + reshape as strided reorders
  int64_t arena_bytes = 0;       ///< all intermediate tensors, after buffer reuse
  int64_t naive_bytes = 0;       ///< the same tensors without reuse
  double gflop = 0;              ///< convolution multiply-adds x 2 per forward
};

class Session {
 public:
  /// Plans `graph` for one input of `input_dims` (NCHW). Errors name the model and, for an
  /// operator the backend lacks, the operator and its node.
  static core::Result<std::unique_ptr<Session>> create(Graph graph, const std::vector<int64_t>& input_dims,
                                                       const SessionOptions& options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// One forward on a plain NCHW float32 input of the planned size.
  void run(const float* input);
  const std::vector<OutputView>& outputs() const;
  /// Median milliseconds per operator type (or per step, with shapes and kernel) over `reps`
  /// forwards, slowest first (profiling; for the benchmark).
  std::vector<std::pair<std::string, double>> profile(const float* input, int reps, bool per_step = false);
  const SessionStats& stats() const;
  /// The kernel library's name and the CPU instruction set it dispatched to (e.g. "avx512_core").
  static std::string kernel_info();

 private:
  Session();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Number of CPU cores this process may run on (affinity mask), at least 1.
int available_cores();

}  // namespace vsp::infer

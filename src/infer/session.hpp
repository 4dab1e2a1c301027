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
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "infer/graph.hpp"

namespace vsp::infer {

/// The range a convolution's input took over a calibration set (int8).
struct Int8Range {
  float min = 0, max = 0;
  /// Non-empty: the input is quantised per channel, channel c over [-channel[c], channel[c]] (or
  /// [0, channel[c]] when min >= 0); the scales are folded into the weights (exact for depthwise
  /// convolutions, whose output channel reads one input channel).
  std::vector<float> channel = {};
};
/// Convolution (named by its ONNX output tensor) -> range of its input.
using RangeTable = std::map<std::string, Int8Range>;

struct SessionOptions {
  int threads = 0;  ///< threads for one forward; 0 = the machine's cores
  /// Non-null: int8 convolutions (oneDNN, VNNI where the CPU has it) for every convolution with a
  /// range in the table: per-output-channel symmetric s8 weights, the input quantised per tensor (or
  /// per channel, Int8Range::channel) to u8 (range >= 0) or s8 with the calibrated scale, f32
  /// accumulation scaled back per channel before the fused activation. Convolutions without a range
  /// stay fp32.
  const RangeTable* int8 = nullptr;
  bool int8_first_conv_fp32 = false;  ///< convolutions reading the graph input stay fp32
  bool int8_head_convs_fp32 = true;   ///< convolutions with no convolution after them stay fp32
  /// An int8 convolution whose only readers are int8 convolutions writes u8/s8 for them directly
  /// (requantised in its post-ops) instead of f32 that each reader quantises again.
  bool int8_requantise = true;
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
  int deconvs_as_conv = 0;       ///< kernel = stride ConvTransposes as a 1x1 conv + depth-to-space
  int64_t arena_bytes = 0;       ///< all intermediate tensors, after buffer reuse
  int64_t naive_bytes = 0;       ///< the same tensors without reuse
  double gflop = 0;              ///< convolution multiply-adds x 2 per forward
  int int8_convolutions = 0;     ///< of `convolutions`, those run in int8
  int int8_requantised = 0;      ///< int8 convolutions writing int8 for int8 readers
  int int8_per_channel = 0;      ///< int8 convolutions with one input scale per channel
  int int8_concats = 0;          ///< channel concats run in u8/s8 (their readers are int8 convolutions)
  int quantise_reorders = 0;     ///< f32 -> u8/s8 conversions of convolution inputs
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
  /// Calibration: median milliseconds of each convolution over `reps` forwards, keyed by its ONNX
  /// output name (the RangeTable key), fp32 and int8 alike.
  std::map<std::string, double> conv_times(const float* input, int reps);
  /// Calibration: one forward on `input`, widening `ranges[conv]` by the values every convolution
  /// reads (fp32 sessions only; the table is what SessionOptions::int8 takes).
  void observe_ranges(const float* input, RangeTable& ranges);
  /// Calibration, per input channel: widens `ranges[conv][c]` by the values channel c of every
  /// convolution's input takes on `input` (fp32 sessions only).
  void observe_channel_ranges(const float* input, std::map<std::string, std::vector<Int8Range>>& ranges);
  /// Calibration, per input channel: histograms of |x| over [0, max |range[c]|] (`bins` bins).
  void observe_channel_histograms(const float* input, const std::map<std::string, std::vector<Int8Range>>& ranges,
                                  std::map<std::string, std::vector<std::vector<double>>>& hist, int bins = 256);
  /// Calibration, second pass: adds what every convolution reads on `input` to a histogram of
  /// |x| over [0, max |range|] (`bins` bins) per convolution in `ranges`.
  void observe_histograms(const float* input, const RangeTable& ranges,
                          std::map<std::string, std::vector<double>>& hist, int bins = 2048);
  /// The kernel library's name and the CPU instruction set it dispatched to (e.g. "avx512_core").
  static std::string kernel_info();

 private:
  Session();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The clipping point c for an input quantised to `levels` steps over [0, c] (127 for s8, 255 for
/// u8), minimising the expected squared error over the histogram of |x| (bins over [0, amax]):
/// rounding noise (c / levels)^2 / 12 inside, (|x| - c)^2 beyond.
float mse_clip(const std::vector<double>& hist, float amax, int levels);

/// Number of CPU cores this process may run on (affinity mask), at least 1.
int available_cores();

}  // namespace vsp::infer

#pragma once
/// Graph rewrites before planning. Each returns how many places it changed.
#include "infer/graph.hpp"

namespace vsp::infer {

/// YOLOX/YOLOv5 "Focus": four stride-2 Slice chains of one tensor, concatenated on channels and
/// read only by a stride-1 convolution, become one stride-2 convolution with a 2k x 2k kernel on the
/// tensor itself (same arithmetic, no slices, no concat, no plain-layout copies).
int fuse_space_to_depth_conv(Graph& g);

/// Drops nodes whose outputs nothing reads (graph outputs count as read).
int remove_dead_nodes(Graph& g);

}  // namespace vsp::infer

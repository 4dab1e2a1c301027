#pragma once
/// Optimal rectangular linear assignment (Hungarian / Kuhn-Munkres with potentials).
#include <cstddef>
#include <vector>

namespace vsp::core {

/// Row-major cost matrix of `rows` x `cols`.
struct CostMatrix {
  int rows = 0;
  int cols = 0;
  std::vector<double> cost;
  double& at(int r, int c) { return cost[static_cast<std::size_t>(r) * cols + c]; }
  double at(int r, int c) const { return cost[static_cast<std::size_t>(r) * cols + c]; }
};

/// Minimum-total-cost assignment of min(rows, cols) pairs; returns, for each row, its column or
/// -1. Same optimum as scipy's linear_sum_assignment. O(n^2 m).
std::vector<int> solve_assignment(const CostMatrix& m);

}  // namespace vsp::core

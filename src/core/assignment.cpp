#include "core/assignment.hpp"

#include <limits>

namespace vsp::core {

// ---- Hungarian algorithm with row/column potentials (shortest augmenting paths) ----------------
// Works on n <= m; a wider-than-tall matrix is solved as is, a taller one transposed.
std::vector<int> solve_assignment(const CostMatrix& m) {
  std::vector<int> row_to_col(static_cast<std::size_t>(m.rows), -1);
  if (m.rows == 0 || m.cols == 0) return row_to_col;
  const bool transposed = m.rows > m.cols;
  const int n = transposed ? m.cols : m.rows;
  const int w = transposed ? m.rows : m.cols;
  auto a = [&](int i, int j) { return transposed ? m.at(j - 1, i - 1) : m.at(i - 1, j - 1); };

  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(w + 1, 0);
  std::vector<int> p(w + 1, 0), way(w + 1, 0);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::vector<double> minv(w + 1, inf);
    std::vector<char> used(w + 1, 0);
    do {
      used[j0] = 1;
      const int i0 = p[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= w; ++j) {
        if (used[j]) continue;
        const double cur = a(i0, j) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= w; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  for (int j = 1; j <= w; ++j) {
    if (p[j] == 0) continue;
    if (transposed)
      row_to_col[static_cast<std::size_t>(j - 1)] = p[j] - 1;
    else
      row_to_col[static_cast<std::size_t>(p[j] - 1)] = j - 1;
  }
  return row_to_col;
}

}  // namespace vsp::core

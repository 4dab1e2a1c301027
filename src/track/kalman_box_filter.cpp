#include "track/kalman_box_filter.hpp"

#include <cmath>

namespace vsp::track {

namespace {
double& at(Mat8& m, int r, int c) { return m[static_cast<size_t>(r * 8 + c)]; }

/// Inverse of a symmetric positive-definite 4x4 by Gauss-Jordan with partial pivoting.
std::array<double, 16> invert4(std::array<double, 16> a) {
  std::array<double, 16> inv{};
  for (int i = 0; i < 4; ++i) inv[static_cast<size_t>(i * 5)] = 1;
  for (int c = 0; c < 4; ++c) {
    int piv = c;
    for (int r = c + 1; r < 4; ++r)
      if (std::abs(a[static_cast<size_t>(r * 4 + c)]) > std::abs(a[static_cast<size_t>(piv * 4 + c)])) piv = r;
    for (int k = 0; k < 4; ++k) {
      std::swap(a[static_cast<size_t>(c * 4 + k)], a[static_cast<size_t>(piv * 4 + k)]);
      std::swap(inv[static_cast<size_t>(c * 4 + k)], inv[static_cast<size_t>(piv * 4 + k)]);
    }
    const double d = a[static_cast<size_t>(c * 4 + c)];
    for (int k = 0; k < 4; ++k) {
      a[static_cast<size_t>(c * 4 + k)] /= d;
      inv[static_cast<size_t>(c * 4 + k)] /= d;
    }
    for (int r = 0; r < 4; ++r) {
      if (r == c) continue;
      const double f = a[static_cast<size_t>(r * 4 + c)];
      for (int k = 0; k < 4; ++k) {
        a[static_cast<size_t>(r * 4 + k)] -= f * a[static_cast<size_t>(c * 4 + k)];
        inv[static_cast<size_t>(r * 4 + k)] -= f * inv[static_cast<size_t>(c * 4 + k)];
      }
    }
  }
  return inv;
}
}  // namespace

KalmanBoxFilter::State KalmanBoxFilter::initiate(const core::BoxXyxy& b) const {
  State s;
  const double w = b.width(), h = b.height();
  s.mean = {(b.x1 + b.x2) / 2.0, (b.y1 + b.y2) / 2.0, w, h, 0, 0, 0, 0};
  const double p = noise_.position, v = noise_.velocity;
  const double sd[8] = {2 * p * w, 2 * p * h, 2 * p * w, 2 * p * h, 10 * v * w, 10 * v * h, 10 * v * w, 10 * v * h};
  for (int i = 0; i < 8; ++i) at(s.cov, i, i) = sd[i] * sd[i];
  return s;
}

void KalmanBoxFilter::predict(State& s, double dt) const {
  if (dt <= 0) return;
  const double w = s.mean[2], h = s.mean[3];
  const double p = noise_.position, v = noise_.velocity;
  // mean = F mean, F = [I dt*I; 0 I]
  for (int i = 0; i < 4; ++i) s.mean[static_cast<size_t>(i)] += dt * s.mean[static_cast<size_t>(i + 4)];
  // cov = F cov F^T: rows then columns.
  Mat8 c = s.cov;
  for (int i = 0; i < 4; ++i)
    for (int k = 0; k < 8; ++k) at(c, i, k) += dt * at(c, i + 4, k);
  for (int k = 0; k < 8; ++k)
    for (int i = 0; i < 4; ++i) at(c, k, i) += dt * at(c, k, i + 4);
  // Process noise: a random walk, so its variance grows linearly with the elapsed time.
  const double q[8] = {p * w, p * h, p * w, p * h, v * w, v * h, v * w, v * h};
  for (int i = 0; i < 8; ++i) at(c, i, i) += q[i] * q[i] * dt;
  s.cov = c;
  if (s.mean[2] < 1) s.mean[2] = 1;
  if (s.mean[3] < 1) s.mean[3] = 1;
}

void KalmanBoxFilter::update(State& s, const core::BoxXyxy& b, double measurement_scale) const {
  const double w = s.mean[2], h = s.mean[3], p = noise_.position;
  const double r[4] = {p * w, p * h, p * w, p * h};
  // S = H P H^T + R (top-left 4x4 block)
  std::array<double, 16> S{};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) S[static_cast<size_t>(i * 4 + j)] = at(s.cov, i, j);
  for (int i = 0; i < 4; ++i) S[static_cast<size_t>(i * 5)] += r[i] * r[i] * measurement_scale;
  const auto Si = invert4(S);
  // K = P H^T S^-1  (8x4)
  double K[8][4] = {};
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 4; ++k) K[i][j] += at(s.cov, i, k) * Si[static_cast<size_t>(k * 4 + j)];
  const double z[4] = {(b.x1 + b.x2) / 2.0, (b.y1 + b.y2) / 2.0, b.width(), b.height()};
  double innov[4];
  for (int j = 0; j < 4; ++j) innov[j] = z[j] - s.mean[static_cast<size_t>(j)];
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) s.mean[static_cast<size_t>(i)] += K[i][j] * innov[j];
  // P = P - K H P  (H P = top 4 rows of P)
  Mat8 c = s.cov;
  for (int i = 0; i < 8; ++i)
    for (int k = 0; k < 8; ++k) {
      double acc = 0;
      for (int j = 0; j < 4; ++j) acc += K[i][j] * at(s.cov, j, k);
      at(c, i, k) -= acc;
    }
  s.cov = c;
}

core::BoxXyxy KalmanBoxFilter::box(const State& s) {
  const double cx = s.mean[0], cy = s.mean[1], w = s.mean[2], h = s.mean[3];
  return {static_cast<float>(cx - w / 2), static_cast<float>(cy - h / 2), static_cast<float>(cx + w / 2),
          static_cast<float>(cy + h / 2)};
}

}  // namespace vsp::track

#include "road/calibration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace vsp::road {

namespace {

/// Twice the triangle area, scaled by the spread of the points (0 = collinear).
double area2(core::Point a, core::Point b, core::Point c) {
  return std::abs((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x));
}

/// True when no three of the four points are (nearly) collinear, relative to their size.
bool general_position(const std::array<core::Point, 4>& q, double rel_eps) {
  double span = 0;
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j) span = std::max(span, std::hypot(q[i].x - q[j].x, q[i].y - q[j].y));
  if (span <= 0) return false;
  const int tri[4][3] = {{0, 1, 2}, {0, 1, 3}, {0, 2, 3}, {1, 2, 3}};
  for (const auto& t : tri)
    if (area2(q[t[0]], q[t[1]], q[t[2]]) < rel_eps * span * span) return false;
  return true;
}

/// Solves A x = b (n x n, row-major) by Gaussian elimination with partial pivoting.
std::optional<std::vector<double>> solve(std::vector<double> a, std::vector<double> b, int n) {
  for (int c = 0; c < n; ++c) {
    int piv = c;
    for (int r = c + 1; r < n; ++r)
      if (std::abs(a[r * n + c]) > std::abs(a[piv * n + c])) piv = r;
    if (std::abs(a[piv * n + c]) < 1e-12) return std::nullopt;
    if (piv != c) {
      for (int k = 0; k < n; ++k) std::swap(a[c * n + k], a[piv * n + k]);
      std::swap(b[c], b[piv]);
    }
    for (int r = c + 1; r < n; ++r) {
      const double f = a[r * n + c] / a[c * n + c];
      for (int k = c; k < n; ++k) a[r * n + k] -= f * a[c * n + k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (int r = n - 1; r >= 0; --r) {
    double s = b[r];
    for (int k = r + 1; k < n; ++k) s -= a[r * n + k] * x[k];
    x[r] = s / a[r * n + r];
  }
  return x;
}

/// Hartley normalisation: centroid to the origin, mean distance sqrt(2). Returns T (3x3).
std::array<double, 9> normaliser(const std::vector<core::Point>& pts) {
  double cx = 0, cy = 0;
  for (const auto& p : pts) cx += p.x, cy += p.y;
  cx /= pts.size();
  cy /= pts.size();
  double d = 0;
  for (const auto& p : pts) d += std::hypot(p.x - cx, p.y - cy);
  d /= pts.size();
  const double s = d > 0 ? std::sqrt(2.0) / d : 1.0;
  return {s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1};
}

std::array<double, 9> mul(const std::array<double, 9>& a, const std::array<double, 9>& b) {
  std::array<double, 9> c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) c[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return c;
}

std::array<double, 9> inv3(const std::array<double, 9>& m) {
  const double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5], g = m[6], h = m[7], i = m[8];
  const double A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const double det = a * A + b * B + c * C;
  if (std::abs(det) < 1e-300) return {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const double k = 1.0 / det;
  return {A * k, -(b * i - c * h) * k, (b * f - c * e) * k, B * k, (a * i - c * g) * k, -(a * f - c * d) * k,
          C * k, -(a * h - b * g) * k, (a * e - b * d) * k};
}

core::Point map(const std::array<double, 9>& h, core::Point p) {
  const double w = h[6] * p.x + h[7] * p.y + h[8];
  return {(h[0] * p.x + h[1] * p.y + h[2]) / w, (h[3] * p.x + h[4] * p.y + h[5]) / w};
}

/// DLT with h33 = 1 on normalised points, least squares through the normal equations.
std::optional<std::array<double, 9>> dlt(const std::vector<core::Point>& src, const std::vector<core::Point>& dst) {
  const auto ts = normaliser(src), td = normaliser(dst);
  std::vector<double> ata(64, 0.0), atb(8, 0.0);
  for (size_t i = 0; i < src.size(); ++i) {
    const auto s = map(ts, src[i]), d = map(td, dst[i]);
    const double r1[8] = {s.x, s.y, 1, 0, 0, 0, -d.x * s.x, -d.x * s.y};
    const double r2[8] = {0, 0, 0, s.x, s.y, 1, -d.y * s.x, -d.y * s.y};
    for (int a = 0; a < 8; ++a) {
      for (int b = 0; b < 8; ++b) ata[a * 8 + b] += r1[a] * r1[b] + r2[a] * r2[b];
      atb[a] += r1[a] * d.x + r2[a] * d.y;
    }
  }
  auto x = solve(ata, atb, 8);
  if (!x) return std::nullopt;
  const std::array<double, 9> hn = {(*x)[0], (*x)[1], (*x)[2], (*x)[3], (*x)[4], (*x)[5], (*x)[6], (*x)[7], 1.0};
  auto h = mul(inv3(td), mul(hn, ts));
  if (std::abs(h[8]) > 1e-12)
    for (auto& v : h) v /= h[8];
  return h;
}

}  // namespace

std::optional<core::Point> Homography::apply(core::Point p) const {
  const double w = h_[6] * p.x + h_[7] * p.y + h_[8];
  if (!(std::abs(w) > 1e-12) || w < 0) return std::nullopt;
  return map(h_, p);
}

Homography Homography::inverse() const { return Homography(inv3(h_)); }

std::optional<std::string> calibration_problem(const std::vector<CalibrationPoint>& points) {
  if (points.size() < 4)
    return fmt::format("a ground-plane calibration needs at least 4 points, got {}", points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i].image;
    if (p.x < 0 || p.x > 1 || p.y < 0 || p.y > 1)
      return fmt::format("point {} is out of frame: image [{}, {}] must lie in 0..1 (normalised)", i, p.x, p.y);
    for (size_t j = 0; j < i; ++j) {
      if (std::hypot(p.x - points[j].image.x, p.y - points[j].image.y) < 1e-4)
        return fmt::format("points {} and {} are the same image point", j, i);
      if (std::hypot(points[i].world_m.x - points[j].world_m.x, points[i].world_m.y - points[j].world_m.y) < 1e-3)
        return fmt::format("points {} and {} are the same world point", j, i);
    }
  }
  // Some 4 of the points must be in general position in both planes (else H is not determined).
  const size_t n = std::min<size_t>(points.size(), 12);
  for (size_t a = 0; a < n; ++a)
    for (size_t b = a + 1; b < n; ++b)
      for (size_t c = b + 1; c < n; ++c)
        for (size_t d = c + 1; d < n; ++d) {
          const std::array<core::Point, 4> im = {points[a].image, points[b].image, points[c].image, points[d].image};
          const std::array<core::Point, 4> wo = {points[a].world_m, points[b].world_m, points[c].world_m,
                                                 points[d].world_m};
          if (general_position(im, 0.01) && general_position(wo, 0.01)) return std::nullopt;
        }
  return std::string(
      "the points are collinear (or nearly): no 4 of them span an area in both the image and the world; "
      "pick points at the corners of a large rectangle on the road");
}

core::Result<Calibration> fit_calibration(const CalibrationOptions& options) {
  if (auto why = calibration_problem(options.points))
    return core::make_error("bad_calibration", *why, "calibration.points");
  std::vector<core::Point> img, wld;
  for (const auto& p : options.points) {
    img.push_back(p.image);
    wld.push_back(p.world_m);
  }
  auto h = dlt(img, wld);
  if (!h)
    return core::make_error("bad_calibration", "the points do not determine a homography (degenerate)",
                            "calibration.points");
  // A homography is defined up to scale, sign included: choose the sign that puts the road (the
  // calibration points) in front of the camera (w > 0), so points beyond the horizon are refused.
  auto front = [](std::array<double, 9> m, core::Point p) {
    if (m[6] * p.x + m[7] * p.y + m[8] < 0)
      for (auto& v : m) v = -v;
    return m;
  };
  Calibration c;
  c.image_to_world = Homography(front(*h, img[0]));
  c.world_to_image = Homography(front(c.image_to_world.inverse().matrix(), wld[0]));
  c.points = static_cast<int>(img.size());
  double s2 = 0, s2px = 0;
  for (size_t i = 0; i < img.size(); ++i) {
    const auto w = c.image_to_world.apply(img[i]);
    if (!w)
      return core::make_error("bad_calibration",
                              fmt::format("point {} maps beyond the horizon: the points are inconsistent", i),
                              "calibration.points");
    const double e = std::hypot(w->x - wld[i].x, w->y - wld[i].y);
    s2 += e * e;
    c.max_residual_m = std::max(c.max_residual_m, e);
    if (const auto back = c.world_to_image.apply(wld[i])) {
      const double ep = std::hypot(back->x - img[i].x, back->y - img[i].y);
      s2px += ep * ep;
    }
  }
  c.rms_residual_m = std::sqrt(s2 / img.size());
  c.rms_residual_px = std::sqrt(s2px / img.size());
  if (c.rms_residual_m > options.max_residual_m)
    return core::make_error(
        "bad_calibration",
        fmt::format("calibration residual {:.2f} m RMS (worst point {:.2f} m) exceeds max_residual_m {:.2f}: a point "
                    "is misplaced or the road is not flat",
                    c.rms_residual_m, c.max_residual_m, options.max_residual_m),
        "calibration.points");
  return c;
}

double local_scale_m(const Homography& h, core::Point p, core::Point dir) {
  const double n = std::hypot(dir.x, dir.y);
  if (n <= 0) return 0;
  const double eps = 1e-3;
  const auto a = h.apply(p);
  const auto b = h.apply({p.x + eps * dir.x / n, p.y + eps * dir.y / n});
  if (!a || !b) return 0;
  return std::hypot(b->x - a->x, b->y - a->y) / eps;
}

}  // namespace vsp::road

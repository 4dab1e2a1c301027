#include "core/geometry.hpp"

#include <algorithm>
#include <cmath>

namespace vsp::core {

double cross(Point a, Point b, Point p) { return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x); }

namespace {
int sign(double v) { return (v > 1e-12) - (v < -1e-12); }
bool on_segment(Point a, Point b, Point p) {
  return std::min(a.x, b.x) - 1e-12 <= p.x && p.x <= std::max(a.x, b.x) + 1e-12 && std::min(a.y, b.y) - 1e-12 <= p.y &&
         p.y <= std::max(a.y, b.y) + 1e-12;
}
}  // namespace

bool segments_intersect(Point p1, Point p2, Point q1, Point q2) {
  const int d1 = sign(cross(q1, q2, p1));
  const int d2 = sign(cross(q1, q2, p2));
  const int d3 = sign(cross(p1, p2, q1));
  const int d4 = sign(cross(p1, p2, q2));
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  if (d1 == 0 && on_segment(q1, q2, p1)) return true;
  if (d2 == 0 && on_segment(q1, q2, p2)) return true;
  if (d3 == 0 && on_segment(p1, p2, q1)) return true;
  if (d4 == 0 && on_segment(p1, p2, q2)) return true;
  return false;
}

float iou(const BoxXyxy& a, const BoxXyxy& b) {
  const float ix = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float iy = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (ix <= 0 || iy <= 0) return 0.f;
  const float inter = ix * iy;
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

bool point_in_polygon(Point p, const Polygon& poly) {
  const size_t n = poly.size();
  if (n < 3) return false;
  bool inside = false;
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const Point a = poly[i], b = poly[j];
    if (distance_to_segment(p, a, b) < 1e-9) return true;
    if ((a.y > p.y) != (b.y > p.y)) {
      const double x_at = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
      if (p.x < x_at) inside = !inside;
    }
  }
  return inside;
}

double distance_to_segment(Point p, Point a, Point b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  const double cx = a.x + t * dx - p.x, cy = a.y + t * dy - p.y;
  return std::sqrt(cx * cx + cy * cy);
}

double polygon_area(const Polygon& poly) {
  double s = 0;
  for (size_t i = 0; i < poly.size(); ++i) {
    const Point a = poly[i], b = poly[(i + 1) % poly.size()];
    s += a.x * b.y - b.x * a.y;
  }
  return s / 2;
}

bool polygon_self_intersects(const Polygon& poly) {
  const size_t n = poly.size();
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const bool adjacent = j == i + 1 || (i == 0 && j == n - 1);
      if (adjacent) continue;
      if (segments_intersect(poly[i], poly[(i + 1) % n], poly[j], poly[(j + 1) % n])) return true;
    }
  }
  return false;
}

}  // namespace vsp::core

#pragma once
/// Pure 2-D geometry used by rules and the tracker.
#include "core/types.hpp"

namespace vsp::core {

/// z of (b - a) x (p - a): > 0 when p lies right of a->b on screen (y down), < 0 left.
double cross(Point a, Point b, Point p);

/// True when the closed segments p1-p2 and q1-q2 share a point.
bool segments_intersect(Point p1, Point p2, Point q1, Point q2);

/// Intersection over union of two boxes; 0 when either is empty.
float iou(const BoxXyxy& a, const BoxXyxy& b);

/// Point-in-polygon by ray casting; points on an edge count as inside.
bool point_in_polygon(Point p, const Polygon& poly);

/// Distance from p to the segment a-b.
double distance_to_segment(Point p, Point a, Point b);

/// Signed area (shoelace, > 0 when the vertices go clockwise on screen with y down).
double polygon_area(const Polygon& poly);

/// True when two non-adjacent edges of the polygon cross.
bool polygon_self_intersects(const Polygon& poly);

}  // namespace vsp::core

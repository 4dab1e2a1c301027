#include <gtest/gtest.h>

#include "core/assignment.hpp"
#include "core/geometry.hpp"

using namespace vsp::core;

TEST(Geometry, cross_sign_follows_screen_convention) {
  // p1 -> p2 points right; with y down, a point below the segment is on its right (+).
  EXPECT_GT(cross({0, 0}, {10, 0}, {5, 5}), 0);
  EXPECT_LT(cross({0, 0}, {10, 0}, {5, -5}), 0);
  EXPECT_EQ(cross({0, 0}, {10, 0}, {5, 0}), 0);
}

TEST(Geometry, segments_intersect_cases) {
  struct Case {
    Point a, b, c, d;
    bool expected;
  };
  const Case cases[] = {
      {{0, 0}, {10, 10}, {0, 10}, {10, 0}, true},   // X
      {{0, 0}, {10, 0}, {11, -1}, {11, 1}, false},  // beyond the end
      {{0, 0}, {10, 0}, {10, -1}, {10, 1}, true},   // touching the end
      {{0, 0}, {10, 0}, {0, 1}, {10, 1}, false},    // parallel
      {{0, 0}, {10, 0}, {5, 0}, {15, 0}, true},     // collinear overlap
  };
  for (const auto& c : cases) EXPECT_EQ(segments_intersect(c.a, c.b, c.c, c.d), c.expected);
}

TEST(Geometry, iou_of_known_boxes) {
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {5, 0, 15, 10}), 50.f / 150.f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {20, 20, 30, 30}), 0.f);
  EXPECT_FLOAT_EQ(iou({0, 0, 0, 0}, {0, 0, 0, 0}), 0.f);
}

TEST(Geometry, point_in_polygon_inside_outside_edge_and_concave) {
  const Polygon square{{0, 0}, {10, 0}, {10, 10}, {0, 10}};
  EXPECT_TRUE(point_in_polygon({5, 5}, square));
  EXPECT_FALSE(point_in_polygon({15, 5}, square));
  EXPECT_TRUE(point_in_polygon({10, 5}, square));
  const Polygon l_shape{{0, 0}, {10, 0}, {10, 4}, {4, 4}, {4, 10}, {0, 10}};
  EXPECT_FALSE(point_in_polygon({7, 7}, l_shape));
  EXPECT_TRUE(point_in_polygon({2, 7}, l_shape));
}

TEST(Geometry, self_intersecting_polygon_is_detected) {
  EXPECT_TRUE(polygon_self_intersects({{0, 0}, {10, 10}, {10, 0}, {0, 10}}));
  EXPECT_FALSE(polygon_self_intersects({{0, 0}, {10, 0}, {10, 10}, {0, 10}}));
}

TEST(Assignment, finds_minimum_cost_in_square_and_rectangular_matrices) {
  CostMatrix m{3, 3, {4, 1, 3, 2, 0, 5, 3, 2, 2}};
  EXPECT_EQ(solve_assignment(m), (std::vector<int>{1, 0, 2}));
  CostMatrix wide{2, 3, {5, 1, 9, 1, 5, 9}};
  EXPECT_EQ(solve_assignment(wide), (std::vector<int>{1, 0}));
  CostMatrix tall{3, 2, {5, 1, 1, 5, 0, 0}};
  const auto t = solve_assignment(tall);
  int assigned = 0;
  double total = 0;
  for (int r = 0; r < 3; ++r)
    if (t[static_cast<size_t>(r)] >= 0) {
      ++assigned;
      total += tall.at(r, t[static_cast<size_t>(r)]);
    }
  EXPECT_EQ(assigned, 2);
  EXPECT_DOUBLE_EQ(total, 1.0);  // row 2 takes a zero, one of rows 0/1 its 1
}

TEST(Assignment, empty_matrix_gives_no_pairs) {
  EXPECT_TRUE(solve_assignment(CostMatrix{0, 0, {}}).empty());
  EXPECT_EQ(solve_assignment(CostMatrix{2, 0, {}}), (std::vector<int>{-1, -1}));
}

TEST(Assignment, ties_still_give_a_full_optimal_assignment) {
  CostMatrix m{2, 2, {1, 1, 1, 1}};
  const auto a = solve_assignment(m);
  EXPECT_NE(a[0], a[1]);
  EXPECT_GE(a[0], 0);
  EXPECT_GE(a[1], 0);
}

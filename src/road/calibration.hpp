#pragma once
/// Ground-plane calibration: a homography from normalised image points to metres on the road,
/// fitted to >= 4 correspondences (normalised DLT, least squares), with its residual.
///
///   image (0..1)          H (3x3)            road (m)
///     p1 ── p2        ───────────────►      P1 ───── P2
///    /       \                              |        |
///   p4 ────── p3                            P4 ───── P3
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/types.hpp"
#include "road/options.hpp"

namespace vsp::road {

/// A plane-to-plane projective map, row-major 3x3, normalised so h[8] == 1 where possible.
class Homography {
 public:
  Homography() = default;
  explicit Homography(const std::array<double, 9>& h) : h_(h) {}
  /// Maps p; nullopt when p lies on (or beyond) the horizon line.
  std::optional<core::Point> apply(core::Point p) const;
  Homography inverse() const;
  const std::array<double, 9>& matrix() const { return h_; }

 private:
  std::array<double, 9> h_{1, 0, 0, 0, 1, 0, 0, 0, 1};
};

/// A fitted calibration and how well it fits.
struct Calibration {
  Homography image_to_world;  ///< normalised image -> metres
  Homography world_to_image;
  double rms_residual_m = 0;  ///< RMS of |H(image) - world| over the points
  double max_residual_m = 0;
  double rms_residual_px = 0;  ///< the same in the image, back-projected (normalised units x frame diagonal 1)
  int points = 0;
};

/// Why the points cannot calibrate, as one sentence for `vsp config check`; nullopt when they can
/// (>= 4 points, image points inside the frame, 4 of them in general position in both planes,
/// distinct world points).
std::optional<std::string> calibration_problem(const std::vector<CalibrationPoint>& points);

/// Fits the homography; an error names the problem (as calibration_problem, or a residual above
/// `options.max_residual_m`).
core::Result<Calibration> fit_calibration(const CalibrationOptions& options);

/// Metres per normalised image unit at `p` along `dir` (local scale; for the speed uncertainty).
double local_scale_m(const Homography& image_to_world, core::Point p, core::Point dir);

}  // namespace vsp::road

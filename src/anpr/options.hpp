#pragma once
/// `anpr:` on a camera: plate reading for its vehicle tracks.
#include "anpr/plate_grammar.hpp"

namespace vsp::anpr {

struct AnprOptions {
  Region region = Region::any;
  int min_plate_px = 40;        ///< plates narrower than this are not read
  int min_vehicle_px = 120;     ///< vehicle boxes narrower than this are not searched
  double reads_per_s = 2;       ///< per track
  int max_reads = 8;            ///< per track; reading stops once the consensus is reported
  float min_confidence = 0.6f;  ///< below: a candidate, not a fact
};

}  // namespace vsp::anpr

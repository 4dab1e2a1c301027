#pragma once
/// Per-track plate consensus: every read of a track's plate is a vote, character by character and
/// weighted by confidence, so a track gets one stable plate instead of flickering reads.
///
///   reads ─► group by grammar-corrected length ─► heaviest length ─► per position, the
///   character with the most confidence mass ─► consensus + agreement
///
/// Reads that fail the grammar (badges, stickers, dealer frames) weigh little; a consensus below
/// `min_confidence` or outside the grammar is reported as a candidate, not as a fact.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "anpr/plate_grammar.hpp"

namespace vsp::anpr {

struct PlateVote {
  std::string text;
  float confidence = 0;                ///< mean character confidence of this read
  std::vector<float> char_confidence;  ///< optional; else `confidence` for every character
  bool valid = true;                   ///< fits the grammar
};

struct PlateConsensus {
  std::string text;
  float confidence = 0;   ///< agreement x mean character confidence, 0..1
  int reads = 0;          ///< votes behind the winning length
  bool valid = false;     ///< fits the grammar
  bool reported = false;  ///< confident enough to report as a fact (else a candidate only)
  std::vector<std::pair<std::string, float>> candidates;  ///< other distinct reads, best first
};

struct PlateVoterOptions {
  Region region = Region::any;
  float min_confidence = 0.6f;
  int min_reads = 2;
  float invalid_weight = 0.2f;  ///< weight of a read that fails the grammar
};

class PlateVoter {
 public:
  explicit PlateVoter(PlateVoterOptions options = PlateVoterOptions{}) : options_(options) {}
  void add(const PlateVote& vote);
  std::optional<PlateConsensus> consensus() const;
  int reads() const { return static_cast<int>(votes_.size()); }

 private:
  PlateVoterOptions options_;
  std::vector<PlateVote> votes_;
};

}  // namespace vsp::anpr

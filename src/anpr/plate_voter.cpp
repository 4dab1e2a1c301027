#include "anpr/plate_voter.hpp"

#include <algorithm>

namespace vsp::anpr {

void PlateVoter::add(const PlateVote& vote) {
  if (vote.text.empty()) return;
  PlateVote v = vote;
  if (v.char_confidence.size() != v.text.size()) v.char_confidence.assign(v.text.size(), v.confidence);
  votes_.push_back(std::move(v));
}

std::optional<PlateConsensus> PlateVoter::consensus() const {
  if (votes_.empty()) return std::nullopt;
  auto weight = [&](const PlateVote& v) { return v.valid ? 1.0f : options_.invalid_weight; };
  // ---- 1. The length with the most confidence mass ---------------------------------------------
  std::map<size_t, float> by_len;
  float total = 0;
  for (const auto& v : votes_) {
    by_len[v.text.size()] += v.confidence * weight(v);
    total += v.confidence * weight(v);
  }
  const auto len =
      std::max_element(by_len.begin(), by_len.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
  // ---- 2. Per position, the character with the most mass ------------------------------------------
  PlateConsensus c;
  float agreement_sum = 0, conf_sum = 0;
  for (size_t i = 0; i < len; ++i) {
    std::map<char, float> mass;
    float pos_total = 0;
    for (const auto& v : votes_)
      if (v.text.size() == len) {
        const float m = v.char_confidence[i] * weight(v);
        mass[v.text[i]] += m;
        pos_total += m;
      }
    const auto best = std::max_element(mass.begin(), mass.end(), [](auto& a, auto& b) { return a.second < b.second; });
    c.text += best->first;
    agreement_sum += pos_total > 0 ? best->second / pos_total : 0;
  }
  for (const auto& v : votes_)
    if (v.text.size() == len) {
      ++c.reads;
      conf_sum += v.confidence;
    }
  const float agreement = len ? agreement_sum / static_cast<float>(len) : 0;
  const float length_share = total > 0 ? by_len[len] / total : 0;
  c.confidence = agreement * length_share * (c.reads ? conf_sum / static_cast<float>(c.reads) : 0);
  const auto g = apply_grammar(c.text, options_.region);
  c.text = g.text;
  c.valid = g.valid;
  c.reported = c.valid && c.reads >= options_.min_reads && c.confidence >= options_.min_confidence;
  // ---- 3. Other distinct reads as candidates ------------------------------------------------------
  std::map<std::string, float> others;
  for (const auto& v : votes_) {
    const auto t = apply_grammar(v.text, options_.region).text;
    if (t != c.text) others[t] = std::max(others[t], v.confidence * weight(v));
  }
  for (const auto& [t, w] : others) c.candidates.emplace_back(t, w);
  std::sort(c.candidates.begin(), c.candidates.end(), [](auto& a, auto& b) { return a.second > b.second; });
  if (c.candidates.size() > 5) c.candidates.resize(5);
  return c;
}

}  // namespace vsp::anpr

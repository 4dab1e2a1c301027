#include "anpr/plate_grammar.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace vsp::anpr {

std::optional<Region> parse_region(const std::string& s) {
  if (s == "us") return Region::us;
  if (s == "eu") return Region::eu;
  if (s == "br") return Region::br;
  if (s == "ru") return Region::ru;
  if (s == "auto" || s == "any") return Region::any;
  return std::nullopt;
}

const char* to_string(Region r) {
  switch (r) {
    case Region::us:
      return "us";
    case Region::eu:
      return "eu";
    case Region::br:
      return "br";
    case Region::ru:
      return "ru";
    case Region::any:
      return "auto";
  }
  return "auto";
}

const std::string& plate_alphabet() {
  static const std::string a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return a;
}

const std::vector<std::string>& layouts(Region r) {
  // United States: fifty states, serial and vanity formats mixed, and letters and digits used
  // in every position: no layout constrains a position well enough to correct it (measured:
  // layout corrections cost 14 points of top-1 on the US photos), so only the generic rule.
  static const std::vector<std::string> us;
  // Europe: national formats (SK/IT/FR/BG LL999LL, CZ 9L9 9999 and 9LL 9999, PL/BA LLL9999 and
  // LL99999, ES 9999LLL, UK LL99LLL).
  static const std::vector<std::string> eu = {"LLDDDLL", "DLDDDDD", "DLLDDDD", "LLLDDDD",
                                              "LLDDDDD", "DDDDLLL", "LLDDLLL"};
  // Brazil: the old LLL-9999 and the Mercosur LLL9L99.
  static const std::vector<std::string> br = {"LLLDDDD", "LLLDLDD"};
  // Russia: L999LL + region code of 2 or 3 digits.
  static const std::vector<std::string> ru = {"LDDDLLDD", "LDDDLLDDD"};
  static const std::vector<std::string> any;
  switch (r) {
    case Region::us:
      return us;
    case Region::eu:
      return eu;
    case Region::br:
      return br;
    case Region::ru:
      return ru;
    case Region::any:
      return any;
  }
  return any;
}

const std::vector<std::string>& frequent_layouts(Region r) {
  // The two layouts that are each at least 15 % of the US development labels, counted on each half
  // of the split separately (both halves give these two): California's 9LLL999 and LL9L9L.
  static const std::vector<std::string> us = {"DLLLDDD", "LLDLDL"};
  static const std::vector<std::string> none;
  return r == Region::us ? us : none;
}

std::string frequent_layout_fix(const std::vector<CharChoices>& chars, Region r, float min_ratio) {
  std::string text;
  for (const auto& c : chars) text += c.read;
  const auto& lays = frequent_layouts(r);
  auto kind_differs = [](char layout, char c) {
    return (layout == 'D') != (std::isdigit(static_cast<unsigned char>(c)) != 0);
  };
  for (const auto& lay : lays) {
    if (lay.size() != text.size()) continue;
    bool fits = true;
    for (size_t i = 0; i < text.size() && fits; ++i) fits = !kind_differs(lay[i], text[i]);
    if (fits) return text;  // already one of them: nothing to correct
  }
  std::string best = text;
  float best_p = -1;
  for (const auto& lay : lays) {
    if (lay.size() != text.size()) continue;
    int wrong = 0;
    size_t at = 0;
    for (size_t i = 0; i < text.size(); ++i)
      if (kind_differs(lay[i], text[i])) ++wrong, at = i;
    if (wrong != 1) continue;
    const CharChoices& c = chars[at];
    const char alt = lay[at] == 'D' ? c.digit : c.letter;
    const float p = lay[at] == 'D' ? c.p_digit : c.p_letter;
    if (p >= min_ratio * c.p_read && p > best_p) {
      best = text;
      best[at] = alt;
      best_p = p;
    }
  }
  return best;
}

namespace {
// Shapes OCR confuses between letters and digits.
const std::map<char, char> kToDigit = {{'O', '0'}, {'Q', '0'}, {'D', '0'}, {'I', '1'}, {'L', '1'}, {'Z', '2'},
                                       {'S', '5'}, {'B', '8'}, {'G', '6'}, {'T', '7'}, {'A', '4'}};
const std::map<char, char> kToLetter = {{'0', 'O'}, {'1', 'I'}, {'2', 'Z'}, {'5', 'S'},
                                        {'8', 'B'}, {'6', 'G'}, {'7', 'T'}, {'4', 'A'}};

/// Generic rule of a region when no national layout fits.
bool generic_ok(const std::string& t, Region r) {
  const bool has_digit =
      std::any_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  switch (r) {
    case Region::us:
      return t.size() >= 5 && t.size() <= 8 && has_digit;  // state names and slogans have none
    case Region::eu:
      return t.size() >= 4 && t.size() <= 8;
    case Region::br:
    case Region::ru:
      return false;  // one national system: only its layouts
    case Region::any:
      return t.size() >= 4 && t.size() <= 9 && has_digit;
  }
  return false;
}
}  // namespace

GrammarMatch apply_grammar(const std::string& input, Region r) {
  std::string text = input;
  int normalised = 0;
  if (r == Region::us) {
    // Most US states leave O out of standard-issue serials because it looks like 0: a read O is
    // almost always the digit. (I was mapped to 1 too; with plates read from LPD-YuNet's box the
    // recogniser tells I from 1 well enough that the mapping cost more than it fixed, chosen on a
    // split of the development photos: docs/anpr.md.)
    for (char& c : text)
      if (c == 'O') c = '0', ++normalised;
  }
  GrammarMatch best;
  best.text = text;
  best.corrections = normalised;
  // A character plates do not have (punctuation, lower case, bytes from a bad read) is never a
  // plate, whatever layout the rest fits (found by fuzz_plate: "A[C1234" fitted LLLDDDD).
  if (text.find_first_not_of(plate_alphabet()) != std::string::npos) return best;
  int best_cost = 3;  // at most two look-alike swaps
  for (const auto& layout : layouts(r)) {
    if (layout.size() != text.size()) continue;
    std::string out = text;
    int cost = 0;
    bool ok = true;
    for (size_t i = 0; i < text.size() && ok; ++i) {
      const char c = text[i];
      const bool digit = std::isdigit(static_cast<unsigned char>(c)) != 0;
      if (layout[i] == 'D' && !digit) {
        auto it = kToDigit.find(c);
        ok = it != kToDigit.end();
        if (ok) out[i] = it->second, ++cost;
      } else if (layout[i] == 'L' && digit) {
        auto it = kToLetter.find(c);
        ok = it != kToLetter.end();
        if (ok) out[i] = it->second, ++cost;
      }
    }
    if (ok && cost < best_cost) {
      best_cost = cost;
      best = {out, true, true, cost};
    }
  }
  // The generic rule looks at the read as it came: I/O -> 1/0 must not turn a word into a plate.
  if (!best.known_layout) best.valid = generic_ok(input, r) && generic_ok(text, r);
  return best;
}

}  // namespace vsp::anpr

#pragma once
/// Regional plate grammars: allowed characters, lengths and known layouts, used to validate
/// reads, to correct letter/digit confusions where a layout fixes the kind of a position, and to
/// rank candidates. Pure; no pixels.
#include <optional>
#include <string>
#include <vector>

namespace vsp::anpr {

enum class Region { us, eu, br, ru, any };
std::optional<Region> parse_region(const std::string& s);  ///< "us", "eu", "br", "ru", "auto"
const char* to_string(Region r);

struct GrammarMatch {
  std::string text;           ///< after layout-driven corrections
  bool valid = false;         ///< allowed by the region (a known layout, or its generic lengths)
  bool known_layout = false;  ///< fits one of the region's national layouts (stronger evidence)
  int corrections = 0;        ///< characters changed to fit the layout
};

/// National layouts (L = letter, D = digit), strongest evidence first.
const std::vector<std::string>& layouts(Region r);
/// Fit of `text`: a national layout when at most two letter/digit look-alikes need swapping,
/// else the region's generic rule (lengths, at least one digit where the region requires it).
GrammarMatch apply_grammar(const std::string& text, Region r);
/// Characters a plate may hold (upper-case Latin letters and digits; RU adds nothing beyond the
/// Latin look-alikes its plates use).
const std::string& plate_alphabet();

}  // namespace vsp::anpr

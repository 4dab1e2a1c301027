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
/// One character as the recogniser read it, with its own best alternatives of each kind (the most
/// probable digit and letter over the character's time steps).
struct CharChoices {
  char read = 0;
  float p_read = 0;
  char digit = '0';
  float p_digit = 0;
  char letter = 'A';
  float p_letter = 0;
};
/// Layouts frequent enough in a region to correct one character of the wrong kind with the
/// recogniser's own second choice (US: see docs/anpr.md for how they were chosen); empty elsewhere.
const std::vector<std::string>& frequent_layouts(Region r);
/// Constrained reading against the frequent layouts: when the read fits none of them but one of
/// them differs from it in the kind (letter/digit) of exactly one character, and the recogniser's
/// best character of the other kind there has at least `min_ratio` of the read character's
/// probability, that character replaces it (the most probable such replacement over layouts).
/// Returns the read's text, changed or not.
std::string frequent_layout_fix(const std::vector<CharChoices>& chars, Region r, float min_ratio = 0.1f);
/// Characters a plate may hold (upper-case Latin letters and digits; RU adds nothing beyond the
/// Latin look-alikes its plates use).
const std::string& plate_alphabet();

}  // namespace vsp::anpr

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "anpr/plate_grammar.hpp"
#include "anpr/plate_localiser.hpp"
#include "anpr/plate_reader.hpp"
#include "anpr/plate_voter.hpp"

using namespace vsp::anpr;

namespace {
PlateVote read(const char* text, float conf, bool valid = true) { return {text, conf, {}, valid}; }
PlateVoter voter(Region r = Region::br) {
  PlateVoterOptions o;
  o.region = r;
  return PlateVoter(o);
}
}  // namespace

TEST(PlateGrammar, brazil_layout_fixes_letter_digit_lookalikes_by_position) {
  const auto m = apply_grammar("0LC47Z8", Region::br);  // O read as 0, 2 read as Z
  EXPECT_TRUE(m.known_layout);
  EXPECT_EQ(m.text, "OLC4728");
  EXPECT_EQ(m.corrections, 2);
  EXPECT_FALSE(apply_grammar("OLC47", Region::br).valid);
  EXPECT_TRUE(apply_grammar("ABC1D23", Region::br).known_layout);  // Mercosur
}

TEST(PlateGrammar, us_needs_a_digit_and_a_plausible_length) {
  EXPECT_TRUE(apply_grammar("6HP995", Region::us).valid);
  EXPECT_FALSE(apply_grammar("TEXAS", Region::us).valid);
  EXPECT_FALSE(apply_grammar("PRIVATE", Region::us).valid);
  EXPECT_FALSE(apply_grammar("1234567890", Region::us).valid);
  EXPECT_EQ(apply_grammar("MLOC2S", Region::us).text, "ML0C2S");  // no I or O on standard issue
}

namespace {
/// Reads with every character's alternatives: `alt` gives, per position, the second choice of the
/// other kind ('.' = none) and its probability relative to the read character (1.0 = as likely).
std::vector<CharChoices> chars(const std::string& text, const std::string& alt, float ratio) {
  std::vector<CharChoices> out;
  for (size_t i = 0; i < text.size(); ++i) {
    CharChoices c;
    c.read = text[i];
    c.p_read = 0.8f;
    const bool digit = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
    const char a = alt[i] == '.' ? (digit ? 'A' : '0') : alt[i];
    const float pa = alt[i] == '.' ? 0.001f : 0.8f * ratio;
    if (digit)
      c.digit = text[i], c.p_digit = 0.8f, c.letter = a, c.p_letter = pa;
    else
      c.letter = text[i], c.p_letter = 0.8f, c.digit = a, c.p_digit = pa;
    out.push_back(c);
  }
  return out;
}
}  // namespace

TEST(PlateGrammar, us_frequent_layouts_correct_one_character_with_the_recognisers_second_choice) {
  // LL9L9L read with a G where the layout has a digit: the recogniser's best digit there is 6.
  EXPECT_EQ(frequent_layout_fix(chars("MHGV4L", "..6...", 0.3f), Region::us), "MH6V4L");
  // 9LLL999 with an L in front: its best digit (4, not the look-alike 1) is taken.
  EXPECT_EQ(frequent_layout_fix(chars("LGLS168", "4......", 0.2f), Region::us), "4GLS168");
  // The second choice is far less likely than the read: the read stays.
  EXPECT_EQ(frequent_layout_fix(chars("MHGV4L", "..6...", 0.05f), Region::us), "MHGV4L");
  // Already a frequent layout, or two characters off, or another length: unchanged.
  EXPECT_EQ(frequent_layout_fix(chars("7EAV033", "1......", 1.0f), Region::us), "7EAV033");
  EXPECT_EQ(frequent_layout_fix(chars("MHGVAL", "..6.4.", 1.0f), Region::us), "MHGVAL");
  EXPECT_EQ(frequent_layout_fix(chars("6HP995", "G.....", 1.0f), Region::us), "6HP995");
  // Only the US has frequent layouts; elsewhere the national layouts of apply_grammar decide.
  EXPECT_TRUE(frequent_layouts(Region::eu).empty());
  EXPECT_EQ(frequent_layout_fix(chars("MHGV4L", "..6...", 1.0f), Region::eu), "MHGV4L");
}

TEST(PlateReading, second_crop_is_skipped_only_after_a_confident_national_layout_read) {
  auto read_as = [](bool known_layout, bool valid, float confidence) {
    PlateRead r;
    r.known_layout = known_layout;
    r.valid = valid;
    r.confidence = confidence;
    return std::optional<PlateRead>(r);
  };
  EXPECT_FALSE(second_crop_needed(read_as(true, true, 0.99f), 0.97f));
  EXPECT_FALSE(second_crop_needed(read_as(true, true, 0.97f), 0.97f));
  // Less confident, the generic rule only (every US read: the US has no national layout), nothing.
  EXPECT_TRUE(second_crop_needed(read_as(true, true, 0.96f), 0.97f));
  EXPECT_TRUE(second_crop_needed(read_as(false, true, 0.999f), 0.97f));
  EXPECT_TRUE(second_crop_needed(read_as(false, false, 0.999f), 0.97f));
  EXPECT_TRUE(second_crop_needed(std::nullopt, 0.97f));
  // Above 1: both crops always (the old reader).
  EXPECT_TRUE(second_crop_needed(read_as(true, true, 1.0f), 1.01f));
}

TEST(PlateGrammar, europe_prefers_national_layouts) {
  const auto m = apply_grammar("RK896A0", Region::eu);  // SK LL999LL: the last 0 is an O
  EXPECT_TRUE(m.known_layout);
  EXPECT_EQ(m.text, "RK896AO");
}

TEST(PlateVoter, flicker_between_two_reads_settles_on_the_majority) {
  auto v = voter();
  for (int i = 0; i < 5; ++i) v.add(read(i % 3 == 2 ? "OLC4723" : "OLC4728", 0.9f));
  const auto c = v.consensus();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->text, "OLC4728");
  EXPECT_TRUE(c->reported);
  ASSERT_FALSE(c->candidates.empty());
  EXPECT_EQ(c->candidates[0].first, "OLC4723");
}

TEST(PlateVoter, one_bad_frame_does_not_change_the_plate) {
  auto v = voter();
  v.add(read("JGZ3298", 0.92f));
  v.add(read("JGZ3298", 0.9f));
  v.add(read("J6Z32", 0.4f, false));  // blurred frame, too short
  v.add(read("JGZ3298", 0.88f));
  const auto c = v.consensus();
  EXPECT_EQ(c->text, "JGZ3298");
  EXPECT_EQ(c->reads, 3);
  EXPECT_TRUE(c->reported);
}

TEST(PlateVoter, a_badge_read_as_a_plate_stays_a_candidate) {
  auto v = voter(Region::us);
  v.add(read("TOYOTA", 0.95f, false));  // no digit: fails the grammar
  v.add(read("TOYOTA", 0.95f, false));
  const auto c = v.consensus();
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->valid);
  EXPECT_FALSE(c->reported);
  // Once the real plate is read, it wins even against more badge reads.
  v.add(read("6HP995", 0.8f));
  v.add(read("6HP995", 0.85f));
  const auto c2 = v.consensus();
  EXPECT_EQ(c2->text, "6HP995");
  EXPECT_TRUE(c2->reported);
}

TEST(PlateVoter, two_vehicles_with_similar_plates_keep_their_own_reads) {
  auto a = voter(), b = voter();
  for (int i = 0; i < 3; ++i) {
    a.add(read("OUM7311", 0.9f));
    b.add(read("OUN7311", 0.9f));
  }
  EXPECT_EQ(a.consensus()->text, "OUM7311");
  EXPECT_EQ(b.consensus()->text, "OUN7311");
}

TEST(PlateVoter, a_single_read_is_a_candidate_not_a_fact) {
  auto v = voter();
  v.add(read("OLC4728", 0.95f));
  EXPECT_FALSE(v.consensus()->reported);
}

TEST(PlateGrammar, a_character_plates_do_not_have_is_never_valid_whatever_layout_the_rest_fits) {
  // Found by fuzz_plate: "A[C1234" fitted the US layout LLLDDDD ('[' is neither letter nor digit).
  for (auto r : {Region::us, Region::eu, Region::br, Region::ru, Region::any}) {
    for (const char* t : {"A[C1234", "ABC-1234", "abc1234", "AB 1234"}) {
      const auto m = apply_grammar(t, r);
      EXPECT_FALSE(m.valid) << t << " " << to_string(r);
      EXPECT_FALSE(m.known_layout) << t;
    }
  }
  EXPECT_TRUE(apply_grammar("ABC1234", Region::us).valid);  // the same without the stray character
}

TEST(PlateLocaliser, a_plausible_quad_is_convex_clockwise_with_each_corner_on_its_side) {
  using vsp::core::Point;
  EXPECT_TRUE(plausible_quad({Point{0, 0}, Point{100, 5}, Point{98, 50}, Point{2, 45}}));  // slight perspective
  // Seen on US photos: two regressed corners near the centre, or top-right and bottom-left swapped.
  EXPECT_FALSE(plausible_quad({Point{913, 314}, Point{971, 339}, Point{1032, 366}, Point{971, 343}}));
  EXPECT_FALSE(plausible_quad({Point{748, 593}, Point{747, 622}, Point{837, 627}, Point{829, 600}}));
  EXPECT_FALSE(plausible_quad({Point{0, 0}, Point{0, 50}, Point{100, 50}, Point{100, 0}}));  // counter-clockwise
  EXPECT_FALSE(plausible_quad({Point{0, 0}, Point{100, 0}, Point{0, 50}, Point{100, 50}}));  // crossed
}

TEST(PlateLocaliser, input_size_keeps_the_aspect_in_multiples_of_64) {
  EXPECT_EQ(lpd_input_size(1280, 720, 640, false), (std::pair<int, int>{640, 384}));
  EXPECT_EQ(lpd_input_size(720, 1280, 640, false), (std::pair<int, int>{384, 640}));
  EXPECT_EQ(lpd_input_size(461, 346, 640, false), (std::pair<int, int>{448, 320}));  // never enlarged
  EXPECT_EQ(lpd_input_size(461, 346, 640, true), (std::pair<int, int>{640, 512}));
  EXPECT_EQ(lpd_input_size(40, 20, 640, false), (std::pair<int, int>{64, 64}));
}

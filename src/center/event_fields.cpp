#include "center/event_fields.hpp"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <string>

namespace vsp::center {

namespace {

constexpr int kMaxDepth = 512;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// One pass over the text: well-formedness (RFC 8259, strict UTF-8, no lone surrogates) and the
/// values of the top-level keys asked for.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool fail(const std::string& what) {
    if (err_.empty()) err_ = fmt::format("{} at offset {}", what, p_);
    return false;
  }
  const std::string& error() const { return err_; }
  void ws() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r')) ++p_;
  }
  char peek() const { return p_ < s_.size() ? s_[p_] : '\0'; }
  bool at_end() const { return p_ >= s_.size(); }
  void next() { ++p_; }

  /// A string at the current '"'; its decoded value into `out` when given.
  bool string(std::string* out) {
    ++p_;
    if (out) out->clear();
    const size_t n = s_.size();
    while (true) {
      const size_t start = p_;
      while (p_ < n) {
        const auto c = static_cast<unsigned char>(s_[p_]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++p_;
      }
      if (out) out->append(s_.data() + start, p_ - start);
      if (p_ >= n) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(s_[p_]);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return fail("control character in a string");
      if (c >= 0x80) {
        const size_t len = utf8_sequence();
        if (len == 0) return fail("invalid UTF-8");
        if (out) out->append(s_.data() + p_, len);
        p_ += len;
        continue;
      }
      if (++p_ >= n) return fail("unterminated string");
      const char e = s_[p_++];
      char plain = 0;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          plain = e;
          break;
        case 'b':
          plain = '\b';
          break;
        case 'f':
          plain = '\f';
          break;
        case 'n':
          plain = '\n';
          break;
        case 'r':
          plain = '\r';
          break;
        case 't':
          plain = '\t';
          break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(cp)) return fail("bad \\u escape");
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo = 0;
            if (p_ + 1 >= n || s_[p_] != '\\' || s_[p_ + 1] != 'u') return fail("lone high surrogate");
            p_ += 2;
            if (!hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return fail("lone high surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          if (out) append_utf8(*out, cp);
          continue;
        }
        default:
          return fail("bad escape");
      }
      if (out) out->push_back(plain);
    }
  }

  /// A number at the current character; its value into `out` when given.
  bool number(double* out) {
    const size_t start = p_;
    if (peek() == '-') ++p_;
    if (peek() == '0') {
      ++p_;
    } else if (is_digit(peek())) {
      while (is_digit(peek())) ++p_;
    } else {
      return fail("bad number");
    }
    if (peek() == '.') {
      ++p_;
      if (!is_digit(peek())) return fail("bad number");
      while (is_digit(peek())) ++p_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++p_;
      if (peek() == '+' || peek() == '-') ++p_;
      if (!is_digit(peek())) return fail("bad number");
      while (is_digit(peek())) ++p_;
    }
    if (out) {
      const auto r = std::from_chars(s_.data() + start, s_.data() + p_, *out);
      if (r.ec != std::errc()) return fail("number out of range");
    }
    return true;
  }

  bool value(int depth) {
    ws();
    switch (peek()) {
      case '"':
        return string(nullptr);
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        if (peek() == '-' || is_digit(peek())) return number(nullptr);
        return fail(at_end() ? "unexpected end" : "unexpected character");
    }
  }

 private:
  bool object(int depth) {
    if (depth > kMaxDepth) return fail("nested too deep");
    ++p_;
    ws();
    if (peek() == '}') {
      ++p_;
      return true;
    }
    while (true) {
      ws();
      if (peek() != '"') return fail("expected a key");
      if (!string(nullptr)) return false;
      ws();
      if (peek() != ':') return fail("expected ':'");
      ++p_;
      if (!value(depth)) return false;
      ws();
      if (peek() == ',') {
        ++p_;
        continue;
      }
      if (peek() == '}') {
        ++p_;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  bool array(int depth) {
    if (depth > kMaxDepth) return fail("nested too deep");
    ++p_;
    ws();
    if (peek() == ']') {
      ++p_;
      return true;
    }
    while (true) {
      if (!value(depth)) return false;
      ws();
      if (peek() == ',') {
        ++p_;
        continue;
      }
      if (peek() == ']') {
        ++p_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  bool literal(std::string_view word) {
    if (s_.substr(p_, word.size()) != word) return fail("unexpected character");
    p_ += word.size();
    return true;
  }

  bool hex4(unsigned& cp) {
    if (p_ + 4 > s_.size()) return false;
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[p_++];
      cp <<= 4;
      if (c >= '0' && c <= '9')
        cp |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        cp |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        cp |= static_cast<unsigned>(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }

  /// Length of the well-formed UTF-8 sequence at p_ (0 when it is not one).
  size_t utf8_sequence() const {
    auto at = [&](size_t i) { return p_ + i < s_.size() ? static_cast<unsigned char>(s_[p_ + i]) : 0u; };
    auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) { return at(i) >= lo && at(i) <= hi; };
    const unsigned c = at(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    return 0;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string_view s_;
  size_t p_ = 0;
  std::string err_;
};

/// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil; out-of-range days roll
/// over like timegm's).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (what nodes send) without sscanf/timegm; anything else goes to
/// events::parse_rfc3339_ms, so both accept the same texts with the same values.
std::optional<std::int64_t> parse_ts(const std::string& t) {
  auto num = [&](size_t pos, size_t len, int& v) {
    v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (!is_digit(t[i])) return false;
      v = v * 10 + (t[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s, ms;
  if (t.size() == 24 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' && t[16] == ':' && t[19] == '.' &&
      t[23] == 'Z' && num(0, 4, y) && num(5, 2, mo) && num(8, 2, d) && num(11, 2, h) && num(14, 2, mi) &&
      num(17, 2, s) && num(20, 3, ms) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60)
    return ((days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 24 + h) * 60 + mi) * 60000 +
           s * 1000 + ms;
  return events::parse_rfc3339_ms(t);
}

}  // namespace

core::Result<events::Event> parse_indexed_fields(std::string_view json) {
  auto bad = [](const std::string& what) { return core::make_error("bad_event", "malformed event: " + what); };
  Reader r(json);
  auto bad_at = [&](const char* what) {
    r.fail(what);
    return bad(r.error());
  };
  events::Event e;
  e.site.clear();
  e.node.clear();
  std::string ts, key;
  bool have_version = false, have_id = false, have_type = false, have_ts = false;
  r.ws();
  if (r.peek() != '{') return bad(r.at_end() ? "empty message" : "not a JSON object");
  r.next();
  r.ws();
  bool empty = false;
  if (r.peek() == '}') {
    r.next();
    empty = true;
  }
  while (!empty) {
    r.ws();
    if (r.peek() != '"') return bad_at("expected a key");
    if (!r.string(&key)) return bad(r.error());
    r.ws();
    if (r.peek() != ':') return bad_at("expected ':'");
    r.next();
    r.ws();
    std::string* field = key == "id"          ? (have_id = true, &e.id)
                         : key == "site"      ? &e.site
                         : key == "node"      ? &e.node
                         : key == "camera"    ? &e.camera
                         : key == "type"      ? (have_type = true, &e.type)
                         : key == "rule"      ? &e.rule
                         : key == "class"     ? &e.class_name
                         : key == "direction" ? &e.direction
                         : key == "text"      ? &e.text
                         : key == "ts_utc"    ? (have_ts = true, &ts)
                                              : nullptr;
    if (field) {
      if (r.peek() != '"') return bad(fmt::format("'{}' is not a string", key));
      if (!r.string(field)) return bad(r.error());
    } else if (key == "schema_version" || key == "track_id") {
      if (r.peek() != '-' && !is_digit(r.peek())) return bad(fmt::format("'{}' is not a number", key));
      double d = 0;
      if (!r.number(&d)) return bad(r.error());
      if (!(d >= std::numeric_limits<int>::min() && d <= std::numeric_limits<int>::max()))
        return bad(fmt::format("'{}' is out of range", key));
      (key == "track_id" ? e.track_id : e.schema_version) = static_cast<int>(d);
      if (key == "schema_version") have_version = true;
    } else if (!r.value(0)) {
      return bad(r.error());
    }
    r.ws();
    if (r.peek() == ',') {
      r.next();
      continue;
    }
    if (r.peek() == '}') {
      r.next();
      break;
    }
    return bad_at("expected ',' or '}'");
  }
  r.ws();
  if (!r.at_end()) return bad("trailing characters after the object");
  if (!have_version) return bad("missing key 'schema_version'");
  if (!have_id) return bad("missing key 'id'");
  if (!have_type) return bad("missing key 'type'");
  if (!have_ts) return bad("missing key 'ts_utc'");
  const auto ms = parse_ts(ts);
  if (!ms) return core::make_error("bad_event", "ts_utc is not RFC 3339", "ts_utc");
  e.ts_utc_ms = *ms;
  return e;
}

void format_ts_ms(std::int64_t unix_ms, char out[24]) {
  const std::int64_t day_ms = 86'400'000;
  std::int64_t days = unix_ms / day_ms, rest = unix_ms % day_ms;
  if (rest < 0) {
    rest += day_ms;
    --days;
  }
  // civil_from_days (H. Hinnant)
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  auto put = [&](int pos, int len, std::int64_t v) {
    for (int i = pos + len - 1; i >= pos; --i) {
      out[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  const auto r = static_cast<std::int64_t>(rest);
  put(0, 4, y);
  out[4] = '-';
  put(5, 2, m);
  out[7] = '-';
  put(8, 2, d);
  out[10] = 'T';
  put(11, 2, r / 3'600'000);
  out[13] = ':';
  put(14, 2, r / 60'000 % 60);
  out[16] = ':';
  put(17, 2, r / 1000 % 60);
  out[19] = '.';
  put(20, 3, r % 1000);
  out[23] = 'Z';
}

}  // namespace vsp::center

#pragma once
/// Internal to the config module: the typed rows every key is declared with, once. A row knows its
/// key, the member it fills (through an accessor), its type, bounds, unit, description and enum
/// words; its default is read from a default-constructed owner, so the member initialisers stay
/// the only copy. `read_table` parses a YAML map through a table's rows; `dump_table` shows the
/// effective values; schema.cpp renders the reference and the JSON Schema from `TableInfo`.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "config/reader.hpp"

namespace vsp::config {

enum class ValueKind {
  boolean,
  integer,
  number,
  string,
  enumeration,
  point,
  vector,  ///< [x, y], any numbers (metres, directions)
  polygon,
  class_list,
  string_list,
  section,
  list
};

/// What the docs and the JSON Schema need to know about one key.
struct RowInfo {
  std::string key;
  ValueKind kind = ValueKind::string;
  Bounds bounds;                   ///< numbers and integers
  std::vector<std::string> words;  ///< enumerations
  std::string enum_noun;           ///< "model" → "unknown model 'x' (expected one of: ...)"
  std::string pattern;             ///< strings (and string-list items): ECMA regex for the JSON Schema
  std::string unit;
  std::string description;
  std::string notes;  ///< extra constraints in words ("unique", "loopback HOST:PORT")
  bool required = false;
  bool hidden = false;           ///< read (to give a better error) but not documented
  nlohmann::json default_value;  ///< null = none (then default_text says what happens)
  std::string default_text;      ///< overrides the text shown for the default
  std::string child;             ///< section/list: the id of the table of its keys
};

struct TableInfo {
  std::string id;     ///< JSON Schema definition name, e.g. "line"
  std::string title;  ///< heading in the reference, e.g. "rules.lines[]"
  std::string intro;  ///< a sentence under the heading
  std::vector<RowInfo> rows;
};

template <class T>
struct Row {
  RowInfo info;
  /// Reads the node (present) into the owner; errors go to the reader.
  std::function<void(Reader&, const YAML::Node&, const std::string& path, T&)> read;
  /// The owner's effective value of this key (null when unset and without default).
  std::function<nlohmann::json(const T&)> show;
};

template <class T>
struct Table {
  TableInfo doc;  ///< rows filled by info()
  std::vector<Row<T>> rows;
  /// Checks that need several keys, run after every row was read.
  std::function<void(Reader&, const YAML::Node&, const std::string& path, T&)> after;

  TableInfo info() const {
    TableInfo t = doc;
    t.rows.clear();
    for (const auto& r : rows) t.rows.push_back(r.info);
    return t;
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (const auto& r : rows) k.push_back(r.info.key);
    return k;
  }
};

/// Reads map `n` through `table` into `out`; false when `n` is not a map.
template <class T>
bool read_table(Reader& r, const Table<T>& table, const YAML::Node& n, const std::string& path, T& out) {
  if (!r.check_map(n, path, table.keys())) return false;
  for (const auto& row : table.rows) {
    const YAML::Node v = n[row.info.key];
    if (!v) {
      if (row.info.required) r.error(n, path, fmt::format("missing required key '{}'", row.info.key));
      continue;
    }
    row.read(r, v, Reader::join(path, row.info.key), out);
  }
  if (table.after) table.after(r, n, path, out);
  return true;
}

template <class T>
nlohmann::json dump_table(const Table<T>& table, const T& v) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& row : table.rows)
    if (!row.info.hidden) j[row.info.key] = row.show(v);
  return j;
}

// ---- Value types: how a member of type M reads, shows and is described ------------------------

template <class M>
struct is_optional : std::false_type {};
template <class M>
struct is_optional<std::optional<M>> : std::true_type {};

/// A float shown as its shortest decimal (0.6f → 0.6, not 0.6000000238).
inline nlohmann::json number_json(double v) { return v; }
inline nlohmann::json number_json(float v) { return std::stod(fmt::format("{}", v)); }

template <class M>
nlohmann::json to_json_value(const M& v) {
  if constexpr (is_optional<M>::value) {
    return v ? to_json_value(*v) : nlohmann::json();
  } else if constexpr (std::is_same_v<M, bool> || std::is_same_v<M, std::string>) {
    return v;
  } else if constexpr (std::is_integral_v<M>) {
    return static_cast<std::int64_t>(v);
  } else if constexpr (std::is_floating_point_v<M>) {
    return number_json(v);
  } else if constexpr (std::is_same_v<M, core::Point>) {
    return nlohmann::json::array({v.x, v.y});
  } else if constexpr (std::is_same_v<M, core::Polygon>) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& p : v) a.push_back({p.x, p.y});
    return a;
  } else {  // std::vector<int> (class ids), std::vector<std::string>
    return nlohmann::json(v);
  }
}

template <class M>
constexpr ValueKind kind_of() {
  if constexpr (is_optional<M>::value)
    return kind_of<typename M::value_type>();
  else if constexpr (std::is_same_v<M, bool>)
    return ValueKind::boolean;
  else if constexpr (std::is_integral_v<M>)
    return ValueKind::integer;
  else if constexpr (std::is_floating_point_v<M>)
    return ValueKind::number;
  else if constexpr (std::is_same_v<M, std::string>)
    return ValueKind::string;
  else if constexpr (std::is_same_v<M, core::Point>)
    return ValueKind::point;
  else if constexpr (std::is_same_v<M, core::Polygon>)
    return ValueKind::polygon;
  else if constexpr (std::is_same_v<M, std::vector<int>>)
    return ValueKind::class_list;
  else
    return ValueKind::string_list;
}

template <class M>
std::optional<M> read_value(Reader& r, const YAML::Node& n, const std::string& p, const RowInfo& info) {
  if constexpr (is_optional<M>::value) {
    auto v = read_value<typename M::value_type>(r, n, p, info);
    if (!v) return std::nullopt;
    return M{std::move(*v)};
  } else if constexpr (std::is_same_v<M, bool>) {
    return r.boolean(n, p);
  } else if constexpr (std::is_integral_v<M>) {
    auto v = r.integer(n, p, info.bounds);
    if (!v) return std::nullopt;
    return static_cast<M>(*v);
  } else if constexpr (std::is_floating_point_v<M>) {
    auto v = r.number(n, p, info.bounds);
    if (!v) return std::nullopt;
    return static_cast<M>(*v);
  } else if constexpr (std::is_same_v<M, std::string>) {
    return info.words.empty() ? r.string(n, p) : r.word(n, p, info.words, info.enum_noun);
  } else if constexpr (std::is_same_v<M, core::Point>) {
    return r.point(n, p);
  } else if constexpr (std::is_same_v<M, core::Polygon>) {
    return r.polygon(n, p);
  } else if constexpr (std::is_same_v<M, std::vector<int>>) {
    return r.classes(n, p);
  } else {
    return r.strings(n, p);
  }
}

/// The member type an accessor `T& -> M&` reaches.
template <class T, class Acc>
using member_t = std::remove_cvref_t<decltype(std::declval<Acc>()(std::declval<T&>()))>;

/// A leaf key bound to the member `acc(owner)`. `check` (optional) rejects a read value with a
/// message. The default is the member's value in a default-constructed owner unless `info` sets one.
template <class T, class Acc>
Row<T> field(RowInfo info, Acc acc,
             std::function<std::optional<std::string>(const member_t<T, Acc>&)> check = nullptr) {
  using M = member_t<T, Acc>;
  if (info.kind == ValueKind::string && kind_of<M>() != ValueKind::string) info.kind = kind_of<M>();
  if (!info.words.empty()) info.kind = ValueKind::enumeration;
  if (info.default_value.is_null() && info.default_text.empty() && !info.required) {
    T def{};
    info.default_value = to_json_value(acc(def));
  }
  Row<T> row;
  row.info = info;
  row.read = [acc, check, info](Reader& r, const YAML::Node& n, const std::string& p, T& t) {
    auto v = read_value<M>(r, n, p, info);
    if (!v) return;
    if (check)
      if (auto msg = check(*v)) {
        r.error(n, p, *msg);
        return;
      }
    acc(t) = std::move(*v);
  };
  row.show = [acc](const T& t) { return to_json_value(acc(const_cast<T&>(t))); };
  return row;
}

/// An enumeration whose words map to values of a member that is not a string (an enum class, a
/// bool). `choices` is the one list of the words.
template <class T, class E, class Acc>
Row<T> choice(RowInfo info, std::vector<std::pair<std::string, E>> choices, Acc acc) {
  info.kind = ValueKind::enumeration;
  info.words.clear();
  for (const auto& c : choices) info.words.push_back(c.first);
  auto word_of = [choices](const E& e) -> nlohmann::json {
    for (const auto& c : choices)
      if (c.second == e) return c.first;
    return nullptr;
  };
  if (info.default_value.is_null() && info.default_text.empty()) {
    T def{};
    info.default_value = word_of(acc(def));
  }
  Row<T> row;
  row.info = info;
  row.read = [acc, choices, info](Reader& r, const YAML::Node& n, const std::string& p, T& t) {
    auto w = r.word(n, p, info.words, info.enum_noun);
    if (!w) return;
    for (const auto& c : choices)
      if (c.first == *w) acc(t) = c.second;
  };
  row.show = [acc, word_of](const T& t) { return word_of(acc(const_cast<T&>(t))); };
  return row;
}

/// A nested map read through `child` into `acc(owner)`: a `C&`, or a `std::optional<C>&` that the
/// key's presence creates (keys absent keep the values it already had).
template <class T, class C, class Acc>
Row<T> section(RowInfo info, const Table<C>& child, Acc acc) {
  using M = member_t<T, Acc>;
  info.kind = ValueKind::section;
  info.child = child.doc.id;
  Row<T> row;
  row.info = info;
  const Table<C>* tab = &child;
  row.read = [acc, tab](Reader& r, const YAML::Node& n, const std::string& p, T& t) {
    M& m = acc(t);
    if constexpr (is_optional<M>::value) {
      C c = m ? *m : C{};
      if (read_table(r, *tab, n, p, c)) m = std::move(c);
    } else {
      read_table(r, *tab, n, p, m);
    }
  };
  row.show = [acc, tab](const T& t) -> nlohmann::json {
    const M& m = acc(const_cast<T&>(t));
    if constexpr (is_optional<M>::value)
      return m ? dump_table(*tab, *m) : nlohmann::json();
    else
      return dump_table(*tab, m);
  };
  return row;
}

/// A list of maps, each read through `item` and appended to `acc(owner)` (a std::vector<C>&).
template <class T, class C, class Acc>
Row<T> list(RowInfo info, const Table<C>& item, Acc acc) {
  info.kind = ValueKind::list;
  info.child = item.doc.id;
  Row<T> row;
  row.info = info;
  const Table<C>* tab = &item;
  row.read = [acc, tab, info](Reader& r, const YAML::Node& n, const std::string& p, T& t) {
    if (!n.IsSequence()) {
      r.error(n, p, fmt::format("expected a list of {}", info.description));
      return;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      C c{};
      if (read_table(r, *tab, n[i], fmt::format("{}[{}]", p, i), c)) acc(t).push_back(std::move(c));
    }
  };
  row.show = [acc, tab](const T& t) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& c : acc(const_cast<T&>(t))) a.push_back(dump_table(*tab, c));
    return a;
  };
  return row;
}

/// Re-targets a row of owner `C` to owner `T` through `acc: T& -> C&` (camera fields used at the
/// top of an analyze config, on each serve camera and as serve's defaults).
template <class T, class C, class Acc>
Row<T> lift(const Row<C>& inner, Acc acc) {
  Row<T> row;
  row.info = inner.info;
  row.read = [inner, acc](Reader& r, const YAML::Node& n, const std::string& p, T& t) { inner.read(r, n, p, acc(t)); };
  row.show = [inner, acc](const T& t) { return inner.show(acc(const_cast<T&>(t))); };
  return row;
}

// ---- The tables (camera_config.cpp, serve_config.cpp) -----------------------------------------

/// Checks between keys of one camera (road rules: calibration needed, signals named); `n` is the
/// camera's YAML map, `path` its error path ("" or "cameras[gate]").
void check_camera_road(Reader& r, const YAML::Node& n, const std::string& path, const CameraConfig& c);

/// Keys of one camera (owner CameraConfig); `with_rules` false for serve's top level.
std::vector<Row<CameraConfig>> camera_rows(bool with_rules);
const Table<CameraConfig>& analyze_table();
/// Every table, in reference order; the first of each kind is its root.
std::vector<TableInfo> analyze_table_infos();
std::vector<TableInfo> serve_table_infos();

}  // namespace vsp::config

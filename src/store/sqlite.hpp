#pragma once
/// SQLite helpers shared by the node's stores (recordings/events in store/, accounts and audit in
/// auth/): a prepared statement with RAII and typed binds, and exec.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

#include "core/log.hpp"

namespace vsp::sqlite {

inline const core::Logger& log() {
  static const core::Logger l("sqlite");
  return l;
}

/// Prepared statement with RAII and typed binds; a statement that fails to prepare is logged and
/// then steps to nothing (step() false, done() false, run() SQLITE_ERROR).
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) {
      log().error("prepare failed: {}: {}", sqlite3_errmsg(db), sql);
      s_ = nullptr;
    }
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind_opt(int i, const std::optional<std::string>& v) {
    if (v)
      bind(i, *v);
    else
      sqlite3_bind_null(s_, i);
    return *this;
  }
  Stmt& bind_opt(int i, const std::optional<std::int64_t>& v) {
    if (v)
      bind(i, *v);
    else
      sqlite3_bind_null(s_, i);
    return *this;
  }
  bool step() { return s_ && sqlite3_step(s_) == SQLITE_ROW; }
  bool done() { return s_ && sqlite3_step(s_) == SQLITE_DONE; }
  int run() { return s_ ? sqlite3_step(s_) : SQLITE_ERROR; }
  std::int64_t i64(int c) { return sqlite3_column_int64(s_, c); }
  std::string text(int c) {
    const auto* p = sqlite3_column_text(s_, c);
    return p ? reinterpret_cast<const char*>(p) : "";
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

/// Runs `sql` (several statements allowed); a failure is logged.
inline bool exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) == SQLITE_OK) return true;
  log().error("sql failed: {}", err ? err : "?");
  sqlite3_free(err);
  return false;
}

}  // namespace vsp::sqlite

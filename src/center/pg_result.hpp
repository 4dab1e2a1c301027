#pragma once
/// libpq helpers shared by the center's event store and its account/audit store.
#include <libpq-fe.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

namespace vsp::center {

/// A query's result, cleared on scope exit.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  ~PgResult() { PQclear(r_); }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  /// The command succeeded (or a COPY is ready for rows).
  bool ok() const {
    const auto s = PQresultStatus(r_);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_COPY_IN;
  }
  int rows() const { return PQntuples(r_); }
  std::string text(int row, int col) const { return PQgetvalue(r_, row, col); }
  std::int64_t i64(int row, int col) const { return std::stoll(PQgetvalue(r_, row, col)); }
  bool flag(int row, int col) const { return text(row, col) == "t"; }
  /// Rows an INSERT/UPDATE/DELETE touched.
  std::int64_t affected() const {
    const char* n = PQcmdTuples(r_);
    return n && *n ? std::stoll(n) : 0;
  }
  std::string sqlstate() const {
    const char* s = PQresultErrorField(r_, PG_DIAG_SQLSTATE);
    return s ? s : "";
  }
  PGresult* get() const { return r_; }

 private:
  PGresult* r_;
};

/// `sql` with $1.. bound to `params` (text).
inline PgResult pg_query(PGconn* c, const char* sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  return PgResult(PQexecParams(c, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
}

/// The connection's last error message without its trailing newline.
inline std::string pg_error_text(PGconn* c) {
  std::string s = PQerrorMessage(c);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace vsp::center

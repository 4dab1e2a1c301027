#pragma once
/// The audit log's hash chain, independent of where records are stored (SQLite on the node,
/// PostgreSQL on the center). Each record's hash covers its sequence number, every field and the
/// previous record's hash, so an edited, deleted, inserted or reordered record breaks the chain at
/// that record.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vsp::auth {

/// One audit record. `seq` counts from 1 without gaps; `ts_ms` is UTC milliseconds.
struct AuditRecord {
  std::int64_t seq = 0;
  std::int64_t ts_ms = 0;
  std::string user;     ///< account or token id; "-" for anonymous
  std::string role;     ///< the role the request ran with; "-" for none
  std::string address;  ///< the client's IP address, or "cli" for the command line
  std::string action;   ///< login, login_failed, search_events, live_view, snapshot, clip, user_add, ...
  std::string target;   ///< what was acted on (camera, user, query string)
  std::string reason;   ///< the stated reason (unmasking), else empty
  std::string result;   ///< ok, denied, failed, locked
  std::string prev_hash;
  std::string hash;
};

/// The previous hash of the first record.
inline constexpr const char* kAuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 (hex) over the record's seq, fields and prev_hash (not over `hash`).
std::string audit_record_hash(const AuditRecord& r);

struct AuditBreak {
  std::int64_t seq = 0;  ///< the first bad record (its stored seq), or the seq where one is missing
  std::string problem;   ///< one sentence naming what is wrong
};

/// Where the stored chain starts: record 1 after the genesis hash, or, once retention has cut the
/// oldest records, the record after the last one cut, whose hash was kept.
struct AuditAnchor {
  std::int64_t first_seq = 1;
  std::string prev_hash = kAuditGenesis;
};

/// The last record a store says it holds (PostgreSQL keeps it in a row locked by each append).
struct AuditHead {
  std::int64_t seq = 0;  ///< 0: no record yet
  std::string hash = kAuditGenesis;
};

/// `r` made the record after (last_seq, last_hash): its seq, prev_hash and hash filled in. Every
/// backend's append goes through here, under its own lock.
AuditRecord chain_audit_record(AuditRecord r, std::int64_t last_seq, const std::string& last_hash);

/// Walks `records` in stored order from `anchor`; nullopt when the chain is intact. With `head`
/// (read before the records), the record it names must be there with its hash: a record cut from
/// the end, or a last record rewritten with a fresh hash, is caught too.
std::optional<AuditBreak> verify_audit_chain(const std::vector<AuditRecord>& records, const AuditAnchor& anchor = {},
                                             const std::optional<AuditHead>& head = std::nullopt);

}  // namespace vsp::auth

#include "auth/audit_chain.hpp"

#include <fmt/format.h>

#include "auth/secrets.hpp"

namespace vsp::auth {

std::string audit_record_hash(const AuditRecord& r) {
  // Length-prefixed fields: no separator inside a field can make two records hash alike.
  std::string buf;
  auto add = [&](const std::string& s) { buf += fmt::format("{}:{};", s.size(), s); };
  add(std::to_string(r.seq));
  add(std::to_string(r.ts_ms));
  for (const auto* f : {&r.user, &r.role, &r.address, &r.action, &r.target, &r.reason, &r.result, &r.prev_hash})
    add(*f);
  return sha256_hex(buf);
}

AuditRecord chain_audit_record(AuditRecord r, std::int64_t last_seq, const std::string& last_hash) {
  r.seq = last_seq + 1;
  r.prev_hash = last_hash;
  r.hash = audit_record_hash(r);
  return r;
}

std::optional<AuditBreak> verify_audit_chain(const std::vector<AuditRecord>& records, const AuditAnchor& anchor,
                                             const std::optional<AuditHead>& head) {
  std::string prev = anchor.prev_hash;
  std::int64_t expect_seq = anchor.first_seq;
  for (const auto& r : records) {
    if (r.seq != expect_seq)
      return AuditBreak{
          r.seq,
          fmt::format("record {} follows record {}: record(s) {} deleted, or records reordered", r.seq, expect_seq - 1,
                      r.seq > expect_seq ? fmt::format("{}..{}", expect_seq, r.seq - 1) : std::string("before it"))};
    if (r.prev_hash != prev)
      return AuditBreak{r.seq, fmt::format("record {} does not follow record {} (previous-hash mismatch): a record "
                                           "was deleted, inserted or reordered here",
                                           r.seq, r.seq - 1)};
    if (audit_record_hash(r) != r.hash)
      return AuditBreak{r.seq, fmt::format("record {} was edited: its contents do not match its hash", r.seq)};
    if (head && r.seq == head->seq && r.hash != head->hash)
      return AuditBreak{r.seq, fmt::format("record {} is not the one the chain head names: it was replaced", r.seq)};
    prev = r.hash;
    ++expect_seq;
  }
  // expect_seq is now one past the last record (or the anchor's first seq when none is stored).
  if (head && head->seq >= expect_seq)
    return AuditBreak{expect_seq,
                      head->seq > expect_seq
                          ? fmt::format("records {}..{} deleted from the end (the chain head names {})", expect_seq,
                                        head->seq, head->seq)
                          : fmt::format("record {} deleted from the end (the chain head names it)", expect_seq)};
  return std::nullopt;
}

}  // namespace vsp::auth

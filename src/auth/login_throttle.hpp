#pragma once
/// Failed-login throttling per account and per client address. Pure: every call takes the time.
///
/// Policy (docs/security.md): after `account_free_failures` consecutive failures an account is locked
/// for `base_lock_ms`, doubling with each further failure up to `max_lock_ms`; while locked every
/// login to it, the right password included, is refused with 429 and a Retry-After. An address gets
/// the same treatment after `address_free_failures`. A success clears the account's count (not the
/// address's). Failures older than `window_ms` are forgotten.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace vsp::auth {

struct ThrottlePolicy {
  int account_free_failures = 5;
  int address_free_failures = 30;
  std::int64_t base_lock_ms = 60'000;
  std::int64_t max_lock_ms = 15 * 60'000;
  std::int64_t window_ms = 15 * 60'000;
};

class LoginThrottle {
 public:
  explicit LoginThrottle(ThrottlePolicy p = {}) : p_(p) {}
  /// 0 when a login for (account, address) may be tried now, else milliseconds to wait.
  std::int64_t retry_after_ms(const std::string& account, const std::string& address, std::int64_t now_ms);
  void failed(const std::string& account, const std::string& address, std::int64_t now_ms);
  void succeeded(const std::string& account);

 private:
  struct Entry {
    int failures = 0;
    std::int64_t last_ms = 0;
    std::int64_t locked_until_ms = 0;
  };
  void bump(Entry& e, int free_failures, std::int64_t now_ms) const;
  std::int64_t wait(std::map<std::string, Entry>& m, const std::string& key, std::int64_t now_ms) const;
  ThrottlePolicy p_;
  std::mutex m_;
  std::map<std::string, Entry> accounts_, addresses_;
};

}  // namespace vsp::auth

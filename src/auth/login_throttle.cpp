#include "auth/login_throttle.hpp"

#include <algorithm>

namespace vsp::auth {

std::int64_t LoginThrottle::wait(std::map<std::string, Entry>& m, const std::string& key, std::int64_t now_ms) const {
  auto it = m.find(key);
  if (it == m.end()) return 0;
  if (now_ms - it->second.last_ms > p_.window_ms && now_ms >= it->second.locked_until_ms) {
    m.erase(it);  // forgotten
    return 0;
  }
  return std::max<std::int64_t>(0, it->second.locked_until_ms - now_ms);
}

std::int64_t LoginThrottle::retry_after_ms(const std::string& account, const std::string& address,
                                           std::int64_t now_ms) {
  std::lock_guard lk(m_);
  return std::max(wait(accounts_, account, now_ms), wait(addresses_, address, now_ms));
}

void LoginThrottle::bump(Entry& e, int free_failures, std::int64_t now_ms) const {
  if (now_ms - e.last_ms > p_.window_ms && now_ms >= e.locked_until_ms) e = Entry{};
  ++e.failures;
  e.last_ms = now_ms;
  const int over = e.failures - free_failures;
  if (over < 0) return;
  std::int64_t lock = p_.base_lock_ms;
  for (int i = 0; i < over && lock < p_.max_lock_ms; ++i) lock *= 2;
  e.locked_until_ms = now_ms + std::min(lock, p_.max_lock_ms);
}

void LoginThrottle::failed(const std::string& account, const std::string& address, std::int64_t now_ms) {
  std::lock_guard lk(m_);
  bump(accounts_[account], p_.account_free_failures, now_ms);
  bump(addresses_[address], p_.address_free_failures, now_ms);
}

void LoginThrottle::succeeded(const std::string& account) {
  std::lock_guard lk(m_);
  accounts_.erase(account);
}

}  // namespace vsp::auth

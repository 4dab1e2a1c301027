#include "auth/secrets.hpp"

#include <sodium.h>

#include <mutex>

namespace vsp::auth {

namespace {
std::string to_hex(const unsigned char* p, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.resize(n * 2);
  return out;
}
}  // namespace

bool crypto_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

core::Result<std::string> hash_password(std::string_view password) {
  if (!crypto_ready()) return core::make_error("crypto_unavailable", "libsodium failed to initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return core::make_error("out_of_memory", "argon2id: not enough memory to hash the password");
  return std::string(out);
}

bool verify_password(std::string_view password, const std::string& hash) {
  if (!crypto_ready() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string random_hex(std::size_t bytes) {
  crypto_ready();
  std::string buf(bytes, '\0');
  randombytes_buf(buf.data(), buf.size());
  return to_hex(reinterpret_cast<const unsigned char*>(buf.data()), buf.size());
}

std::string sha256_hex(std::string_view data) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return to_hex(h, sizeof h);
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vsp::auth

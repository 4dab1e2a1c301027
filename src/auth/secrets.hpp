#pragma once
/// Password hashing (argon2id through libsodium), random tokens and SHA-256, in one place so the
/// node and the center hash alike.
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace vsp::auth {

/// Initialises libsodium once; false when it cannot (no entropy source).
bool crypto_ready();
/// An argon2id hash in libsodium's self-describing string form ("$argon2id$v=19$m=...").
core::Result<std::string> hash_password(std::string_view password);
bool verify_password(std::string_view password, const std::string& hash);
/// `bytes` random bytes as lowercase hex.
std::string random_hex(std::size_t bytes);
/// SHA-256 of `data` as lowercase hex.
std::string sha256_hex(std::string_view data);
/// Compares two strings in time independent of where they differ.
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace vsp::auth

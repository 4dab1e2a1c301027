#pragma once
/// Evidence packs: a folder per violation (`evidence/<event id>/`) holding stills, a clip and the
/// facts of the decision, sealed by `manifest.json` — the SHA-256 of every file, signed with the
/// node's Ed25519 key (libsodium). Anyone with the pack (and, to know who signed, the node's public
/// key) can check that no byte of any file or of the manifest changed.
///
///   manifest.json = {"format": "vsp-evidence", "version": 1, "event_id", "created_utc",
///                    "files": [{"path", "bytes", "sha256"}...], "public_key": hex,
///                    "signature": hex Ed25519 over the manifest without "signature", compact}
///   The file is that object dumped with 2-space indent and a final newline; verify re-renders it,
///   so any byte changed (even whitespace) is caught.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace vsp::evidence {

inline constexpr const char* kManifestName = "manifest.json";

/// The node's signing key: 64 bytes (libsodium's Ed25519 secret key, which holds the public key),
/// created once with mode 0600 in a 0700 folder and kept.
class Signer {
 public:
  /// Loads `path`, or creates it when absent. Errors: unreadable, wrong size, loose permissions.
  static core::Result<std::shared_ptr<Signer>> load_or_create(const std::string& path);
  std::string sign_hex(const std::string& message) const;
  const std::string& public_key_hex() const { return public_hex_; }

 private:
  std::vector<unsigned char> secret_;
  std::string public_hex_;
};

/// Hashes every file under `dir` (recursively, except the manifest) and writes a signed manifest.
/// Calling it again (a clip added later) re-seals the folder.
core::Status seal(const std::string& dir, const std::string& event_id, std::int64_t created_ms, const Signer& signer);

struct VerifyResult {
  bool ok = false;
  std::string file;     ///< the first altered, missing or unlisted file ("manifest.json" for the manifest)
  std::string message;  ///< one sentence
  int files = 0;        ///< files checked
  std::string public_key;
};

/// Checks the manifest's form and signature, then every file's size and SHA-256, then that no
/// file is unlisted. `trusted_public_key_hex` set: the manifest must be signed by that key.
VerifyResult verify(const std::string& dir, const std::optional<std::string>& trusted_public_key_hex = std::nullopt);

/// SHA-256 of a file as lowercase hex; nullopt when unreadable.
std::optional<std::string> sha256_file(const std::string& path);

}  // namespace vsp::evidence

#include "evidence/pack.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "events/event.hpp"

namespace vsp::evidence {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string to_hex(const unsigned char* p, size_t n) {
  std::string s(n * 2 + 1, '\0');
  sodium_bin2hex(s.data(), s.size(), p, n);
  s.resize(n * 2);
  return s;
}

std::optional<std::vector<unsigned char>> from_hex(const std::string& hex, size_t n) {
  std::vector<unsigned char> out(n);
  size_t len = 0;
  if (hex.size() != n * 2 ||
      sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0 || len != n)
    return std::nullopt;
  return out;
}

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

std::optional<std::string> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Files under dir (relative, '/'-separated, sorted), the manifest excluded.
std::vector<std::string> list_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string rel = fs::relative(it->path(), dir).generic_string();
    if (rel == kManifestName || rel.rfind(".tmp-", 0) == 0) continue;
    out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string render(const json& manifest) { return manifest.dump(2) + "\n"; }

}  // namespace

std::optional<std::string> sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = in.gcount();
    if (got > 0)
      crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(buf.data()),
                                static_cast<unsigned long long>(got));
  }
  if (in.bad()) return std::nullopt;
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, h);
  return to_hex(h, sizeof h);
}

core::Result<std::shared_ptr<Signer>> Signer::load_or_create(const std::string& path) {
  if (!sodium_ready()) return core::make_error("crypto_unavailable", "libsodium failed to initialise");
  auto s = std::make_shared<Signer>();
  s->secret_.resize(crypto_sign_SECRETKEYBYTES);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) {
      fs::create_directories(parent, ec);
      fs::permissions(parent, fs::perms::owner_all, fs::perm_options::replace, ec);
    }
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_keypair(pk, s->secret_.data());
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
      return core::make_error("key_write_failed",
                              fmt::format("{}: cannot create the signing key: {}", path, std::strerror(errno)));
    const auto n = ::write(fd, s->secret_.data(), s->secret_.size());
    ::fsync(fd);
    ::close(fd);
    if (n != static_cast<ssize_t>(s->secret_.size()))
      return core::make_error("key_write_failed", fmt::format("{}: short write of the signing key", path));
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return core::make_error("key_unreadable", fmt::format("{}: {}", path, std::strerror(errno)));
    if ((st.st_mode & 077) != 0)
      return core::make_error(
          "key_permissions",
          fmt::format("{}: the signing key is readable by others (mode {:o}); chmod 600 it", path, st.st_mode & 0777));
    const auto bytes = read_all(path);
    if (!bytes || bytes->size() != s->secret_.size())
      return core::make_error(
          "key_unreadable", fmt::format("{}: not an Ed25519 signing key ({} bytes expected)", path, s->secret_.size()));
    std::copy(bytes->begin(), bytes->end(), s->secret_.begin());
  }
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_ed25519_sk_to_pk(pk, s->secret_.data());
  s->public_hex_ = to_hex(pk, sizeof pk);
  return s;
}

std::string Signer::sign_hex(const std::string& message) const {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_.data());
  return to_hex(sig, sizeof sig);
}

core::Status seal(const std::string& dir, const std::string& event_id, std::int64_t created_ms, const Signer& signer) {
  json files = json::array();
  for (const auto& rel : list_files(dir)) {
    const std::string p = (fs::path(dir) / rel).string();
    const auto h = sha256_file(p);
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (!h || ec) return core::make_error("evidence_unreadable", fmt::format("{}: cannot read to seal it", p));
    files.push_back({{"path", rel}, {"bytes", static_cast<std::int64_t>(size)}, {"sha256", *h}});
  }
  json m = {{"format", "vsp-evidence"}, {"version", 1},
            {"event_id", event_id},     {"created_utc", events::format_rfc3339_ms(created_ms)},
            {"files", files},           {"public_key", signer.public_key_hex()}};
  m["signature"] = signer.sign_hex(m.dump());
  // Written to a temporary name and renamed: a reader never sees half a manifest.
  const fs::path tmp = fs::path(dir) / ".tmp-manifest.json";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << render(m);
    if (!out) return core::make_error("evidence_write_failed", fmt::format("{}: cannot write", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, fs::path(dir) / kManifestName, ec);
  if (ec) return core::make_error("evidence_write_failed", fmt::format("{}: {}", dir, ec.message()));
  return core::Ok{};
}

VerifyResult verify(const std::string& dir, const std::optional<std::string>& trusted) {
  VerifyResult r;
  auto fail = [&](std::string file, std::string msg) {
    r.ok = false;
    r.file = std::move(file);
    r.message = std::move(msg);
    return r;
  };
  if (!sodium_ready()) return fail("", "libsodium failed to initialise");
  const std::string mpath = (fs::path(dir) / kManifestName).string();
  const auto text = read_all(mpath);
  if (!text) return fail(kManifestName, "missing or unreadable");
  json m = json::parse(*text, nullptr, false);
  if (m.is_discarded() || !m.is_object() || !m.contains("signature") || !m["signature"].is_string() ||
      !m.contains("public_key") || !m["public_key"].is_string() || !m.contains("files") || !m["files"].is_array())
    return fail(kManifestName, "not a vsp evidence manifest (altered?)");
  if (render(m) != *text) return fail(kManifestName, "altered: its bytes differ from the signed form");
  const std::string sig_hex = m["signature"];
  r.public_key = m["public_key"];
  json unsigned_m = m;
  unsigned_m.erase("signature");
  const auto sig = from_hex(sig_hex, crypto_sign_BYTES);
  const auto pk = from_hex(r.public_key, crypto_sign_PUBLICKEYBYTES);
  if (!sig || !pk) return fail(kManifestName, "altered: malformed signature or public key");
  const std::string msg = unsigned_m.dump();
  if (crypto_sign_verify_detached(sig->data(), reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                                  pk->data()) != 0)
    return fail(kManifestName, "altered: the signature does not match its content");
  if (trusted && *trusted != r.public_key)
    return fail(kManifestName, fmt::format("signed by key {}, not the trusted key {}", r.public_key, *trusted));
  std::vector<std::string> listed;
  for (const auto& f : m["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("sha256"))
      return fail(kManifestName, "malformed file entry");
    const std::string rel = f["path"];
    listed.push_back(rel);
    const std::string p = (fs::path(dir) / rel).string();
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return fail(rel, "missing");
    const auto size = fs::file_size(p, ec);
    const auto h = sha256_file(p);
    if (!h) return fail(rel, "unreadable");
    if (f.value("bytes", std::int64_t{-1}) != static_cast<std::int64_t>(size) || *h != f["sha256"].get<std::string>())
      return fail(rel, "altered: its SHA-256 differs from the manifest's");
    ++r.files;
  }
  std::sort(listed.begin(), listed.end());
  for (const auto& rel : list_files(dir))
    if (!std::binary_search(listed.begin(), listed.end(), rel)) return fail(rel, "not in the manifest (added later)");
  r.ok = true;
  return r;
}

}  // namespace vsp::evidence

// Evidence packs: a fresh pack verifies; any byte changed in any file or in the manifest, a file
// removed or added, or another key's signature fails, naming the file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "evidence/pack.hpp"

using namespace vsp;
namespace fs = std::filesystem;

namespace {

struct Pack {
  fs::path root, dir, key;
  std::shared_ptr<evidence::Signer> signer;
  Pack() {
    root = fs::temp_directory_path() / ("vsp_evidence_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    dir = root / "evidence" / "0190abcd";
    fs::create_directories(dir / "sub");
    key = root / "keys" / "node_ed25519.key";
    signer = evidence::Signer::load_or_create(key.string()).value();
    write("event.json", "{\"type\": \"red_light\"}\n");
    write("still_at.jpg", std::string(5000, '\x7f'));
    write("sub/clip.mp4", std::string(100000, 'v'));
    EXPECT_TRUE(evidence::seal(dir.string(), "0190abcd", 1700000000000, *signer).ok());
  }
  ~Pack() { fs::remove_all(root); }
  void write(const std::string& rel, const std::string& bytes) { std::ofstream(dir / rel, std::ios::binary) << bytes; }
  void flip(const std::string& rel, size_t at) {
    std::fstream f(dir / rel, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at));
    char c;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(at));
    f.put(static_cast<char>(c ^ 0x01));
  }
};

}  // namespace

TEST(Evidence, a_fresh_pack_verifies_and_the_key_is_private_and_kept) {
  Pack p;
  const auto r = evidence::verify(p.dir.string());
  EXPECT_TRUE(r.ok) << r.file << ": " << r.message;
  EXPECT_EQ(r.files, 3);
  EXPECT_EQ(r.public_key, p.signer->public_key_hex());
  struct stat st {};
  ASSERT_EQ(::stat(p.key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = evidence::Signer::load_or_create(p.key.string());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->public_key_hex(), p.signer->public_key_hex());
  EXPECT_TRUE(evidence::verify(p.dir.string(), p.signer->public_key_hex()).ok);
}

TEST(Evidence, any_byte_changed_in_any_file_is_named) {
  for (const std::string file : {"event.json", "still_at.jpg", "sub/clip.mp4"})
    for (size_t at : {size_t{0}, size_t{7}}) {
      Pack p;
      p.flip(file, at);
      const auto r = evidence::verify(p.dir.string());
      EXPECT_FALSE(r.ok) << file;
      EXPECT_EQ(r.file, file);
    }
}

TEST(Evidence, any_byte_changed_in_the_manifest_is_named) {
  Pack p;
  const auto size = fs::file_size(p.dir / "manifest.json");
  // Every byte position in turn (a whitespace byte too): each flip fails, naming the manifest.
  for (size_t at = 0; at < size; at += 1 + size / 97) {
    Pack q;
    q.flip("manifest.json", at);
    const auto r = evidence::verify(q.dir.string());
    EXPECT_FALSE(r.ok) << "byte " << at;
    EXPECT_EQ(r.file, "manifest.json") << "byte " << at;
  }
}

TEST(Evidence, missing_added_and_foreign_signed_packs_fail) {
  {
    Pack p;
    fs::remove(p.dir / "still_at.jpg");
    const auto r = evidence::verify(p.dir.string());
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.file, "still_at.jpg");
    EXPECT_EQ(r.message, "missing");
  }
  {
    Pack p;
    p.write("planted.jpg", "x");
    const auto r = evidence::verify(p.dir.string());
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.file, "planted.jpg");
  }
  {
    Pack p;
    fs::remove(p.dir / "manifest.json");
    EXPECT_EQ(evidence::verify(p.dir.string()).file, "manifest.json");
  }
  {
    // Re-sealed by someone else's key: intact by itself, refused against the node's key.
    Pack p;
    const std::string node_key = p.signer->public_key_hex();
    auto other = evidence::Signer::load_or_create((p.root / "other.key").string()).value();
    p.write("event.json", "{\"type\": \"nothing happened\"}\n");
    ASSERT_TRUE(evidence::seal(p.dir.string(), "0190abcd", 1700000000000, *other).ok());
    EXPECT_TRUE(evidence::verify(p.dir.string()).ok);
    const auto r = evidence::verify(p.dir.string(), node_key);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.file, "manifest.json");
  }
}

TEST(Evidence, a_key_readable_by_others_is_refused) {
  Pack p;
  ::chmod(p.key.c_str(), 0644);
  auto s = evidence::Signer::load_or_create(p.key.string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("chmod 600"), std::string::npos);
}

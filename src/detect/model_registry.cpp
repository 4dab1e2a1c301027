#include "detect/model_registry.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>

namespace vsp::detect {

namespace fs = std::filesystem;
using core::make_error;

const std::vector<ModelSpec>& known_models() {
  static const std::vector<ModelSpec> models = {
      {"yolox_nano", "coco_yolox_nano/yolox_nano_416.onnx",
       "4903c9058f6e2553834e9905be1ae5d67e262cb6321964dbc57a49edc6fa10da", ModelFamily::yolox, 416, 80, 0.3f, 0.45f,
       "github.com/skpawar1305/rs_yolox @18ff8bc weights/yolox_nano.onnx", true},
      {"nanodet_m_320", "coco_nanodet_m/nanodet_m_320.onnx",
       "c59b6c947ce475d27023327808aed655fa000981fe144c4fd2026828999e19f8", ModelFamily::nanodet, 320, 80, 0.35f, 0.5f,
       "github.com/hpc203/nanodet-opncv-dnn-cpp-python @15dd99c nanodet.onnx", true},
      {"nanodet_m_416", "coco_nanodet_m/nanodet_m_416.onnx",
       "4b82da9944b88577175ee23a459dce2e26e6e4be573def65b1055dc2d9720186", ModelFamily::nanodet, 416, 80, 0.35f, 0.5f,
       "github.com/hpc203/nanodet-opncv-dnn-cpp-python @15dd99c nanodet_m.onnx", true},
      {"picodet_s_320", "coco_picodet_s/picodet_s_320_coco.onnx",
       "25a387058cecb9333a8f881c9388f8170642b2d8b579d2f2aa3a2a2571686725", ModelFamily::picodet, 320, 80, 0.35f, 0.5f,
       "github.com/hpc203/picodet-onnxruntime @6bd166c coco/picodet_s_320_coco.onnx (Clip nodes rewritten)", true},
      {"picodet_s_416", "coco_picodet_s/picodet_s_416_coco.onnx",
       "eadcaeaf965f775da70495020350f3861d5629a9d579e7d6a42b8cf9184eb039", ModelFamily::picodet, 416, 80, 0.35f, 0.5f,
       "github.com/hpc203/picodet-onnxruntime @6bd166c coco/picodet_s_416_coco.onnx (Clip nodes rewritten)", true},
      {"person_lwpd", "person_lwpd/person_lwpd_192.onnx",
       "4bf5f704cd3bd900645a4303e0934ede13d9fb2135058b38005f4c2886c68576", ModelFamily::yolox, 192, 1, 0.4f, 0.5f,
       "github.com/Kazuhito00/Person-Detection-using-RaspberryPi-CPU @fab8c0d model/model.onnx", true},
  };
  return models;
}

std::optional<ModelSpec> find_model(const std::string& name) {
  for (const auto& m : known_models())
    if (m.name == name) return m;
  return std::nullopt;
}

std::string known_model_names() {
  std::string s;
  for (const auto& m : known_models()) s += (s.empty() ? "" : ", ") + m.name;
  return s;
}

fs::path models_dir() {
  if (const char* env = std::getenv("VSP_MODELS_DIR"); env && *env) return env;
  std::error_code ec;
  if (fs::is_directory("../shared/models", ec)) return fs::absolute("../shared/models", ec);
  // Walk up from the executable: <repo>/build/src/app/vsp -> <repo>/../shared/models.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "../shared/models";
  for (fs::path dir = exe.parent_path(); dir != dir.root_path(); dir = dir.parent_path()) {
    std::error_code e1, e2;
    if (fs::is_directory(dir / "../shared/models", e1)) return fs::weakly_canonical(dir / "../shared/models", e1);
    if (fs::is_directory(dir / "shared/models", e2)) return dir / "shared/models";
  }
  return "../shared/models";
}

core::Result<std::string> sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("file_not_found", fmt::format("{}: cannot open", path.string()));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::array<char, 1 << 16> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

core::Result<fs::path> locate_verified(const ModelSpec& spec) {
  const fs::path path = models_dir() / spec.relative_path;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return make_error(
        "model_not_found",
        fmt::format("{}: model '{}' not found (set VSP_MODELS_DIR to the folder holding {}; upstream: {})",
                    path.string(), spec.name, spec.relative_path, spec.upstream));
  auto sha = sha256_file(path);
  if (!sha) return sha.error();
  if (*sha != spec.sha256)
    return make_error("model_sha256_mismatch",
                      fmt::format("{}: sha256 {} does not match the expected {} for model '{}'", path.string(), *sha,
                                  spec.sha256, spec.name));
  return path;
}

}  // namespace vsp::detect

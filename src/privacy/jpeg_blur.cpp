#include "privacy/jpeg_blur.hpp"

#include <map>
#include <mutex>
#include <opencv2/imgcodecs.hpp>

#include "detect/model_registry.hpp"

namespace vsp::privacy {

std::string default_face_model_path() {
  return (detect::models_dir() / "face_yunet" / "yunet_n_320_320.onnx").string();
}

core::Result<JpegFilter> make_jpeg_blur(const std::string& model_path, BlurOptions o) {
  auto det = FaceDetector::load(model_path, 640);
  if (!det) return det.error();
  struct State {
    State(std::unique_ptr<FaceDetector> d, BlurOptions bo) : blur(std::move(d), bo) {}
    FaceBlur blur;
    std::mutex m;
    std::map<std::string, std::pair<std::string, std::string>> last;  ///< camera -> (input, output)
  };
  auto st = std::make_shared<State>(std::move(det).value(), o);
  return JpegFilter([st](const std::string& camera, const std::string& jpeg,
                         const std::vector<core::BoxXyxy>& persons) -> std::optional<std::string> {
    {
      std::lock_guard lk(st->m);
      auto it = st->last.find(camera);
      if (it != st->last.end() && it->second.first == jpeg) return it->second.second;
    }
    cv::Mat img = cv::imdecode(cv::Mat(1, static_cast<int>(jpeg.size()), CV_8UC1, const_cast<char*>(jpeg.data())),
                               cv::IMREAD_COLOR);
    if (img.empty()) return std::nullopt;
    st->blur.apply(camera, img, persons);
    std::vector<unsigned char> out;
    if (!cv::imencode(".jpg", img, out, {cv::IMWRITE_JPEG_QUALITY, 80})) return std::nullopt;
    std::string res(out.begin(), out.end());
    std::lock_guard lk(st->m);
    st->last[camera] = {jpeg, res};
    return res;
  });
}

}  // namespace vsp::privacy

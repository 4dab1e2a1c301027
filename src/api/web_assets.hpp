#pragma once
/// The web UI's static files (web/, built by Vite), embedded in the binary at build time by
/// cmake/embed_web.cmake; `vsp serve` and `vsp center` both serve them at `/` and `/assets/`.
#include <optional>
#include <string_view>

namespace vsp::api {

struct WebAsset {
  std::string_view content_type;
  std::string_view body;
};
/// The file at URL `path` ("/index.html", "/assets/app.js"), or nullopt.
std::optional<WebAsset> find_web_asset(std::string_view path);

}  // namespace vsp::api

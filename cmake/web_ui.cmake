# The web UI (web/, TypeScript + Vite) embedded in the vsp binary as the library vsp_web_assets.
# With npm present (VSP_WEB_BUILD, default on when npm is found) the build runs `npm ci` and
# `vite build` into build/web-dist; without npm, or when that fails (offline), the prebuilt bundle
# committed in web/dist is embedded instead, so the binary always serves a UI.
find_program(VSP_NPM npm)
if(VSP_NPM)
  set(_vsp_web_default ON)
else()
  set(_vsp_web_default OFF)
endif()
option(VSP_WEB_BUILD "Build the web UI with npm (else embed the committed web/dist)" ${_vsp_web_default})
set(VSP_WEB_SRC ${CMAKE_SOURCE_DIR}/web)
file(GLOB_RECURSE _vsp_web_committed CONFIGURE_DEPENDS ${VSP_WEB_SRC}/dist/*)
if(VSP_WEB_BUILD AND VSP_NPM)
  file(GLOB_RECURSE _vsp_web_inputs CONFIGURE_DEPENDS ${VSP_WEB_SRC}/src/*)
  set(VSP_WEB_DIST ${CMAKE_BINARY_DIR}/web-dist)
  add_custom_command(
    OUTPUT ${VSP_WEB_DIST}/index.html
    COMMAND ${CMAKE_COMMAND} -DNPM=${VSP_NPM} -DSRC=${VSP_WEB_SRC} -DOUT=${VSP_WEB_DIST}
            -P ${CMAKE_SOURCE_DIR}/cmake/build_web.cmake
    DEPENDS ${_vsp_web_inputs} ${_vsp_web_committed} ${VSP_WEB_SRC}/index.html ${VSP_WEB_SRC}/package.json
            ${VSP_WEB_SRC}/package-lock.json ${VSP_WEB_SRC}/vite.config.ts ${VSP_WEB_SRC}/tsconfig.json
            ${CMAKE_SOURCE_DIR}/cmake/build_web.cmake
    COMMENT "Building the web UI (npm, vite)"
    VERBATIM)
  set(_vsp_web_dep ${VSP_WEB_DIST}/index.html)
else()
  set(VSP_WEB_DIST ${VSP_WEB_SRC}/dist)
  set(_vsp_web_dep ${_vsp_web_committed})
endif()
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/web_assets.cpp
  COMMAND ${CMAKE_COMMAND} -DDIST=${VSP_WEB_DIST} -DOUT=${CMAKE_BINARY_DIR}/web_assets.cpp
          -P ${CMAKE_SOURCE_DIR}/cmake/embed_web.cmake
  DEPENDS ${_vsp_web_dep} ${CMAKE_SOURCE_DIR}/cmake/embed_web.cmake
  COMMENT "Embedding the web UI from ${VSP_WEB_DIST}"
  VERBATIM)
add_library(vsp_web_assets STATIC ${CMAKE_BINARY_DIR}/web_assets.cpp)
target_include_directories(vsp_web_assets PUBLIC ${CMAKE_SOURCE_DIR}/src)

#!/usr/bin/env bash
# Installs the Debian 12 packages VSP needs to build, run and test. Idempotent: only missing
# packages are installed. Run as root or with sudo available.
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config git ca-certificates
  libyaml-cpp-dev libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev
  libopencv-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg
  libsqlite3-dev sqlite3 libgtest-dev prometheus-cpp-dev libssl-dev clang-format libcivetweb-dev curl jq bc
  libgstrtspserver-1.0-dev gstreamer1.0-rtsp gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools chromium
  libsodium-dev openssl clang libclang-rt-14-dev python3
  nats-server libnats-dev postgresql-15 postgresql-client-15 libpq-dev sqlite3
)
missing=()
# (Node.js for the browser tests is taken from Debian when the machine has none.)
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

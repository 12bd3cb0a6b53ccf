#!/usr/bin/env bash
# Installs the Debian 12 packages raftio needs, if any is missing. Safe to run again: it does
# nothing when everything is present. Needs root (or sudo) only when something must be installed.
set -euo pipefail

packages=(
  meson ninja-build pkg-config cmake python3
  g++ clang clang-14 llvm-14 libclang-rt-14-dev   # clang-rt: sanitizers (and later libFuzzer)
  libgtest-dev libgmock-dev librapidcheck-dev libxxhash-dev libcli11-dev nlohmann-json3-dev
  libasio-dev redis-tools                         # raftio-kv (examples/kv) and its end-to-end test
  libssl-dev openssl                              # raftio-kv's TLS (asio::ssl); openssl makes the tests' certificates
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "raftio: installing missing packages: ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "raftio: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null

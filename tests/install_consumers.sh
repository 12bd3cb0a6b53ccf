#!/usr/bin/env bash
# Installs raftio from this build into a temporary prefix and builds small programs against it
# twice: once through pkg-config, once as a Meson subproject through dependency('raftio') and
# dependency('raftio-testing'); and the runtime example (docs/RUNTIME.md) through pkg-config
# raftio-runtime.
# Usage: install_consumers.sh <source root> <build dir> <c++ compiler>
set -euo pipefail
source_root=$1
build_dir=$2
cxx=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

meson install -C "$build_dir" --destdir "$work/stage" --no-rebuild >/dev/null
pc_dir=$(dirname "$(find "$work/stage" -name raftio.pc)")
export PKG_CONFIG_SYSROOT_DIR="$work/stage" PKG_CONFIG_PATH="$pc_dir"
"$cxx" -std=c++20 "$source_root/docs/examples/tier1_single_node.cpp" $(pkg-config --cflags --libs raftio) \
  -o "$work/pkgconfig_consumer"
"$work/pkgconfig_consumer"
echo "pkg-config consumer: ok"
# raftio-testing: its own .pc file, which requires raftio's.
"$cxx" -std=c++20 "$source_root/docs/examples/testing_environment.cpp" $(pkg-config --cflags --libs raftio-testing) \
  -o "$work/pkgconfig_testing_consumer"
"$work/pkgconfig_testing_consumer"
echo "pkg-config raftio-testing consumer: ok"
"$cxx" -std=c++20 "$source_root/docs/examples/runtime_driver.cpp" $(pkg-config --cflags --libs raftio-runtime) \
  -o "$work/pkgconfig_runtime_consumer"
"$work/pkgconfig_runtime_consumer" >/dev/null
echo "pkg-config raftio-runtime consumer: ok"

mkdir -p "$work/app/subprojects"
# A copy without build directories, as a user would vendor it.
tar -C "$source_root" --exclude='./build*' --exclude='./.git' -cf - . | (mkdir "$work/app/subprojects/raftio" && tar -C "$work/app/subprojects/raftio" -xf -)
cp "$source_root/docs/examples/tier1_single_node.cpp" "$work/app/main.cpp"
cp "$source_root/docs/examples/testing_environment.cpp" "$work/app/testing_main.cpp"
cat >"$work/app/meson.build" <<'MESON'
project('consumer', 'cpp', default_options: ['cpp_std=c++20'])
raftio = dependency('raftio', fallback: ['raftio', 'raftio_dep'],
                    default_options: ['tests=false', 'bench=false'])
raftio_testing = dependency('raftio-testing', fallback: ['raftio', 'raftio_testing_dep'])
executable('consumer', 'main.cpp', dependencies: raftio)
executable('testing_consumer', 'testing_main.cpp', dependencies: raftio_testing)
MESON
CXX="$cxx" meson setup "$work/app/build" "$work/app" --wrap-mode=forcefallback >/dev/null
ninja -C "$work/app/build" >/dev/null
"$work/app/build/consumer"
"$work/app/build/testing_consumer"
echo "meson subproject consumers: ok"

#!/usr/bin/env bash
# Installs raftio from this build into a temporary prefix and builds small programs against it
# twice: once through pkg-config, once as a Meson subproject through dependency('raftio') and
# dependency('raftio-testing'); and the runtime example (docs/RUNTIME.md) through pkg-config
# raftio-runtime; the bank simulation (docs/SIMULATION.md) through pkg-config raftio-sim; and all
# of them again through CMake's find_package(raftio).
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
# The Node: Asio's defines, OpenSSL and threads come from raftio-runtime.pc.
"$cxx" -std=c++20 "$source_root/docs/examples/runtime_node.cpp" $(pkg-config --cflags --libs raftio-runtime) \
  -o "$work/pkgconfig_node_consumer"
"$work/pkgconfig_node_consumer" >/dev/null
echo "pkg-config raftio-runtime consumers: ok"
# The simulator: the bank example (docs/SIMULATION.md) swept over three seeds, through raftio-sim.pc.
"$cxx" -std=c++20 -I"$source_root/docs/examples" "$source_root/docs/examples/bank_system.cpp" \
  $(pkg-config --cflags --libs raftio-sim) -o "$work/pkgconfig_sim_consumer"
"$work/pkgconfig_sim_consumer" 1 3 >/dev/null
echo "pkg-config raftio-sim consumer: ok"

# CMake: find_package(raftio) from the staged prefix (the package locates itself relative to its
# own file, so the staged tree works as installed).
config=$(find "$work/stage" -name raftioConfig.cmake)
prefix=${config%/lib/*}
mkdir -p "$work/cmake_app"
cp "$source_root/docs/examples/tier1_single_node.cpp" "$source_root/docs/examples/runtime_driver.cpp" \
  "$source_root/docs/examples/runtime_node.cpp" "$source_root/docs/examples/testing_environment.cpp" \
  "$source_root/docs/examples/bank_system.cpp" "$source_root/docs/examples/bank.h" "$work/cmake_app/"
cat >"$work/cmake_app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(consumer CXX)
find_package(raftio 0.1 REQUIRED COMPONENTS runtime testing sim)
add_executable(core_consumer tier1_single_node.cpp)
target_link_libraries(core_consumer PRIVATE raftio::raftio)
add_executable(runtime_consumer runtime_driver.cpp)
target_link_libraries(runtime_consumer PRIVATE raftio::runtime)
add_executable(node_consumer runtime_node.cpp)
target_link_libraries(node_consumer PRIVATE raftio::runtime)
add_executable(testing_consumer testing_environment.cpp)
target_link_libraries(testing_consumer PRIVATE raftio::testing)
add_executable(sim_consumer bank_system.cpp)
target_link_libraries(sim_consumer PRIVATE raftio::sim)
CMAKE
cmake -S "$work/cmake_app" -B "$work/cmake_app/build" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake_app/build" >/dev/null
"$work/cmake_app/build/core_consumer"
"$work/cmake_app/build/runtime_consumer" >/dev/null
"$work/cmake_app/build/node_consumer" >/dev/null
"$work/cmake_app/build/testing_consumer"
"$work/cmake_app/build/sim_consumer" 1 3 >/dev/null
# A version from another 0.x series is refused (before 1.0 a minor release may break the API).
sed -i 's/find_package(raftio 0.1 /find_package(raftio 0.2 /' "$work/cmake_app/CMakeLists.txt"
if cmake -S "$work/cmake_app" -B "$work/cmake_app/build_wrong" -DCMAKE_CXX_COMPILER="$cxx" \
     -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake_wrong.log" 2>&1; then
  echo "find_package(raftio 0.2) accepted raftio $(pkg-config --modversion raftio)" >&2
  exit 1
fi
grep -q "version: $(pkg-config --modversion raftio)" "$work/cmake_wrong.log" || {
  echo "find_package(raftio 0.2) failed for another reason than the version:" >&2
  cat "$work/cmake_wrong.log" >&2
  exit 1
}
echo "cmake find_package consumers: ok"

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
# Without debug info: a consumer's build proves what it builds, not how it is debugged, and -g
# made this the longest test of the g++ suite (97 s).
CXX="$cxx" meson setup "$work/app/build" "$work/app" --wrap-mode=forcefallback -Ddebug=false >/dev/null
# Only the two consumers and what they need: the subproject's own tools (raftio-sim, ...) are not
# what a consumer builds (building them too took this test from 78 s to 122 s).
ninja -C "$work/app/build" consumer testing_consumer >/dev/null
"$work/app/build/consumer"
"$work/app/build/testing_consumer"
echo "meson subproject consumers: ok"

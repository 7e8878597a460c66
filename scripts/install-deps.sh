#!/usr/bin/env bash
# Installs the Debian packages Qiao builds, runs and tests with. Idempotent: it does
# nothing (not even `apt-get update`) when every package is already there.
set -euo pipefail

build_packages=(
  g++ cmake make ninja-build ccache pkg-config
  libboost1.81-all-dev rapidjson-dev libyaml-cpp-dev liblua5.4-dev
  libspdlog-dev libfmt-dev libcli11-dev libsqlite3-dev libssl-dev libpugixml-dev
)
test_packages=(catch2 curl openssl clang-14 libclang-rt-14-dev python3 python3-hl7)
bench_packages=(wrk nginx-light libbenchmark-dev)

wanted=("${build_packages[@]}")
case "${1:-build}" in
  build) ;;
  test) wanted+=("${test_packages[@]}") ;;
  bench) wanted+=("${test_packages[@]}" "${bench_packages[@]}") ;;
  *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Installs the Debian packages Qiao builds, runs and tests with, and for tests the pinned npm
# packages of tests/interop (the `soap` stack the SOAP adapter is tested against). Idempotent: it
# does nothing (not even `apt-get update`) when everything is already there.
set -euo pipefail

build_packages=(
  g++ cmake make ninja-build ccache pkg-config
  libboost1.81-all-dev rapidjson-dev libyaml-cpp-dev liblua5.4-dev
  libspdlog-dev libfmt-dev libcli11-dev libsqlite3-dev libpq-dev libssl-dev libpugixml-dev libjemalloc-dev
)
# postgresql: the PostgreSQL store's tests start a server of their own (Debian 12: PostgreSQL 15).
# clang-format-14: scripts/check-format.sh, the first stage of make test.
test_packages=(catch2 curl openssl clang-14 clang-format-14 libclang-rt-14-dev python3 python3-hl7 nodejs postgresql)
bench_packages=(wrk nginx-light libnginx-mod-http-lua lua-cjson libbenchmark-dev valgrind)

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
# Debian packages npm apart from nodejs; NodeSource's nodejs carries its own npm.
if [ "${1:-build}" != build ] && ! command -v npm >/dev/null && [[ ! " ${missing[*]} " =~ " nodejs " ]]; then
  missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ "${1:-build}" != build ] && ! command -v npm >/dev/null; then
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends npm
  fi
fi

if [ "${1:-build}" != build ]; then
  interop="$(dirname "$0")/../tests/interop"
  # The lock file copied beside the packages says which lock they were installed from.
  if ! cmp -s "$interop/package-lock.json" "$interop/node_modules/.installed-from-lock.json" 2>/dev/null; then
    echo "installing the npm packages of tests/interop"
    npm ci --prefix "$interop" --no-audit --no-fund --loglevel=error
    cp "$interop/package-lock.json" "$interop/node_modules/.installed-from-lock.json"
  fi
fi

#!/usr/bin/env bash
# ns on a fresh Debian 12 machine, in one command:
#   ./setup.sh run [--section.key=value ...]  install what is missing, build a
#                                             Release nsd, run it on 127.0.0.1:8080
#   ./setup.sh test                           install, build, run every test,
#                                             fuzz each target briefly, then
#                                             test again under ASan+UBSan
# Both are idempotent: a second call installs nothing and rebuilds only what
# changed. NS_TEST_SANITIZE=0 skips the sanitizer pass of `test`,
# NS_TEST_FUZZ=0 the fuzzing; NS_FUZZ_SECONDS (default 30) is each target's time.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  g++ cmake make pkg-config
  libcaf-dev librocksdb-dev libsimdjson-dev cppzmq-dev python3-zmq
  libboost-json1.81-dev libboost-url1.81-dev
  libvalijson-dev libssl-dev libjemalloc-dev
  libcurl4-openssl-dev libkainjow-mustache-dev
  libgtest-dev libbenchmark-dev
  python3 python3-aiosmtpd openssl
  gnuplot-nox
  clang-14 libclang-rt-14-dev
)

log() { printf '==> %s\n' "$*" >&2; }

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    log "packages: all present"
    return
  fi
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  log "installing: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR BUILD_TYPE [cmake args...]
build() {
  local dir=$1 type=$2
  shift 2
  log "building $dir ($type $*)"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}

run_tests() {
  local dir=$1
  log "testing $dir"
  (cd "$dir" && ctest --output-on-failure -j"$(nproc)" --timeout 600)
}

cmd=${1:-}
case "$cmd" in
  run)
    shift
    install_missing
    build build Release
    log "starting nsd (data in ./data; Ctrl-C stops it)"
    exec build/nsd --config=config/nsd.conf "$@"
    ;;
  test)
    install_missing
    build build Release -DNS_WERROR=ON
    run_tests build
    if [[ ${NS_TEST_FUZZ:-1} != 0 ]]; then
      # libFuzzer comes with clang; only the fuzz targets and the libraries
      # they call are built (tests/fuzz/), with ASan+UBSan.
      log "building build/fuzz (clang-14, libFuzzer)"
      CXX=clang++-14 cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug \
        "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DNS_FUZZ=ON -DNS_WERROR=ON \
        -DNS_BUILD_TESTS=OFF -DNS_BUILD_BENCH=OFF >/dev/null
      cmake --build build/fuzz -j"$(nproc)" --target ns_fuzzers
      log "fuzzing: ${NS_FUZZ_SECONDS:-30} s per target"
      tests/fuzz/run.sh build/fuzz "${NS_FUZZ_SECONDS:-30}"
    fi
    if [[ ${NS_TEST_SANITIZE:-1} != 0 ]]; then
      # -O1 -g1: sanitizers want some optimisation and line tables, and the
      # build stays short enough for CI.
      build build/asan Debug -DNS_SANITIZE=ON -DNS_WERROR=ON \
        "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1"
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_tests build/asan
    fi
    ;;
  *)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

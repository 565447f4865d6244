#!/usr/bin/env bash
# Runs the libFuzzer targets of a fuzz build against copies of their seed
# corpora (the source tree is never written), $(nproc) at a time, and prints
# one line per target. Exit 1 when any target found a crash, a leak, a
# timeout or a failed check; its reproducer and log stay in the work dir.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]
#
# SECONDS per target (default: $NS_FUZZ_SECONDS, else 30); TARGETs are names
# like http_request (default: all). Extra libFuzzer flags: $NS_FUZZ_FLAGS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR [SECONDS] [TARGET...]}" && pwd)
seconds=${2:-${NS_FUZZ_SECONDS:-30}}
shift $(($# >= 2 ? 2 : $#))
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(http_request adapter_frame config template provider_response)
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ns-fuzz.XXXXXX")

# run_one NAME: fuzzes NAME for $seconds in $work/NAME, leaves its exit code
# in $work/NAME/rc.
run_one() {
  local name=$1 dir=$work/$1 dict=()
  mkdir -p "$dir/corpus"
  cp "$here/corpus/$name/"* "$dir/corpus/"
  [[ -f $here/$name.dict ]] && dict=(-dict="$here/$name.dict")
  local rc=0 start=$SECONDS
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a blow-up.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$build/tests/fuzz/${name}_fuzz" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/" \
    "${dict[@]}" ${NS_FUZZ_FLAGS:-} "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/rc"
  echo $((SECONDS - start)) >"$dir/secs"
}

summary() {
  local name=$1 dir=$work/$1 rc secs execs cov ft corp result
  rc=$(cat "$dir/rc")
  secs=$(cat "$dir/secs")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -1)
  ft=$(grep -o 'ft: [0-9]*' "$dir/log" | tail -1)
  corp=$(ls "$dir/corpus" | wc -l)
  if [[ $rc == 0 ]]; then
    result=ok
  else
    result="FAILED (exit $rc): $(ls "$dir" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | head -1)"
  fi
  printf 'fuzz %-18s %10s execs in %ss, %s %s, corpus %s, %s\n' "$name" \
    "${execs:-?}" "$secs" "${cov:-cov: ?}" "${ft:-ft: ?}" "$corp" "$result"
  [[ $rc == 0 ]]
}

running=0
for name in "${targets[@]}"; do
  if ((running >= $(nproc))); then
    wait -n || true
    running=$((running - 1))
  fi
  run_one "$name" &
  running=$((running + 1))
done
wait

failed=0
for name in "${targets[@]}"; do
  summary "$name" || failed=1
done
if ((failed)); then
  for name in "${targets[@]}"; do
    if [[ $(cat "$work/$name/rc") != 0 ]]; then
      echo "--- $name: tail of $work/$name/log" >&2
      tail -40 "$work/$name/log" >&2
    fi
  done
  echo "fuzz: failures above; reproducers and logs in $work" >&2
  exit 1
fi
rm -rf "$work"

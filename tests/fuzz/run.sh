#!/usr/bin/env bash
# Runs the libFuzzer harnesses built in BUILD (see tests/fuzz/README.md).
#   tests/fuzz/run.sh regression BUILD          replay the corpus and reproducers
#   tests/fuzz/run.sh fuzz BUILD SECONDS [NAMES] fuzz each harness for SECONDS
# Every harness runs even after one fails; the exit status is 1 if any failed.
# Fuzzing works on a scratch copy of the committed corpus (BUILD/fuzz-corpus/)
# so the committed one does not churn; failures land in BUILD/fuzz-artifacts/,
# logs in BUILD/fuzz-logs/.
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=${1:?usage: run.sh regression|fuzz BUILD [SECONDS] [NAMES...]}
build=${2:?usage: run.sh regression|fuzz BUILD [SECONDS] [NAMES...]}
seconds=${3:-60}
shift $(($# < 3 ? $# : 3))
fuzz_dir=tests/fuzz
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(units spec_reader chip engine system scenario hf_config lengths
  trace cli)
# > 1 s for one input or > 2 GB is a failure (issue 7).
limits=(-timeout=1 -rss_limit_mb=2048)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build/fuzz-logs" "$build/fuzz-artifacts"
failed=()
for name in "${names[@]}"; do
  bin="$build/tests/fuzz/fuzz_$name"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is not built (make fuzz-build)" >&2
    failed+=("$name")
    continue
  fi
  artifacts="$build/fuzz-artifacts/$name/"
  log="$build/fuzz-logs/$name-$mode.log"
  mkdir -p "$artifacts"
  dict=()
  [ -f "$fuzz_dir/dicts/$name.dict" ] && dict=(-dict="$fuzz_dir/dicts/$name.dict")
  dirs=("$fuzz_dir/corpus/$name")
  if [ "$mode" = regression ]; then
    [ -d "$fuzz_dir/reproducers/$name" ] && dirs+=("$fuzz_dir/reproducers/$name")
    "$bin" -runs=0 "${limits[@]}" -artifact_prefix="$artifacts" "${dirs[@]}" >"$log" 2>&1
  else
    scratch="$build/fuzz-corpus/$name"
    rm -rf "$scratch"
    mkdir -p "$scratch"
    cp "$fuzz_dir/corpus/$name"/* "$scratch"/
    "$bin" -max_total_time="$seconds" "${limits[@]}" "${dict[@]}" -print_final_stats=1 \
      -artifact_prefix="$artifacts" "$scratch" >"$log" 2>&1
  fi
  status=$?
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  inputs=$(find "${dirs[@]}" -type f 2>/dev/null | wc -l)
  if [ $status -eq 0 ]; then
    if [ "$mode" = regression ]; then
      echo "fuzz-regression: $name ok ($inputs inputs)"
    else
      echo "fuzz: $name ok (${execs:-?} inputs in ${seconds}s, corpus $(ls "$scratch" | wc -l))"
    fi
  else
    failed+=("$name")
    echo "fuzz: $name FAILED (exit $status), log $log; the end of it:"
    grep -E 'FAILURE|ERROR:|runtime error|terminate called|what\(\)|Test unit written' "$log" |
      sort -u | head -8 | cut -c1-300 | sed 's/^/    /'
    # The first frames in the project's code.
    grep -E '^ *#[0-9]+ .* in .*(src|tests/fuzz)/' "$log" | head -6 | sed -E 's/\(BuildId.*//' |
      cut -c1-300 | sed 's/^/    /'
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz ($mode): FAILED: ${failed[*]} (artifacts under $build/fuzz-artifacts/)" >&2
  exit 1
fi
echo "fuzz ($mode): all ${#names[@]} harnesses passed"

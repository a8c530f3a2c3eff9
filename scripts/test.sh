#!/usr/bin/env bash
# test.sh (`make test`): the whole suite. For each build flavour (plain, AddressSanitizer,
# UndefinedBehaviorSanitizer): build, run the unit tests, then the integration tests against
# a throwaway PostgreSQL cluster and the real server on loopback.
#   TEST_FLAVOURS="release"   run one flavour only (default: release address undefined)
#   TEST_ONLY=test_upload     run only the test programs whose name contains this
#   IT_SCREENSHOTS=DIR        the browser test also writes its screenshots there
#   TEST_SET=long             the long attack tests instead (build/*/it/long_*: `make test-long`)
set -uo pipefail
cd "$(dirname "$0")/.."

# The browser test (tests/integration/web/test_browser.c) needs Debian's chromium and its
# chromedriver: installed here, not by `make run`. It is then required, not skipped.
DEPS_EXTRA="${DEPS_EXTRA:-} chromium chromium-driver" scripts/deps.sh || exit 1
export IT_BROWSER=required

tmp=$(mktemp -d /tmp/iscgobs-test.XXXXXX)
chmod 755 "$tmp"
cleanup() { scripts/pg.sh stop "$tmp/pg"; rm -rf "$tmp"; }
trap cleanup EXIT
scripts/pg.sh start "$tmp/pg" --fast || exit 1
export IT_PG_URL
IT_PG_URL=$(scripts/pg.sh url "$tmp/pg" postgres)

# Sanitizer reports are failures; leaks inside libraries' one-time initialisation are not ours.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

passed=0
failed=0
failures=()

# The shape of the code (docs/architecture.md): floors, file and folder sizes.
if [ -z "${TEST_SET:-}" ] && { [ -z "${TEST_ONLY:-}" ] || [ "$TEST_ONLY" = layout ]; }; then
  echo "=== layout"
  if scripts/layout.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("layout"); fi
fi
# The libFuzzer harnesses (tests/fuzz/, docs/reliability.md): a short run of each.
if [ -z "${TEST_SET:-}" ] && { [ -z "${TEST_ONLY:-}" ] || [ "$TEST_ONLY" = fuzz ]; }; then
  echo "=== fuzz"
  if make -s fuzz-build && scripts/fuzz.sh "${FUZZ_TEST_SECONDS:-10}"; then
    passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("fuzz"); fi
fi
for flavour in ${TEST_FLAVOURS:-release address undefined}; do
  san=""
  [ "$flavour" = release ] || san=$flavour
  echo "=== $flavour: build"
  if ! make -s -j2 tests SANITIZER="$san"; then
    failed=$((failed + 1)); failures+=("$flavour: build"); continue
  fi
  build=build/$flavour
  export IT_BIN IT_TMP
  IT_BIN=$PWD/$([ -n "$san" ] && echo "$build/iscgobs" || echo bin/iscgobs)
  IT_TMP=$tmp/$flavour
  # The privacy test loads a demo year: the full national one in the plain build, a smaller
  # one under the sanitizers (same code paths, several times slower).
  export IT_DEMO_POSTS IT_SDMX_POSTS
  IT_DEMO_POSTS=$([ -n "$san" ] && echo 60 || echo 450)
  IT_SDMX_POSTS=$([ -n "$san" ] && echo 4 || echo 12)
  mkdir -p "$IT_TMP"
  progs=("$build"/tests/test_* "$build"/it/test_*)
  [ "${TEST_SET:-}" = long ] && progs=("$build"/it/long_*)
  for t in "${progs[@]}"; do
    [ -x "$t" ] || continue
    case "$t" in *"${TEST_ONLY:-}"*) ;; *) continue ;; esac
    echo "=== $flavour: $(basename "$t")"
    start=$SECONDS
    if "$t"; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1)); failures+=("$flavour: $(basename "$t")")
    fi
    echo "=== $flavour: $(basename "$t"): $((SECONDS - start)) s"
  done
done

# `make run` as a user runs it, twice (release build only, once per suite).
[ -n "${TEST_SET:-}" ] || case " ${TEST_FLAVOURS:-release} " in *" release "*)
  if [ -z "${TEST_ONLY:-}" ] || [ "$TEST_ONLY" = make_run ]; then
    echo "=== make run (smoke)"
    if tests/integration/make_run_smoke.sh "$tmp/make-run"; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1)); failures+=("make run smoke")
    fi
    scripts/pg.sh stop "$tmp/make-run/pg"
  fi
esac

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

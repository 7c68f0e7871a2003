#!/usr/bin/env bash
# Runs every test: unit, integration (real PostgreSQL, Redis and RabbitMQ) and end-to-end (the
# whole AppHost, booted once), and the reliability suite at its CI size. Installs the servers and the
# test tools (Chromium, oathtool) first when missing. Starts ONE PostgreSQL, Redis and RabbitMQ for the
# whole run (each test collection takes its own database, Redis database number or virtual host) and
# stops them at the end. Prints each assembly's start and end, and every 20 s what is still running.
# An assembly in which no test finishes for FLEXWHERE_TEST_HANG_TIMEOUT (default 15m) is dumped and stopped.
# Ends with one line "N passed, N failed, N skipped"; exits non-zero if anything failed.
#
#   ./test.sh                                   every assembly
#   ./test.sh --filter "FullyQualifiedName~Pin" extra arguments go to every `dotnet test`
#   FLEXWHERE_TEST_ONLY="Accounts.UnitTests Gateway.IntegrationTests" ./test.sh   some assemblies only
#   FLEXWHERE_TEST_CPU=1 ./test.sh              also the CPU time of each assembly and everything it started
#                                               (as root, with cgroup v1's cpuacct; docs/testing.md)
# docs/testing.md describes the suite.
set -euo pipefail
cd "$(dirname "$0")"

command -v dotnet >/dev/null 2>&1 || { echo "test.sh: the .NET 10 SDK is needed (dotnet not found)." >&2; exit 1; }

# Above the slowest fixture's start plus its first test: the reliability suite's stack may wait up to 5 minutes
# for its turn to boot (StackBootTurn) and take 6 to become healthy. Minutes ("15m") or seconds ("900").
hang_timeout=${FLEXWHERE_TEST_HANG_TIMEOUT:-15m}
case $hang_timeout in
  *m) hang_seconds=$((${hang_timeout%m} * 60)) ;;
  *s) hang_seconds=${hang_timeout%s} ;;
  *) hang_seconds=$hang_timeout ;;
esac
[[ "$hang_seconds" =~ ^[0-9]+$ ]] || { echo "test.sh: FLEXWHERE_TEST_HANG_TIMEOUT is minutes (15m) or seconds (900 or 900s), not '$hang_timeout'." >&2; exit 2; }
# The runtime's own dump tool, for the test host of an assembly that hangs.
createdump=$(ls "$(dirname "$(readlink -f "$(command -v dotnet)")")"/shared/Microsoft.NETCore.App/*/createdump 2>/dev/null |
  sort -V | tail -1 || true)
# The two suites that boot a whole stack are the run's longest chains (docs/testing.md); every other assembly
# runs at a lower priority and takes the CPU they leave.
critical="EndToEndTests Reliability.Tests"
# How many test assemblies run at once: two cores, most assemblies wait on servers and sockets, and
# one of the two that boot a whole stack waits for its turn (below).
jobs=${FLEXWHERE_TEST_JOBS:-4}
# Tiered PGO instruments the first calls of every method to optimise a long run; test hosts and the
# stacks under test are short runs, and without it they took a fifth less CPU (docs/testing.md).
export DOTNET_TieredPGO=0
# The runtime maps each page of code it writes (JIT output, stubs) writable and executable apart (W^X), which costs a
# system call and a TLB flush per change; test hosts and the stacks' services start many times and JIT most of what
# they run. Without it a unit-test assembly took about a sixth less CPU (docs/testing.md, "Write-xor-execute off").
# The test run only: the services keep it wherever they run for real.
export DOTNET_EnableWriteXorExecute=0
# Every `dotnet test`, and the `dotnet run` that starts each service of an AppHost, would otherwise try to send
# telemetry (about 0.3 CPU seconds each, measured on `dotnet run --no-build`; this network refuses it anyway).
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
began=$SECONDS
say() { printf '[%02d:%02d] %s\n' $(((SECONDS - began) / 60)) $(((SECONDS - began) % 60)) "$*"; }

scripts/ensure-servers.sh --test-tools

say "building"
# The compiler server compiles every project in one warm process instead of a new compiler process per
# project, which the environment may ask for (UseSharedCompilation=false).
dotnet build FlexWhere.sln --nologo -clp:ErrorsOnly -p:UseSharedCompilation=true
say "built"

run=$(mktemp -d /tmp/flexwhere-test-run.XXXXXX)

# FLEXWHERE_TEST_CPU=1: each assembly (and the shared servers) in a cpuacct cgroup of its own, which every
# process it starts (AppHost, services, servers, Chromium) inherits; the CPU seconds are printed at the end.
cpu_root=""
if [ "${FLEXWHERE_TEST_CPU:-0}" = 1 ]; then
  cpu_root=/sys/fs/cgroup/cpuacct/flexwhere-test-$$
  mkdir "$cpu_root" 2>/dev/null || { echo "test.sh: FLEXWHERE_TEST_CPU needs root and cgroup v1's cpuacct; no CPU figures." >&2; cpu_root=""; }
fi
# Moves the calling (sub)shell into the cgroup named $1.
account_cpu() { [ -z "$cpu_root" ] || { mkdir -p "$cpu_root/$1" && echo "$BASHPID" >"$cpu_root/$1/cgroup.procs"; }; }
cpu_report() {
  [ -n "$cpu_root" ] || return 0
  echo "CPU seconds (user + system, with every process started):"
  for group in "$cpu_root"/*/; do
    printf '%8.1f  %s\n' "$(awk '{print $1 / 1e9}' "$group/cpuacct.usage")" "$(basename "$group")"
  done | sort -rn
}
servers_pid=""
cleanup() {
  if [ -n "$servers_pid" ]; then kill -TERM "$servers_pid" 2>/dev/null && wait "$servers_pid" 2>/dev/null || true; fi
  for pid in $(jobs -p); do kill -TERM "$pid" 2>/dev/null || true; done
  rm -rf "$run"
  # A cgroup can go once no process is left in it.
  if [ -n "$cpu_root" ]; then for group in "$cpu_root"/*/ "$cpu_root"; do rmdir "$group" 2>/dev/null || true; done; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The run's shared servers (tests/TestInfrastructure/SharedServers.cs); they stop when this script ends.
(account_cpu shared-servers; exec dotnet tests/TestInfrastructure/bin/Debug/net10.0/FlexWhere.Testing.dll "$run/servers.env" $$) \
  >"$run/servers.log" 2>&1 &
servers_pid=$!

# Longest first, so the short ones fill the gaps; those that need no shared server start at once: the
# end-to-end tests and the reliability suite boot the AppHost, which starts its own (R1 starts its own too).
assemblies=(EndToEndTests Reliability.Tests Accounts.IntegrationTests Challenges.IntegrationTests Notifier.IntegrationTests
  Gateway.IntegrationTests Accounts.UnitTests Gateway.UnitTests Challenges.UnitTests Notifier.UnitTests Bench.UnitTests
  LocalServers.Tests)
needs_servers() { [[ "$1" == *.IntegrationTests ]]; }
# The two assemblies that boot a whole stack take turns (StackBootTurn in tests/EndToEndTests/AppHostFixture.cs,
# an flock on this file). The end-to-end stack goes first: its tests run longest after the boot. The
# reliability suite starts once that boot holds the turn (or after 60 s, or at once without the end-to-end tests).
boot_turn=${TMPDIR:-/tmp}/flexwhere-stack-boot.lock
second_boot() { [ "$1" = Reliability.Tests ]; }
first_boot_under_way() {
  [[ " ${assemblies[*]} " != *" EndToEndTests "* ]] && return 0
  [ -n "${started[EndToEndTests]:-}" ] || return 1
  [ $((SECONDS - started[EndToEndTests])) -ge 60 ] && return 0
  ! flock -n "$boot_turn" true 2>/dev/null
}
if [ -n "${FLEXWHERE_TEST_ONLY:-}" ]; then read -r -a assemblies <<<"$FLEXWHERE_TEST_ONLY"; fi

servers_ready() {
  [ -f "$run/servers.env" ] && return 0
  if ! kill -0 "$servers_pid" 2>/dev/null; then
    cat "$run/servers.log" >&2
    echo "test.sh: the shared servers did not start; the fixtures will start their own." >&2
    touch "$run/servers.env"
  fi
  [ -f "$run/servers.env" ]
}

start_assembly() {
  local name=$1
  shift
  (
    account_cpu "$name"
    # shellcheck disable=SC1091 # written by SharedServers at run time
    if [ -f "$run/servers.env" ]; then . "$run/servers.env"; fi
    priority=5
    if [[ " $critical " == *" $name "* ]]; then priority=0; fi
    exec nice -n "$priority" timeout --kill-after=30s 25m dotnet test "tests/$name/bin/Debug/net10.0/$name.dll" --nologo \
      --logger "console;verbosity=normal" --results-directory "$run/results/$name" "$@"
  ) >"$run/$name.log" 2>&1 &
  pids[$name]=$!
  started[$name]=$SECONDS
  progress[$name]=$SECONDS
  finished[$name]=0
  say "start  $name"
}

descendants() {
  local child
  for child in $(pgrep -P "$1"); do descendants "$child"; echo "$child"; done
}

# No test of $1 finished for the hang timeout: a dump of its test host into TestResults/, then it and everything
# it started are stopped (the assembly fails). xUnit's "[Long Running Test]" lines (tests/xunit.runner.json) name
# the tests still running.
stop_hung() {
  local name=$1 host
  hung[$name]=1
  say "hang   $name: no test finished for $((SECONDS - progress[$name])) s; dumping its test host and stopping it"
  host=$(pgrep -f -- "--runtimeconfig [^ ]*/$name.runtimeconfig.json" | head -1 || true)
  if [ -n "$host" ] && [ -n "$createdump" ]; then
    "$createdump" --normal -f "$PWD/TestResults/$name-hang-%p.dmp" "$host" >>"$run/$name.log" 2>&1 || true
  fi
  # shellcheck disable=SC2046 # one pid per word
  kill -TERM $(descendants "${pids[$name]}") "${pids[$name]}" 2>/dev/null || true
}

# Each failed test's name and the first $2 lines of its message; a hang dump or an aborted run.
failures() {
  awk -v keep="$2" '
    /^ +Failed [^ ]+ \[[0-9]/ { print; left = 0; next }
    /^ +Error Message:/ { left = keep; next }
    /^ +Stack Trace:/ { left = 0 }
    left > 0 { print "      " $0; left--; next }
    /Long Running Test|test run was aborted|Test host process crashed/ { print }' "$1"
}

tests_done() { grep -cE '^\s+(Passed|Failed|Skipped) [A-Za-z_]' "$run/$1.log" 2>/dev/null || true; }

rm -rf TestResults && mkdir -p TestResults
declare -A pids=() started=() status=() progress=() finished=() hung=()
queue=("${assemblies[@]}")
last_beat=$SECONDS
failed_assemblies=()
while [ ${#queue[@]} -gt 0 ] || [ ${#pids[@]} -gt 0 ]; do
  # Start what may start: a free slot, and the servers up for those that need them.
  # The reliability suite, while it waits for the end-to-end boot to take its turn, keeps a slot: the short
  # assemblies that would fill it held it back for 45 s in a clean-clone run, and it is one of the two longest chains.
  waiting=()
  held=0
  for name in "${queue[@]}"; do if second_boot "$name"; then held=1; fi; done
  for name in "${queue[@]}"; do
    if second_boot "$name"; then held=0; fi
    if [ $((${#pids[@]} + held)) -lt "$jobs" ] && { ! needs_servers "$name" || servers_ready; } \
      && { ! second_boot "$name" || first_boot_under_way; }; then
      start_assembly "$name" "$@"
    else
      if second_boot "$name"; then held=1; fi
      waiting+=("$name")
    fi
  done
  queue=("${waiting[@]}")

  for name in "${!pids[@]}"; do
    if ! kill -0 "${pids[$name]}" 2>/dev/null; then
      set +e; wait "${pids[$name]}"; code=$?; set -e
      status[$name]=$code
      unset "pids[$name]"
      summary=$(awk '/^Total tests: /{s=1; out=$0; next}
        s && /^ +[A-Za-z]+: /{gsub(/^ +/, ""); out=out ", " $0; next} {s=0} END{print out}' \
        "$run/$name.log")
      [ "$code" -eq 124 ] && summary="stopped after 25 minutes"
      [ -n "${hung[$name]:-}" ] && summary="stopped: no test finished for $hang_timeout (a hang; dump in TestResults/)"
      say "done   $name in $((SECONDS - started[$name])) s: ${summary:-exit code $code}"
      if [ "$code" -ne 0 ]; then
        failed_assemblies+=("$name")
        # The failures and any hang dump, not the whole log (TestResults/ keeps it).
        failures "$run/$name.log" 20 | head -120 || true
        cp -r "$run/results/$name" "TestResults/" 2>/dev/null || true
      fi
      # Every assembly's whole log stays in TestResults/ (each test with its time), passed or failed.
      cp "$run/$name.log" "TestResults/$name.log"
      cat "$run/$name.log" >>"$run/all.log"
    fi
  done

  if [ $((SECONDS - last_beat)) -ge 20 ] && [ ${#pids[@]} -gt 0 ]; then
    last_beat=$SECONDS
    line=""
    for name in "${!pids[@]}"; do
      count=$(tests_done "$name")
      if [ "$count" != "${finished[$name]:-}" ]; then finished[$name]=$count; progress[$name]=$SECONDS; fi
      line+="$name $count tests, $((SECONDS - started[$name])) s; "
    done
    say "running: ${line%; }"
    for name in "${!pids[@]}"; do
      if [ -z "${hung[$name]:-}" ] && [ $((SECONDS - progress[$name])) -ge "$hang_seconds" ]; then stop_hung "$name"; fi
    done
  fi
  sleep 1
done

# Sum the per-assembly summaries (at normal verbosity: "Total tests: 5", "     Passed: 5", "     Failed: 0", …).
read -r passed failed skipped < <(awk '
  /^Total tests: / { summary = 1; next }
  summary && /^ +(Passed|Failed|Skipped): +[0-9]+$/ { count[$1] += $2; next }
  { summary = 0 }
  END { printf "%d %d %d\n", count["Passed:"], count["Failed:"], count["Skipped:"] }' "$run/all.log")

echo
say "finished"
echo "Slowest tests:"
# xUnit writes a test's time as "[85 ms]", "[6 s]" or "[2 m 33 s]".
grep -hoE '^\s+(Passed|Failed) [^ ]+ \[[0-9 .msh]+\]' TestResults/*.log 2>/dev/null |
  awk '{t=0; for (i=3; i<NF; i+=2) {v=$i; sub(/^\[/, "", v); u=$(i+1); sub(/\]$/, "", u);
    t+=v*(u=="ms" ? 0.001 : u=="m" ? 60 : u=="h" ? 3600 : 1)} printf "%7.1f s  %s\n", t, $2}' | sort -rn | head -8 || true
if [ ${#failed_assemblies[@]} -gt 0 ]; then
  echo "Failed tests (first lines of each message; whole logs in TestResults/):"
  # Up to 25 lines: most messages are a few lines, and those that carry what a test saw (a queue's state, log lines) are
  # what a failure in CI is read from.
  for name in "${failed_assemblies[@]}"; do failures "TestResults/$name.log" 25; done
  echo "Failed assemblies: ${failed_assemblies[*]}"
fi
crashed=""
# An assembly whose test host died reports no count of its own: the line says so instead of "0 failed".
if [ ${#failed_assemblies[@]} -gt 0 ]; then crashed=" (${#failed_assemblies[@]} assemblies failed: ${failed_assemblies[*]})"; fi
cpu_report
echo "${passed} passed, ${failed} failed, ${skipped} skipped${crashed}"
if [ ${#failed_assemblies[@]} -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
if [ "$passed" -eq 0 ]; then echo "test.sh: no test ran." >&2; exit 1; fi

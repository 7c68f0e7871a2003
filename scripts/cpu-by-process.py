#!/usr/bin/env python3
"""CPU seconds by kind of process while something else runs: the test run's, for example.

Reads every process's user + system time from /proc once a second and, when stopped (SIGTERM or Ctrl+C), writes the
CPU seconds of each kind (a test assembly's test host, a service, RabbitMQ, Chromium, ...) to the file it was given.
A process counts from when it is first seen (a process that was running already, from that moment); one that ends
between two reads loses its last second, and one that lives less than a second is not seen at all (per test
assembly, `FLEXWHERE_TEST_CPU=1 ./test.sh` counts everything).

    scripts/cpu-by-process.py /tmp/cpu.txt & sampler=$!
    ./test.sh
    kill -TERM $sampler; wait $sampler; cat /tmp/cpu.txt

docs/testing.md ("Where the CPU goes") has the figures of a whole run.
"""
import os
import re
import signal
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def kind(command: str, name: str) -> str:
    """What a process is, from its command line and its name."""
    if "chromium" in command:
        return "Chromium"
    if "playwright" in command or name == "node":
        return "Playwright's driver"
    if name.startswith("beam") or name in ("epmd", "erl_child_setup", "inet_gethost"):
        return "RabbitMQ (Erlang)"
    if name.startswith("postgres"):
        return "PostgreSQL"
    if name.startswith("redis"):
        return "Redis"
    if name.startswith("dcp"):
        return "DCP (Aspire)"
    # dotnet exec --runtimeconfig …/X.runtimeconfig.json --depsfile …/X.deps.json …/testhost.dll --port …
    test_host = re.search(r"--runtimeconfig \S*/([^/ ]+)\.runtimeconfig\.json (?:\S+ )*?\S*testhost\.dll", command)
    if test_host:
        return f"test host: {test_host.group(1)}"
    if "vstest.console" in command or re.search(r"\bdotnet(\.dll)? test\b", command):
        return "dotnet test and vstest"
    if re.search(r"MSBuild|VBCSCompiler|csc\.dll|dotnet(\.dll)? build", command):
        return "build"
    assembly = re.search(r"([A-Za-z.]+)\.dll", command)
    if assembly and "dotnet" in command.split(" ")[0]:
        return f"dotnet {assembly.group(1)}"
    return f"other: {name}"


def main() -> None:
    seen: dict[tuple[str, str], list] = {}  # (pid, start time) -> [kind, CPU at first sight, CPU now, name]

    def command_of(pid: str) -> str:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")

    def read() -> None:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    text = stat.read()
                close = text.rindex(")")
                name, fields = text[text.index("(") + 1:close], text[close + 2:].split()
                cpu, started = (int(fields[11]) + int(fields[12])) / TICKS, fields[19]
                entry = seen.get((pid, started))
                if entry is None:
                    seen[(pid, started)] = [kind(command_of(pid), name), cpu if first_round else 0.0, cpu, name]
                else:
                    entry[2] = cpu
                    # A script that execs what it starts keeps its pid (rabbitmq-server → erl → erlexec → beam.smp):
                    # it counts as what it became, not as what it was first seen as.
                    if name != entry[3]:
                        entry[0], entry[3] = kind(command_of(pid), name), name
            except (OSError, ValueError):
                pass  # ended meanwhile

    def report(*_: object) -> None:
        totals: dict[str, float] = {}
        for what, first, last in seen.values():
            totals[what] = totals.get(what, 0.0) + last - first
        with open(sys.argv[1], "w") as out:
            for what, seconds in sorted(totals.items(), key=lambda pair: -pair[1]):
                if seconds >= 0.5:
                    out.write(f"{seconds:8.1f}  {what}\n")
            out.write(f"{sum(totals.values()):8.1f}  in all\n")
        sys.exit(0)

    signal.signal(signal.SIGTERM, report)
    signal.signal(signal.SIGINT, report)
    first_round = True
    read()
    first_round = False
    while True:
        time.sleep(1)
        read()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/cpu-by-process.py <output file>")
    main()

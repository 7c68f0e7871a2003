using FlexWhere.Bench;

// bench/run.sh builds in Release and runs this; see docs/benchmarks.md.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException wrong)
{
    Console.Error.WriteLine($"bench: {wrong.Message}");
    return 1;
}

using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT,
    Stop);
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM,
    Stop);
return await BenchRun.RunAsync(options);

static void Stop(System.Runtime.InteropServices.PosixSignalContext context)
{
    Console.Error.WriteLine("bench: stopping the servers and services it started ...");
    ChildProcess.TerminateAll();
}

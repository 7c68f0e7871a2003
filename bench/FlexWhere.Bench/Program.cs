using FlexWhere.Bench;

// bench/run.sh builds in Release and runs this; see docs/benchmarks.md.
var options = BenchOptions.Parse(args);
return await BenchRun.RunAsync(options);

namespace FlexWhere.Bench;

/// <summary>
/// The JIT's background work in the services: the CPU of their tiered-compilation threads (".NET Tiered Com", the thread
/// that recompiles hot methods with full optimisation), read from /proc every 250 ms. That thread ends when it has been
/// idle a while and a new one starts when work comes, so each thread's last reading is kept: what a thread used in its
/// last 250 ms is missed, which the settle rule's margin covers. P3's 20-s warm-up ended while Accounts' thread still
/// used a third of a core (docs/benchmarks.md, "The JIT's warm-up in the sign-in figures").
/// </summary>
public sealed class JitMeter : IDisposable
{
    public const string ThreadName = ".NET Tiered Com"; // the kernel keeps 15 characters of ".NET Tiered Compilation Worker"

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly IReadOnlyCollection<int> _processes;
    private readonly Dictionary<(int Process, int Thread), long> _lastTicks = [];
    private readonly Dictionary<(int Process, int Thread), int> _otherReadings = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _ticks;

    public JitMeter(IReadOnlyCollection<int> processes)
    {
        _processes = processes;
        Sample();
        _ticks = 0; // the JIT's work before the meter started is not counted
        _sampling = SampleAsync(_stop.Token);
    }

    /// <summary>CPU seconds the services' tiered-compilation threads used since the meter started.</summary>
    public double Seconds
    {
        get
        {
            lock (_lastTicks)
            {
                Sample();
                return _ticks / CpuMeter.TicksPerSecond;
            }
        }
    }

    /// <summary>The warm-up may end: it is long enough, and the JIT used under 1 % of a core in its last round
    /// (<paramref name="lastRound"/> long), so the measured window holds the services' own work and not their compilation.</summary>
    public static bool Settled(TimeSpan warmedFor, TimeSpan minimum, double jitSecondsInLastRound, TimeSpan lastRound) =>
        warmedFor >= minimum && jitSecondsInLastRound < 0.01 * lastRound.TotalSeconds;

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                lock (_lastTicks) Sample();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Sample()
    {
        foreach (var process in _processes)
        {
            IEnumerable<string> threads;
            try
            {
                threads = Directory.EnumerateDirectories($"/proc/{process}/task").ToList();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                continue; // the service has stopped
            }

            foreach (var directory in threads)
            {
                if (!int.TryParse(Path.GetFileName(directory), out var thread)) continue;
                var key = (process, thread);
                try
                {
                    // A new thread names itself just after it starts, so a thread counts as another kind only after two readings;
                    // from then on it costs nothing but its place in the directory listing.
                    var otherReadings = _otherReadings.GetValueOrDefault(key);
                    if (otherReadings >= 2) continue;
                    if (File.ReadAllText(Path.Combine(directory, "comm")).TrimEnd('\n') != ThreadName)
                    {
                        _otherReadings[key] = otherReadings + 1;
                        continue;
                    }

                    var ticks = CpuMeter.TicksOf(File.ReadAllText(Path.Combine(directory, "stat")));
                    _ticks += ticks - _lastTicks.GetValueOrDefault(key);
                    _lastTicks[key] = ticks;
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
                {
                    // The thread ended while being read.
                }
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _sampling.GetAwaiter().GetResult();
        _stop.Dispose();
    }
}

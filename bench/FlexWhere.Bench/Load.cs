using System.Diagnostics;

namespace FlexWhere.Bench;

/// <summary>What one load run measured: successful operations over the measured window and their latencies (failed ones
/// count in neither), the failures in that window, and <see cref="Failures"/>: every failure of the run, warm-up included.</summary>
public sealed record LoadResult(string Name, int Concurrency, long Completed, long Failed, TimeSpan Elapsed, Latencies Latency)
{
    public FailureTally Failures { get; init; } = new();

    public double PerSecond => Elapsed > TimeSpan.Zero ? Completed / Elapsed.TotalSeconds : 0;
}

/// <summary>Latency samples (microseconds) and their percentiles by the nearest-rank method.</summary>
public sealed class Latencies
{
    private readonly long[] _sortedMicros;

    public Latencies(IEnumerable<long> micros)
    {
        _sortedMicros = [.. micros];
        Array.Sort(_sortedMicros);
    }

    public int Count => _sortedMicros.Length;

    /// <summary>The smallest sample with at least <paramref name="percent"/> % of the samples at or below it.</summary>
    public double PercentileMs(double percent)
    {
        if (_sortedMicros.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(percent / 100.0 * _sortedMicros.Length);
        return _sortedMicros[Math.Clamp(rank, 1, _sortedMicros.Length) - 1] / 1000.0;
    }

    public double MaxMs => _sortedMicros.Length == 0 ? double.NaN : _sortedMicros[^1] / 1000.0;
}

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> workers each issue one operation, wait for it,
/// and issue the next. After a warm-up (not counted) it counts for a fixed time, or until a finite
/// supply of operations runs out (each verify consumes a challenge).
/// </summary>
public static class Load
{
    /// <param name="operation">Runs operation number n (from 0, warm-up included); true when the answer was the expected one.
    /// A failure with a reason throws <see cref="OperationFailedException"/> (or fails on its own: connection, timeout); the
    /// end of a finite supply throws <see cref="SupplyExhaustedException"/>.</param>
    /// <param name="measuring">Told true when the measured window opens and false when it closes (to meter the CPU of that window
    /// only).</param>
    public static async Task<LoadResult> RunAsync(string name, int concurrency, TimeSpan warmUp, TimeSpan duration,
        Func<long, Task<bool>> operation,
        Action<bool>? measuring = null)
    {
        long sequence = -1;
        var phase = 0; // 0 warm-up, 1 measuring, 2 done
        long completed = 0, failed = 0;
        var failures = new FailureTally();
        var samples = new List<long>[concurrency];
        using var stop = new CancellationTokenSource();
        var clock = new Stopwatch();

        async Task Worker(int index)
        {
            var mine = samples[index] = new List<long>(4096);
            while (Volatile.Read(ref phase) < 2)
            {
                var n = Interlocked.Increment(ref sequence);
                var started = Stopwatch.GetTimestamp();
                string? failure;
                try
                {
                    failure = await operation(n) ? null : "unexpected answer";
                }
                catch (SupplyExhaustedException)
                {
                    return;
                }
                catch (Exception exception) when (exception is OperationFailedException or HttpRequestException
                    or TaskCanceledException or TimeoutException or IOException)
                {
                    failure = FailureReason.Of(exception);
                }

                // A failure in the warm-up still fails the scenario: the service did not do what is measured.
                if (failure is not null) failures.Add(failure);
                if (Volatile.Read(ref phase) != 1) continue;
                if (failure is null)
                {
                    Interlocked.Increment(ref completed);
                    mine.Add((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }

        // Without a warm-up every operation counts, the first ones included (supply-bound runs).
        if (warmUp <= TimeSpan.Zero)
        {
            phase = 1;
            measuring?.Invoke(true);
            clock.Start();
        }

        var workers = Enumerable.Range(0, concurrency).Select(i => Task.Run(() => Worker(i))).ToArray();
        var all = Task.WhenAll(workers);
        if (warmUp > TimeSpan.Zero)
        {
            await Task.WhenAny(all, Task.Delay(warmUp));
            measuring?.Invoke(true);
            clock.Start();
            Volatile.Write(ref phase, 1);
        }

        await Task.WhenAny(all, Task.Delay(duration));
        clock.Stop();
        Volatile.Write(ref phase, 2);
        measuring?.Invoke(false);
        await all;
        return new LoadResult(name, concurrency, completed, failed, clock.Elapsed,
            new Latencies(samples.Where(s => s is not null).SelectMany(s => s))) { Failures = failures };
    }

    /// <summary>Sends requests at a fixed rate (open loop), so latency is not hidden by back-pressure;
    /// each operation's own timings are recorded by the caller.</summary>
    public static async Task<(long Sent, TimeSpan Elapsed)> RunAtRateAsync(double perSecond, TimeSpan duration, Func<long, Task> operation)
    {
        var interval = TimeSpan.FromSeconds(1 / perSecond);
        var clock = Stopwatch.StartNew();
        var running = new List<Task>();
        long n = 0;
        while (clock.Elapsed < duration)
        {
            var due = interval * n;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var current = n;
            running.Add(Task.Run(() => operation(current)));
            n++;
        }

        await Task.WhenAll(running);
        return (n, clock.Elapsed);
    }
}

/// <summary>Thrown by an operation when its finite supply (seeded challenges) is used up.</summary>
public sealed class SupplyExhaustedException : Exception;

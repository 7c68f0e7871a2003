using System.Globalization;

namespace FlexWhere.Bench;

/// <summary>
/// Where the cores went during a phase: CPU seconds (user + system, from /proc/&lt;pid&gt;/stat) of
/// every process between <see cref="Start"/> and <see cref="Stop"/>, grouped by what the process is
/// (a service, a server, this load generator). The profile that says which part to make cheaper.
/// </summary>
public sealed class CpuMeter
{
    public const double TicksPerSecond = 100; // USER_HZ: 100 on Linux for every architecture .NET runs on.
    private static readonly string[] Services = ["Accounts", "Gateway", "Challenges", "Notifier"];
    private readonly Dictionary<int, (string Name, long Ticks)> _start;
    private readonly JitMeter _jit;
    private readonly DateTime _startedAt = DateTime.UtcNow;

    private CpuMeter(Dictionary<int, (string Name, long Ticks)> start)
    {
        _start = start;
        _jit = new JitMeter([.. start.Where(process => Services.Contains(process.Value.Name)).Select(process => process.Key)]);
    }

    public static CpuMeter Start() => new(Read());

    /// <summary>CPU seconds per part since <see cref="Start"/>, largest first; the wall-clock seconds; and how much of it the
    /// services' tiered-compilation threads used (a window that still holds the JIT's warm-up says so).</summary>
    public CpuUse Stop()
    {
        var jitSeconds = _jit.Seconds;
        _jit.Dispose();
        var now = Read();
        var parts = new Dictionary<string, double>();
        foreach (var (pid, (name, ticks)) in now)
        {
            var before = _start.TryGetValue(pid, out var started) && started.Name == name ? started.Ticks : 0;
            var seconds = (ticks - before) / TicksPerSecond;
            if (seconds > 0) parts[name] = parts.GetValueOrDefault(name) + seconds;
        }

        return new CpuUse([.. parts.OrderByDescending(part => part.Value).Select(part => (part.Key, part.Value))],
            (DateTime.UtcNow - _startedAt).TotalSeconds, jitSeconds);
    }

    /// <summary>"Notifier 4.1 s, RabbitMQ 2.2 s, …" for the parts that used at least 2 % of the total, and the services' JIT.</summary>
    public static string Format(CpuUse use)
    {
        var total = use.Parts.Sum(part => part.Seconds);
        var shown = use.Parts.Where(part => part.Seconds >= total * 0.02)
            .Select(part => string.Create(CultureInfo.InvariantCulture, $"{part.Part} {part.Seconds:0.0} s"));
        return string.Create(CultureInfo.InvariantCulture,
            $"{string.Join(", ", shown)} (all processes {total:0.0} CPU-s in {use.WallSeconds:0.0} s on {Environment.ProcessorCount} " +
            $"cores; the services' tier-1 JIT threads {use.JitSeconds:0.00} CPU-s of it)");
    }

    /// <summary>"CPU per request: Gateway 210 µs, Challenges 180 µs, …": what one operation costs each part.</summary>
    public static string PerOperation(IReadOnlyList<(string Part, double Seconds)> parts, long operations)
    {
        if (operations <= 0) return "no operations completed";
        var total = parts.Sum(part => part.Seconds);
        var shown = parts.Where(part => part.Seconds >= total * 0.02)
            .Select(part => string.Create(CultureInfo.InvariantCulture, $"{part.Part} {part.Seconds * 1e6 / operations:0} µs"));
        return string.Create(CultureInfo.InvariantCulture,
            $"CPU per operation: {string.Join(", ", shown)}, all {total * 1e6 / operations:0} µs");
    }

    private static Dictionary<int, (string Name, long Ticks)> Read()
    {
        var self = Environment.ProcessId;
        var result = new Dictionary<int, (string, long)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            try
            {
                var ticks = TicksOf(File.ReadAllText(Path.Combine(directory, "stat")));
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                result[pid] = (pid == self ? "bench (load generator, fake Twilio)" : PartOf(commandLine), ticks);
            }
            catch (Exception exception) when (exception
                is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // The process ended while being read.
            }
        }

        return result;
    }

    /// <summary>A process's user and system time since it started, in seconds; 0 when it is gone.</summary>
    public static double SecondsSinceStart(int pid)
    {
        try
        {
            return TicksOf(File.ReadAllText($"/proc/{pid}/stat")) / TicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>User and system time, in ticks, from a process's or a thread's <c>stat</c>.</summary>
    public static long TicksOf(string stat)
    {
        // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private static string PartOf(string commandLine) => commandLine switch
    {
        _ when commandLine.Contains("Notifier.dll", StringComparison.Ordinal) => "Notifier",
        _ when commandLine.Contains("Challenges.dll", StringComparison.Ordinal) => "Challenges",
        _ when commandLine.Contains("Accounts.dll", StringComparison.Ordinal) => "Accounts",
        _ when commandLine.Contains("Gateway.dll", StringComparison.Ordinal) => "Gateway",
        _ when commandLine.Contains("beam.smp", StringComparison.Ordinal) => "RabbitMQ",
        _ when commandLine.Contains("redis-server", StringComparison.Ordinal) => "Redis",
        _ when commandLine.Contains("postgres", StringComparison.Ordinal) => "PostgreSQL",
        _ when commandLine.Contains("nginx", StringComparison.Ordinal) => "nginx",
        _ => "other",
    };
}

/// <summary>What <see cref="CpuMeter"/> saw in a window: CPU seconds per part, largest first; the window's wall-clock seconds;
/// the services' tiered-compilation threads' CPU seconds (<see cref="JitMeter"/>).</summary>
public sealed record CpuUse(IReadOnlyList<(string Part, double Seconds)> Parts, double WallSeconds, double JitSeconds)
{
    public static readonly CpuUse None = new([], 0, 0);
}

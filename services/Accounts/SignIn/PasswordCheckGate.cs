using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;

namespace FlexWhere.Accounts.Auth;

/// <summary>
/// Admission to a sign-in's password check. Each check is a PBKDF2 hash that keeps a core busy for tens of
/// milliseconds, so a 09:00 burst can ask for more than the cores can hash. At most
/// <see cref="PasswordSignInOptions.ConcurrentChecks"/> run at once and a short queue waits, oldest first. A
/// sign-in beyond both is refused at once with 503 <c>sign_in_busy</c> and <c>Retry-After</c>: a fast answer to
/// retry on, instead of a request that queues until it times out. Per process: each replica admits what its own
/// cores can hash.
/// </summary>
/// <remarks>
/// <c>Retry-After</c> follows the pressure: the sign-ins refused over the sign-ins admitted in the last second or two,
/// times <see cref="PasswordSignInOptions.BusyRetryAfterSeconds"/>, at most <see cref="PasswordSignInOptions.BusyRetryAfterMaxSeconds"/>,
/// spread by ±20 % so that those refused together do not come back together. With a fixed short wait every refused
/// person tries again every few seconds, and the refusals become most of the traffic.
/// </remarks>
public sealed class PasswordCheckGate : IDisposable
{
    public const string MeterName = "FlexWhere";

    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private readonly ConcurrencyLimiter _limiter;
    private readonly Counter<long> _refusedCounter;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly TimeSpan _longestRetryAfter;
    private long _windowStarted;
    private (long Admitted, long Refused) _current;
    private (long Admitted, long Refused) _previous;

    public PasswordCheckGate(IOptions<PasswordSignInOptions> options, IMeterFactory meters, TimeProvider time)
    {
        var settings = options.Value;
        Concurrent = settings.ConcurrentChecks > 0 ? settings.ConcurrentChecks : Environment.ProcessorCount;
        Queue = Concurrent * settings.QueuedPerCheck;
        ShortestRetryAfter = TimeSpan.FromSeconds(settings.BusyRetryAfterSeconds);
        _longestRetryAfter = TimeSpan.FromSeconds(Math.Max(settings.BusyRetryAfterSeconds, settings.BusyRetryAfterMaxSeconds));
        _time = time;
        _windowStarted = time.GetTimestamp();
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Concurrent,
            QueueLimit = Queue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _refusedCounter = meters.Create(MeterName).CreateCounter<long>("flexwhere.accounts.sign_ins_refused_busy", unit: "{sign-in}",
            description: "Sign-ins refused with sign_in_busy: every password check running and the queue full.");
    }

    public int Concurrent { get; }

    public int Queue { get; }

    public TimeSpan ShortestRetryAfter { get; }

    /// <summary>A lease to run one password check (dispose it once the hash is done), or a lease that is not acquired:
    /// refuse the sign-in with <see cref="Busy"/>. A caller that gives up while queued leaves the queue.</summary>
    public async ValueTask<RateLimitLease> EnterAsync(CancellationToken cancellationToken)
    {
        var lease = await _limiter.AcquireAsync(1, cancellationToken);
        lock (_lock)
        {
            Roll();
            if (lease.IsAcquired) _current.Admitted++;
            else _current.Refused++;
        }

        if (!lease.IsAcquired) _refusedCounter.Add(1);
        return lease;
    }

    /// <summary>The answer to a refused sign-in, with the wait the pressure calls for.</summary>
    public ApiProblem Busy() => new ApiProblem(StatusCodes.Status503ServiceUnavailable, ProblemCodes.SignInBusy,
        "Too many sign-ins at once.", "Many people are signing in right now. Try again in a few seconds.").WithRetryAfter(RetryAfter());

    /// <summary>The shortest wait times refused ÷ admitted over this window and the last, spread by ±20 %, within the
    /// shortest and the longest wait.</summary>
    public TimeSpan RetryAfter()
    {
        double pressure;
        lock (_lock)
        {
            Roll();
            pressure = (double)(_current.Refused + _previous.Refused) / Math.Max(1, _current.Admitted + _previous.Admitted);
        }

        var seconds = ShortestRetryAfter.TotalSeconds * Math.Max(1, pressure) * (0.8 + 0.4 * Random.Shared.NextDouble());
        return TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(seconds), ShortestRetryAfter.TotalSeconds, _longestRetryAfter.TotalSeconds));
    }

    private void Roll()
    {
        var elapsed = _time.GetElapsedTime(_windowStarted);
        if (elapsed < Window) return;
        _previous = elapsed < 2 * Window ? _current : default;
        _current = default;
        _windowStarted = _time.GetTimestamp();
    }

    public void Dispose() => _limiter.Dispose();
}

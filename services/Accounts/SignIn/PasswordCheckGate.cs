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
public sealed class PasswordCheckGate : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;
    private readonly Counter<long> _refused;

    public PasswordCheckGate(IOptions<PasswordSignInOptions> options, IMeterFactory meters)
    {
        var settings = options.Value;
        Concurrent = settings.ConcurrentChecks > 0 ? settings.ConcurrentChecks : Environment.ProcessorCount;
        Queue = Concurrent * settings.QueuedPerCheck;
        RetryAfter = TimeSpan.FromSeconds(settings.BusyRetryAfterSeconds);
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Concurrent,
            QueueLimit = Queue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _refused = meters.Create(MeterName).CreateCounter<long>("flexwhere.accounts.sign_ins_refused_busy", unit: "{sign-in}",
            description: "Sign-ins refused with sign_in_busy: every password check running and the queue full.");
    }

    public const string MeterName = "FlexWhere";

    public int Concurrent { get; }

    public int Queue { get; }

    public TimeSpan RetryAfter { get; }

    /// <summary>A lease to run one password check (dispose it once the hash is done), or a lease that is not acquired:
    /// refuse the sign-in with <see cref="Busy"/>. A caller that gives up while queued leaves the queue.</summary>
    public async ValueTask<RateLimitLease> EnterAsync(CancellationToken cancellationToken)
    {
        var lease = await _limiter.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired) _refused.Add(1);
        return lease;
    }

    public ApiProblem Busy() => new ApiProblem(StatusCodes.Status503ServiceUnavailable, ProblemCodes.SignInBusy,
        "Too many sign-ins at once.", "Many people are signing in right now. Try again in a few seconds.").WithRetryAfter(RetryAfter);

    public void Dispose() => _limiter.Dispose();
}

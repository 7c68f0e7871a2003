using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using FlexWhere.Accounts.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FlexWhere.Accounts.UnitTests;

/// <summary>The gate's <c>Retry-After</c>: the shortest wait while few are refused, longer as refusals outnumber admissions.</summary>
public sealed class PasswordCheckGateTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly PasswordCheckGate _gate;
    private readonly List<RateLimitLease> _held = [];

    public PasswordCheckGateTests() => _gate = new PasswordCheckGate(Options.Create(new PasswordSignInOptions
    {
        ConcurrentChecks = 1, QueuedPerCheck = 0, BusyRetryAfterSeconds = 2, BusyRetryAfterMaxSeconds = 30,
    }), _metrics.GetRequiredService<IMeterFactory>(), _time);

    [Fact]
    public void With_nobody_refused_the_wait_is_the_shortest_spread_by_a_fifth()
    {
        var waits = Enumerable.Range(0, 200).Select(_ => _gate.RetryAfter().TotalSeconds).ToHashSet();

        Assert.Subset(new HashSet<double> { 2, 3 }, waits);
    }

    [Fact]
    public async Task Refusals_beyond_admissions_lengthen_the_wait_up_to_the_longest_and_it_shortens_again_when_they_stop()
    {
        _held.Add(await AdmitAsync()); // the one check: everyone after it is refused
        await RefuseAsync(2);
        Assert.InRange(_gate.RetryAfter().TotalSeconds, 4, 5); // 2 refused per admitted: 2 s × 2 × (0.8 … 1.2)

        await RefuseAsync(100);
        Assert.Equal(TimeSpan.FromSeconds(30), _gate.RetryAfter());
        Assert.Equal(TimeSpan.FromSeconds(30), _gate.Busy().RetryAfter);

        // The last two seconds count: a quiet spell of two brings the shortest wait back.
        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(TimeSpan.FromSeconds(30), _gate.RetryAfter());
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.InRange(_gate.RetryAfter().TotalSeconds, 2, 3);
    }

    private async Task<RateLimitLease> AdmitAsync()
    {
        var lease = await _gate.EnterAsync(CancellationToken.None);
        Assert.True(lease.IsAcquired);
        return lease;
    }

    private async Task RefuseAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var lease = await _gate.EnterAsync(CancellationToken.None);
            Assert.False(lease.IsAcquired);
        }
    }

    public void Dispose()
    {
        foreach (var lease in _held) lease.Dispose();
        _gate.Dispose();
        _metrics.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using FlexWhere.Testing.Twilio;

namespace FlexWhere.Bench;

/// <summary>An SMS as the provider received it.</summary>
public sealed record ReceivedSms(string Body, DateTimeOffset At);

/// <summary>
/// The tests' fake Twilio (tests/TestInfrastructure), accepting every message at once, with what the
/// bench measures on top: when each destination's message arrived, and waits for a count or a message.
/// </summary>
public sealed class FakeTwilioServer : IAsyncDisposable
{
    /// <summary>A made-up account of the right shape, new each run.</summary>
    public static readonly string AccountSid = FakeTwilio.NewAccountSid();
    public const string AuthToken = "bench-fake-auth-token";

    private readonly FakeTwilio _twilio;
    private readonly ConcurrentDictionary<string, long> _arrivals = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ReceivedSms>> _expected = new();
    private long _received;
    private long _target = long.MaxValue;
    private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FakeTwilioServer(FakeTwilio twilio)
    {
        _twilio = twilio;
        twilio.MessageAccepted += OnAccepted;
    }

    public Uri BaseUrl => _twilio.BaseUrl;
    public long Received => Interlocked.Read(ref _received);

    public static async Task<FakeTwilioServer> StartAsync() => new(await FakeTwilio.StartAsync());

    /// <summary>Completes when <paramref name="count"/> more messages than now have arrived.</summary>
    public Task WaitForAsync(long count, CancellationToken cancellationToken)
    {
        _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _target, Received + count);
        if (Received >= Interlocked.Read(ref _target)) _reached.TrySetResult();
        return _reached.Task.WaitAsync(cancellationToken);
    }

    /// <summary>When (Stopwatch timestamp) the last message to <paramref name="to"/> arrived.</summary>
    public bool TryGetArrival(string to, out long timestamp) => _arrivals.TryGetValue(to, out timestamp);

    /// <summary>The next SMS to <paramref name="to"/>; call before the action that sends it.</summary>
    public Task<ReceivedSms> ExpectAsync(string to)
    {
        var waiter = new TaskCompletionSource<ReceivedSms>(TaskCreationOptions.RunContinuationsAsynchronously);
        _expected[to] = waiter;
        return waiter.Task;
    }

    private void OnAccepted(FakeMessage message)
    {
        _arrivals[message.To] = Stopwatch.GetTimestamp();
        if (_expected.TryRemove(message.To, out var waiter)) waiter.TrySetResult(new ReceivedSms(message.Body, message.AcceptedAt));
        if (Interlocked.Increment(ref _received) >= Interlocked.Read(ref _target)) _reached.TrySetResult();
    }

    public ValueTask DisposeAsync() => _twilio.DisposeAsync();
}

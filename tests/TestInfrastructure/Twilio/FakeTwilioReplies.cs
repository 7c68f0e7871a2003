using System.Collections.Concurrent;

namespace FlexWhere.Testing.Twilio;

/// <summary>Which of the Messages API's two operations a request is.</summary>
public enum FakeTwilioCall
{
    /// <summary>POST Messages.json: send a message.</summary>
    Send,

    /// <summary>GET Messages.json?To=…: the messages sent to a number.</summary>
    List,
}

/// <summary>How the fake answers one request.</summary>
public abstract record FakeReply
{
    /// <summary>Does what was asked, after <paramref name="Delay"/> (to make two senders overlap).</summary>
    public sealed record Accept(TimeSpan Delay = default) : FakeReply;

    /// <summary>Does what was asked once the test completes <paramref name="Released"/>: holds a sender
    /// in the middle of its send for as long as the test needs.</summary>
    public sealed record AcceptOnceReleased(Task Released) : FakeReply;

    public sealed record TooManyRequests(int RetryAfterSeconds) : FakeReply;

    public sealed record ServerError(int Code = 20500, int Status = 500) : FakeReply;

    /// <summary>Never answers: the client's timeout must.</summary>
    public sealed record Hang : FakeReply;

    public sealed record Refuse(int Code, int Status = 400) : FakeReply;
}

/// <summary>The fake's reply policy: decides how each request is answered.</summary>
public interface IFakeTwilioReplies
{
    FakeReply Next(FakeTwilioCall call);
}

/// <summary>
/// Sends are answered from a script, then accepted (or, with <see cref="AlwaysFailWith"/>, refused);
/// lookups are accepted unless <see cref="FailLookups"/> says to fail the next ones.
/// </summary>
public sealed class ScriptedReplies : IFakeTwilioReplies
{
    private readonly ConcurrentQueue<FakeReply> _script = new();
    private readonly Lock _lookups = new();
    private int _failLookups;

    /// <summary>When no scripted reply is left: this reply instead of accepting.</summary>
    public FakeReply? AlwaysFailWith { get; set; }

    /// <summary>A pause before accepting a send, so two senders overlap.</summary>
    public TimeSpan AcceptDelay { get; set; }

    /// <summary>How many of the next lookups fail with 500 (Twilio code 20500).</summary>
    public int FailLookups
    {
        get { lock (_lookups) return _failLookups; }
        set { lock (_lookups) _failLookups = value; }
    }

    public void Script(params FakeReply[] replies)
    {
        foreach (var reply in replies) _script.Enqueue(reply);
    }

    public FakeReply Next(FakeTwilioCall call)
    {
        if (call == FakeTwilioCall.List)
        {
            lock (_lookups)
            {
                if (_failLookups <= 0) return new FakeReply.Accept();
                _failLookups--;
                return new FakeReply.ServerError();
            }
        }

        return _script.TryDequeue(out var scripted) ? scripted : AlwaysFailWith ?? new FakeReply.Accept(AcceptDelay);
    }
}

/// <summary>A busy Twilio: refuses a share of all requests at random, half with 429 (Retry-After: 1) and
/// half with 503; the seed makes a run repeatable.</summary>
public sealed class RandomFaults(double faultShare, int seed) : IFakeTwilioReplies
{
    private readonly Random _random = new(seed);
    private long _faults;

    public long Faults => Interlocked.Read(ref _faults);

    public FakeReply Next(FakeTwilioCall call)
    {
        bool tooMany, fault;
        lock (_random)
        {
            tooMany = _random.Next(2) == 0;
            fault = _random.NextDouble() < faultShare;
        }

        if (!fault) return new FakeReply.Accept();
        Interlocked.Increment(ref _faults);
        return tooMany ? new FakeReply.TooManyRequests(RetryAfterSeconds: 1) : new FakeReply.ServerError(20503, 503);
    }
}

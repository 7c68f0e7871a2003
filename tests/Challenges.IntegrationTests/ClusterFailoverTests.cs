using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using FlexWhere.Testing;
using Xunit.Abstractions;

namespace FlexWhere.Challenges.IntegrationTests;

/// <summary>A cluster of its own: the failover test kills one of its primaries.</summary>
[CollectionDefinition(Name)]
public sealed class FailoverCollection : ICollectionFixture<RedisClusterServer>, ICollectionFixture<RabbitMqServer>
{
    public const string Name = "redis cluster failover";
}

/// <summary>
/// A primary killed (SIGKILL) during a stream of sign-in codes: after its replica is promoted, codes are issued
/// and accepted again; no code is ever accepted twice, replays after the failover included. Replication is
/// asynchronous, so a code issued just before the kill may be lost (its challenge is not found afterwards): the
/// loss is counted, bounded and written to the test's output with the time to recover (docs/reliability.md).
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class ClusterFailoverTests(RedisClusterServer redis, RabbitMqServer rabbitMq, ITestOutputHelper output)
{
    private const int Workers = 4;
    private const int IssuedBeforeKill = 20;
    private static readonly TimeSpan BeforeKill = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AfterRecovery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MustRecoverWithin = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReplicaCatchUpLimit = TimeSpan.FromSeconds(15);

    private sealed record Issued(string ChallengeId, string Code, TimeSpan CreatedAt)
    {
        public int Accepted;
    }

    [Fact]
    public async Task After_a_primary_is_killed_sign_ins_work_again_and_no_code_is_accepted_twice()
    {
        using var app = new ChallengesApp(redis, rabbitMq, ("Challenges:ReplicasToAcknowledge", "1"));
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var clock = Stopwatch.StartNew();
        var issued = new ConcurrentBag<Issued>();
        var failedCreates = 0;
        var failedVerifies = 0;
        TimeSpan? killedAt = null;
        TimeSpan? recoveredAt = null;
        using var stop = new CancellationTokenSource();

        async Task StreamAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var started = clock.Elapsed;
                using var create = await app.CreateAsync(ChallengeRequest.Fresh());
                if (create.StatusCode != HttpStatusCode.Created)
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, create.StatusCode);
                    if (killedAt is not null) Interlocked.Increment(ref failedCreates);
                    await Task.Delay(50);
                    continue;
                }

                var created = (await create.Content.ReadFromJsonAsync<Created>())!;
                var code = (await sms.WaitForChallengeAsync(created.ChallengeId)).Code;
                var sent = new Issued(created.ChallengeId, code, started);
                issued.Add(sent);
                // The same code twice at once: at most one is accepted, failover or not.
                var accepted = await VerifyAsync(app, sent, twice: true);
                if (accepted == 0 && killedAt is not null) Interlocked.Increment(ref failedVerifies);
                if (accepted == 1 && killedAt is { } kill && started > kill) recoveredAt ??= clock.Elapsed;
            }
        }

        var stream = Enumerable.Range(0, Workers).Select(_ => Task.Run(StreamAsync)).ToArray();
        // A stream under way (the host started, codes issued and used), then a second more of it.
        while (issued.Count < IssuedBeforeKill && clock.Elapsed < MustRecoverWithin) await Task.Delay(100);
        await Task.Delay(BeforeKill);
        var primaries = await redis.PrimaryPortsAsync();
        var counts = await Task.WhenAll(primaries.Select(redis.KeyCountAsync));
        var victim = primaries[Array.IndexOf(counts, counts.Max())];
        // The crash this test is about loses what is in flight to the replica. A replica that is still in its first sync,
        // or seconds behind on starved cores, loses far more (a clean-clone run lost 18 codes); that is the test's set-up,
        // not the failover. So the kill comes once the replica has acknowledged everything written up to now.
        var (writtenBeforeKill, acknowledged) = await redis.ReplicationOffsetsAsync(victim);
        var behindBeforeKill = writtenBeforeKill - acknowledged;
        var catchingUp = Stopwatch.StartNew();
        while ((acknowledged is null || acknowledged < writtenBeforeKill) && catchingUp.Elapsed < ReplicaCatchUpLimit)
        {
            await Task.Delay(50);
            acknowledged = (await redis.ReplicationOffsetsAsync(victim)).Acknowledged;
        }

        catchingUp.Stop();
        if (acknowledged is null || acknowledged < writtenBeforeKill)
        {
            await stop.CancelAsync();
            await Task.WhenAll(stream);
            Assert.Fail($"The replica of {victim} did not acknowledge its primary's writes within {ReplicaCatchUpLimit.TotalSeconds} s.");
        }

        var issuedBeforeKill = issued.Count;
        redis.Kill(victim);
        killedAt = clock.Elapsed;

        while (recoveredAt is null && clock.Elapsed - killedAt < MustRecoverWithin) await Task.Delay(100);
        if (recoveredAt is not null) await Task.Delay(AfterRecovery);
        await stop.CancelAsync();
        await Task.WhenAll(stream);

        // Every code once more, now that the cluster is whole again: a used code must stay used.
        var lost = 0;
        foreach (var code in issued)
        {
            await VerifyAsync(app, code, twice: false);
            using var status = await app.Internal.GetAsync($"/internal/challenges/{code.ChallengeId}");
            if (status.StatusCode == HttpStatusCode.NotFound) lost++;
        }

        var report = $"Redis Cluster failover: killed the primary on port {victim} (holding {counts.Max()} of {counts.Sum()} keys) " +
            $"{killedAt.Value.TotalSeconds:0.0} s into the stream; {Workers} workers; codes issued {issued.Count} " +
            $"({issuedBeforeKill} before the kill; the replica {(behindBeforeKill is { } behind ? $"{behind} bytes behind" : "not online")}, " +
            $"caught up in {catchingUp.Elapsed.TotalSeconds:0.0} s); recovered (a code issued after the kill accepted) " +
            $"{(recoveredAt - killedAt)?.TotalSeconds.ToString("0.0") ?? "never"} s after the kill; " +
            $"creates failed {failedCreates}, code checks failed {failedVerifies} after the kill; codes lost {lost}; " +
            $"codes accepted twice {issued.Count(code => code.Accepted > 1)}.";
        output.WriteLine(report);
        Console.WriteLine(report);

        Assert.True(issuedBeforeKill >= IssuedBeforeKill, $"The stream had not started when the primary was killed. {report}");
        Assert.True(recoveredAt is not null, $"No sign-in worked within {MustRecoverWithin.TotalSeconds} s of the kill. {report}");
        Assert.All(issued, code => Assert.True(code.Accepted <= 1, $"Code of {code.ChallengeId} accepted {code.Accepted} times."));
        // Lost: written to the primary, not yet to its replica, when it died; at most the codes of the last moments.
        Assert.True(lost <= Workers * 2, report);
        Assert.True(issued.Count(code => code.CreatedAt > recoveredAt) > 0, report);
    }

    /// <summary>Verifies the code (twice at once when asked); counts and returns how many were accepted.</summary>
    private static async Task<int> VerifyAsync(ChallengesApp app, Issued code, bool twice)
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, twice ? 2 : 1).Select(async _ =>
        {
            using var response = await app.VerifyAsync(code.ChallengeId, code.Code);
            return response.StatusCode;
        }));
        var accepted = answers.Count(status => status == HttpStatusCode.OK);
        Interlocked.Add(ref code.Accepted, accepted);
        return accepted;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit.Abstractions;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>The failover test's primary and standby, apart from the run's shared server: it stops one of them.</summary>
[CollectionDefinition(Name)]
public sealed class FailoverPostgresCollection : ICollectionFixture<AccountsHostPool>,
    ICollectionFixture<ReplicatedPostgresServer>, ICollectionFixture<RabbitMqServer>
{
    public const string Name = "postgres-failover";
}

/// <summary>
/// Accounts on a primary and a synchronous hot standby, through the multi-host connection string of
/// docs/configuration.md. The primary is stopped as in a crash during a stream of sign-ins and the
/// standby promoted, as an operator or Patroni would; Accounts is not restarted. Its figures are in
/// docs/reliability.md.
/// </summary>
[Collection(FailoverPostgresCollection.Name)]
public class PostgresFailoverTests(ReplicatedPostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq,
    ITestOutputHelper output) : AccountsTestBase(postgres, host, rabbitMq)
{
    private const int Streams = 4;

    /// <summary>From the promotion to the first sign-in that succeeds again.</summary>
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(10);

    private sealed record Attempt(TimeSpan Started, TimeSpan Ended, HttpStatusCode Status, string MediaType, string Body, bool RetryAfter);

    [Fact]
    public async Task Sign_ins_come_back_by_themselves_after_the_standby_is_promoted_and_no_signed_in_session_is_lost()
    {
        var organisation = await CreateOrganisationAsync();
        var employees = new List<User>();
        for (var i = 0; i < Streams; i++) employees.Add(await CreateUserAsync(organisation, UserRole.Employee));
        var (ready, _, readyRaw) = await HealthProbe.WaitForReadinessAsync(Client, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        Assert.True(ready == HttpStatusCode.OK, readyRaw);

        var clock = Stopwatch.StartNew();
        var attempts = new ConcurrentQueue<Attempt>();
        using var stop = new CancellationTokenSource();
        var streams = employees.Select(employee => SignInStreamAsync(employee.Email, clock, attempts, stop.Token)).ToArray();

        await WaitUntilAsync(() => attempts.Count(a => a.Status == HttpStatusCode.OK) >= 2 * Streams, TimeSpan.FromSeconds(30));
        var stopping = clock.Elapsed;
        await postgres.StopPrimaryImmediatelyAsync();
        // pg_ctl returns once the primary is gone; a sign-in may still succeed while it starts up.
        var killed = clock.Elapsed;
        var (down, _, downRaw) = await HealthProbe.WaitForReadinessAsync(Client, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15));
        Assert.True(down == HttpStatusCode.ServiceUnavailable, $"Still ready without a primary: {downRaw}");
        var notReady = clock.Elapsed;

        var promoting = clock.Elapsed;
        await postgres.PromoteStandbyAsync();
        var promoted = clock.Elapsed;
        var (back, _, backRaw) = await HealthProbe.WaitForReadinessAsync(Client, HttpStatusCode.OK, RecoveryBound);
        var readyAgain = clock.Elapsed;
        Assert.True(back == HttpStatusCode.OK, $"Not ready {RecoveryBound.TotalSeconds:0} s after the promotion: {backRaw}");
        // Every stream signs in again after the promotion: the pool holds nothing that keeps failing.
        await WaitUntilAsync(() => employees.Count <= attempts.Count(a => a.Status == HttpStatusCode.OK && a.Started > promoted),
            RecoveryBound);
        await stop.CancelAsync();
        await Task.WhenAll(streams);

        var all = attempts.OrderBy(a => a.Started).ToList();
        // Nothing can sign in between the stop and the promotion: no server takes writes.
        var firstBack = all.Where(a => a.Status == HttpStatusCode.OK && a.Started > killed).Min(a => a.Ended);
        Assert.True(firstBack > promoting, "A sign-in succeeded with no primary.");
        var failed = all.Where(a => a.Status != HttpStatusCode.OK).ToList();
        output.WriteLine($"{all.Count} sign-ins: {all.Count - failed.Count} signed in, {failed.Count} refused. Primary stopped at " +
            $"{killed.TotalSeconds:0.00} s (pg_ctl {(killed - stopping).TotalSeconds:0.00} s), not ready {(notReady - killed).TotalSeconds:0.00} s " +
            $"later; standby promoted at {promoted.TotalSeconds:0.00} s (pg_promote {(promoted - promoting).TotalSeconds:0.00} s); first " +
            $"sign-in back {(firstBack - promoted).TotalSeconds:0.00} s after the promotion ({(firstBack - killed).TotalSeconds:0.00} s after " +
            $"the stop); ready again {(readyAgain - promoted).TotalSeconds:0.00} s after the promotion; slowest refusal " +
            $"{failed.Select(a => a.Ended - a.Started).DefaultIfEmpty().Max().TotalSeconds:0.00} s.");

        Assert.True(firstBack - promoted < RecoveryBound, $"Sign-ins came back {(firstBack - promoted).TotalSeconds:0.0} s after the promotion.");
        Assert.All(failed, attempt =>
        {
            Assert.True(attempt.Status == HttpStatusCode.ServiceUnavailable, $"{(int)attempt.Status}: {attempt.Body}");
            Assert.Equal("application/problem+json", attempt.MediaType);
            Assert.Equal("accounts_unavailable", JsonDocument.Parse(attempt.Body).RootElement.GetProperty("code").GetString());
            Assert.DoesNotContain("   at ", attempt.Body);
            Assert.True(attempt.RetryAfter, "A refusal without Retry-After.");
        });
        Assert.NotEmpty(failed);

        // Synchronous replication: every sign-in that was answered 200, before the stop or in the middle
        // of it, has its session on the promoted standby, and its token still opens /api/me.
        var signedIn = all.Where(a => a.Status == HttpStatusCode.OK).Select(a => JsonDocument.Parse(a.Body).RootElement).ToList();
        var sessionIds = signedIn.Select(body => SessionOf(body.GetProperty("accessToken").GetString()!)).ToList();
        await using (var db = DbContextFor(OnStandby(ConnectionString)))
        {
            var kept = await db.Sessions.CountAsync(session => sessionIds.Contains(session.Id));
            Assert.Equal(sessionIds.Count, kept);
        }

        var lastBeforeStop = all.Last(a => a.Status == HttpStatusCode.OK && a.Ended < stopping);
        using var me = ClientWithToken(JsonDocument.Parse(lastBeforeStop.Body).RootElement.GetProperty("accessToken").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await me.GetAsync("/api/me")).StatusCode);
    }

    /// <summary>One person after another signing in on the mobile app (password only, a whole sign-in with a session).</summary>
    private async Task SignInStreamAsync(string email, Stopwatch clock, ConcurrentQueue<Attempt> attempts, CancellationToken stop)
    {
        using var client = Factory.CreateClient();
        while (!stop.IsCancellationRequested)
        {
            var started = clock.Elapsed;
            using var response = await client.PostAsJsonAsync("/api/auth/login",
                new { email, password = Password, client = "mobile", deviceToken = (string?)null }, CancellationToken.None);
            attempts.Enqueue(new Attempt(started, clock.Elapsed, response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "",
                await response.Content.ReadAsStringAsync(CancellationToken.None), response.Headers.RetryAfter is not null));
            // A stream, not a flood: the machine's cores are shared.
            await Task.Delay(50, CancellationToken.None);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < timeout, $"Not within {timeout.TotalSeconds:0} s.");
            await Task.Delay(50);
        }
    }

    private static Guid SessionOf(string accessToken)
    {
        var payload = accessToken.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
        using var claims = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
        return Guid.Parse(claims.RootElement.GetProperty("sid").GetString()!);
    }

    /// <summary>This test's database on the promoted standby alone.</summary>
    private string OnStandby(string connectionString) =>
        new NpgsqlConnectionStringBuilder(postgres.StandbyConnectionString)
        {
            Database = new NpgsqlConnectionStringBuilder(connectionString).Database,
        }.ConnectionString;
}

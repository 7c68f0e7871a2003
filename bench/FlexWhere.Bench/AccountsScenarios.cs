using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace FlexWhere.Bench;

/// <summary>A seeded Control Centre user (Manager: SMS second factor) with a number of their own.</summary>
public sealed record BenchUser(Guid Id, string Email, string Phone);

/// <summary>
/// P3 (full MFA sign-in through the Gateway: password → SMS challenge → SendSms → fake provider →
/// verify, versus the bare password-hash rate), P5 (latency from the sign-in POST to the SMS at
/// the provider at a steady half of the hash-bound capacity, split into its stages) and P7 (the 09:00 burst).
/// </summary>
public static partial class AccountsScenarios
{
    public const string Password = "Bench-Password-2026!";
    public const int UserCount = 3000;

    /// <summary>How long P3 and P5 sign users in, warm-up included (the Challenges limits the bench lifts count them all).</summary>
    public static TimeSpan SignInTime(BenchSettings settings) =>
        SignInWarmUp(settings).AtMost + settings.Duration + SmsLatencyDuration(settings);

    /// <summary>The sign-in path crosses four services that have not run it yet; see <see cref="WarmUpAsync"/>.</summary>
    private static (TimeSpan AtLeast, TimeSpan AtMost) SignInWarmUp(BenchSettings settings) =>
        settings.Smoke ? (settings.WarmUp, settings.WarmUp) : (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(120));

    private static readonly TimeSpan WarmUpRound = TimeSpan.FromSeconds(5);

    private static TimeSpan SmsLatencyDuration(BenchSettings settings) => TimeSpan.FromSeconds(settings.Smoke ? 3 : 20);

    private static BenchUser[] _users = [];
    private static int _nextUser = -1;

    /// <summary>Migrations (the worker, then stopped), the seeded users, then Accounts itself.</summary>
    public static async Task StartAsync(Services services, Servers servers)
    {
        services.Extra["Tokens__SigningKeyPem"] = RSA.Create(2048).ExportPkcs8PrivateKeyPem();
        services.Extra["DataProtection__Certificate"] = DataProtectionCertificatePem();
        await services.StartAsync("Accounts.MigrationService");
        await services.StopAsync("Accounts.MigrationService");
        _users = await SeedUsersAsync(servers.PostgresConnectionString!);
        await services.StartAsync("Accounts");
    }

    /// <summary>In Production Accounts encrypts its Data Protection keys to a certificate (docs/security.md, "Key rotation").</summary>
    private static string DataProtectionCertificatePem()
    {
        using var rsa = RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=FlexWhere bench", rsa,
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return certificate.ExportCertificatePem() + "\n" + rsa.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>One organisation (SMS to NL allowed) and its managers, written with SQL; one password
    /// hash (ASP.NET Core Identity's, as Accounts writes them) shared by all, so seeding stays fast.</summary>
    private static async Task<BenchUser[]> SeedUsersAsync(string connectionString)
    {
        var hash = new PasswordHasher<object>().HashPassword(new object(), Password);
        var organisation = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO organisations ("Id", "Name", "Country", "MobileTotpRequired", "MobilePinRequired", "PinLength",
                "AllowedSmsCountries", "TrustedDevicePeriodDays", "LinkedDatabase", "CreatedAt")
            VALUES (@id, 'Bench', 'NL', false, false, 6, ARRAY['NL'], 30, false, @now)
            """, connection))
        {
            insert.Parameters.AddWithValue("id", organisation);
            insert.Parameters.AddWithValue("now", now);
            await insert.ExecuteNonQueryAsync();
        }

        var users = Enumerable.Range(0, UserCount)
            .Select(i => new BenchUser(Guid.NewGuid(), $"bench-{i}@bench.flexwhere.test", $"+3162{i:D7}"))
            .ToArray();
        await using var writer = await connection.BeginBinaryImportAsync("""
            COPY users ("Id", "OrganisationId", "Email", "NormalizedEmail", "DisplayName", "Role", "Active", "PhoneNumber",
                "PhoneVerified", "PasswordHash", "SecondFactorFailures", "FromLinkedDatabase", "CreatedAt") FROM STDIN (FORMAT BINARY)
            """);
        foreach (var user in users)
        {
            await writer.StartRowAsync();
            await writer.WriteAsync(user.Id, NpgsqlTypes.NpgsqlDbType.Uuid);
            await writer.WriteAsync(organisation, NpgsqlTypes.NpgsqlDbType.Uuid);
            await writer.WriteAsync(user.Email, NpgsqlTypes.NpgsqlDbType.Varchar);
            await writer.WriteAsync(user.Email.ToUpperInvariant(), NpgsqlTypes.NpgsqlDbType.Varchar);
            await writer.WriteAsync($"Bench manager {user.Email}", NpgsqlTypes.NpgsqlDbType.Varchar);
            await writer.WriteAsync("Manager", NpgsqlTypes.NpgsqlDbType.Varchar);
            await writer.WriteAsync(true, NpgsqlTypes.NpgsqlDbType.Boolean);
            await writer.WriteAsync(user.Phone, NpgsqlTypes.NpgsqlDbType.Varchar);
            await writer.WriteAsync(true, NpgsqlTypes.NpgsqlDbType.Boolean);
            await writer.WriteAsync(hash, NpgsqlTypes.NpgsqlDbType.Text);
            await writer.WriteAsync(0, NpgsqlTypes.NpgsqlDbType.Integer);
            await writer.WriteAsync(false, NpgsqlTypes.NpgsqlDbType.Boolean);
            await writer.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz);
        }

        await writer.CompleteAsync();
        return users;
    }

    private static BenchUser NextUser() => _users[(int)((uint)Interlocked.Increment(ref _nextUser) % (uint)_users.Length)];

    public static async Task RunAsync(Report report, BenchSettings settings, BenchOptions options, Services services, Servers servers,
        FakeTwilioServer twilio, RssSampler rss)
    {
        // The floor is measured before the sign-ins and, with P3, again right after its window; the faster of the two counts, so a
        // slow minute of a shared machine during the floor cannot flatter a ratio (P3's ratio, P5's time beyond the hash, P7's floor).
        var hashRate = HashRate(settings);
        report.Line($"P3 raw hash: {hashRate.PerSecond:N1}/s on {Environment.ProcessorCount} threads, median {hashRate.MedianMs:N1} ms " +
            $"per hash");
        void FloorRow() => report.Row("P3 sign-in",
            $"raw password hash (PBKDF2-HMAC-SHA512, Identity v3), {Environment.ProcessorCount} threads",
            $"{hashRate.PerSecond:N1} hashes/s", Report.Ms(hashRate.MedianMs), "–",
            $"the floor: one hash per sign-in{(options.Scenarios.Contains("P3") ? ", the faster of before and after P3" : "")}; " +
            $"load {Report.LoadAverage()}");
        if (!options.Scenarios.Contains("P3")) FloorRow();

        using var client = HttpScenarios.NewClient(64);
        var gateway = services.Url("Gateway");
        await SignInAsync(client, gateway, twilio, NextUser(), null); // fails loudly if the flow is broken

        var concurrency = Environment.ProcessorCount * 4;
        rss.Phase = "P3 sign-in";
        await WarmUpAsync(report, settings, report.Failures(new[] { "P3", "P5", "P7" }.First(options.Scenarios.Contains)),
            concurrency, async _ => await SignInAsync(client, gateway, twilio, NextUser(), null));
        rss.Phase = "idle";

        double? signInRate = null;
        if (options.Scenarios.Contains("P3"))
        {
            rss.Phase = "P3 sign-in";
            CpuMeter? cpu = null;
            var used = CpuUse.None;
            var result = await Load.RunAsync($"full MFA sign-in through the Gateway (login → SMS → verify), closed loop", concurrency,
                TimeSpan.Zero, settings.Duration,
                async _ => await SignInAsync(client, gateway, twilio, NextUser(), null), measuring: on =>
                {
                    if (on) cpu = CpuMeter.Start();
                    else used = cpu!.Stop();
                });
            rss.Phase = "idle";
            var again = HashRate(settings);
            report.Line($"P3 raw hash again, after the window: {again.PerSecond:N1}/s, median {again.MedianMs:N1} ms per hash");
            if (again.PerSecond > hashRate.PerSecond) hashRate = again;
            FloorRow();
            report.Row("P3 sign-in", result, "sign-ins/s");
            signInRate = result.PerSecond;
            report.Line($"P3 CPU: {CpuMeter.Format(used)}; {CpuMeter.PerOperation(used.Parts, result.Completed)} (one " +
                $"hash: {hashRate.MedianMs:N0} ms on a busy core)");
            // The floor hashes on every core at once, so one hash costs cores ÷ rate of CPU.
            var oneHash = CpuBudget.Time(Environment.ProcessorCount * 1e6 / hashRate.PerSecond);
            report.Ratio("P3 sign-in / raw hash rate", result.PerSecond / hashRate.PerSecond, "≥ 0.9",
                result.PerSecond / hashRate.PerSecond >= 0.9,
                CpuBudget.Describe(0.9, hashRate.PerSecond, Environment.ProcessorCount, CpuPerOperation.Of(used, result.Completed),
                    "Accounts", "Accounts", "sign-in", $"one hash: {oneHash} of CPU"));
        }

        if (options.Scenarios.Contains("P5"))
        {
            // Half of what the whole stack can sign in (P3, same run): half the hash rate is more than that on cores that
            // every service shares, and Accounts' password-check gate then refuses what does not fit.
            var rate = Math.Max(1, (signInRate ?? hashRate.PerSecond) / 2);
            await SmsLatencyAsync(report, settings, services, servers, twilio, client, gateway, hashRate, rate, rss);
        }

        if (options.Scenarios.Contains("P7"))
        {
            await BurstAsync(report, settings, twilio, gateway, hashRate, rss);
        }
    }

    /// <summary>
    /// Signs users in until the services have compiled the sign-in path. It crosses four services that have not run it yet:
    /// EF Core compiles each query on first use, and the JIT recompiles hot methods with full optimisation on a thread of
    /// its own, after ~30 calls and a pause. With a 3-s warm-up Challenges used 34 ms and the Notifier 28 ms of CPU per
    /// sign-in in the measured window, against about 1 ms per SMS for the Notifier in P4; after a fixed 20 s, Accounts'
    /// JIT thread still used a third of a core. So the warm-up goes on, in rounds of 5 s, until that thread's CPU in a
    /// round is under 1 % of a core (<see cref="JitMeter.Settled"/>), and says so if it never is.
    /// </summary>
    private static async Task WarmUpAsync(Report report, BenchSettings settings, FailureTally failures, int concurrency,
        Func<long, Task<bool>> signIn)
    {
        var (atLeast, atMost) = SignInWarmUp(settings);
        var warmed = TimeSpan.Zero;
        long signedIn = 0;
        double jitInAll = 0, lastRound;
        bool settled;
        do
        {
            var round = Min(WarmUpRound, atMost - warmed);
            var cpu = CpuMeter.Start();
            var result = await Load.RunAsync("warm-up", concurrency, TimeSpan.Zero, round, signIn);
            lastRound = cpu.Stop().JitSeconds;
            failures.Add(result.Failures);
            (warmed, signedIn, jitInAll) = (warmed + round, signedIn + result.Completed, jitInAll + lastRound);
            settled = JitMeter.Settled(warmed, atLeast, lastRound, round);
        }
        while (!settled && warmed < atMost);

        report.Line(string.Create(CultureInfo.InvariantCulture, $"P3 warm-up: {warmed.TotalSeconds:0} s, {signedIn} sign-ins; " +
            $"{(settled ? "the services' JIT settled" : "the JIT had not settled")} (tier-1 compilation threads: {jitInAll:0.00} CPU-s " +
            $"in all, {lastRound:0.00} in the last round)"));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>One full sign-in: true when it ended signed in. Stage times go to <paramref name="timing"/>.</summary>
    private static async Task<bool> SignInAsync(HttpClient client, string gateway, FakeTwilioServer twilio, BenchUser user,
        SignInTiming? timing)
    {
        var sms = twilio.ExpectAsync(user.Phone);
        var sent = DateTimeOffset.UtcNow;
        using var login = await client.PostAsJsonAsync($"{gateway}/api/auth/login",
            new { email = user.Email, password = Password, client = "control-centre", deviceToken = (string?)null });
        var answered = DateTimeOffset.UtcNow;
        await FailureReason.ExpectSuccessAsync(login, "login");
        var body = await login.Content.ReadAsStringAsync();
        if (!body.Contains("\"mfa_required\"", StringComparison.Ordinal)) throw new OperationFailedException("login: no mfa_required");

        var ticket = JsonDocument.Parse(body).RootElement.GetProperty("loginTicket").GetString()!;
        ReceivedSms received;
        try
        {
            received = await sms.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new OperationFailedException("no SMS at the provider within 30 s");
        }

        if (timing is not null)
        {
            timing.Sent = sent;
            timing.Answered = answered;
            timing.SmsAt = received.At;
        }

        var code = SixDigits().Match(received.Body).Value;
        using var verify = await client.PostAsJsonAsync($"{gateway}/api/auth/mfa/verify", new { loginTicket = ticket, code,
            rememberDevice = false });
        await FailureReason.ExpectSuccessAsync(verify, "verify");
        var verified = await verify.Content.ReadAsStringAsync();
        return verified.Contains("\"signed_in\"", StringComparison.Ordinal)
            ? true
            : throw new OperationFailedException("verify: not signed_in");
    }

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();

    private sealed class SignInTiming
    {
        public DateTimeOffset Sent { get; set; }
        public DateTimeOffset Answered { get; set; }
        public DateTimeOffset SmsAt { get; set; }
    }

    /// <summary>The bare hash: every core verifying the seeded hash for a fixed time.</summary>
    private static (double PerSecond, double MedianMs) HashRate(BenchSettings settings)
    {
        var hasher = new PasswordHasher<object>();
        var hash = hasher.HashPassword(new object(), Password);
        var seconds = settings.Smoke ? 1.0 : 5.0;
        var times = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        Parallel.For(0, Environment.ProcessorCount, _ =>
        {
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                var started = Stopwatch.GetTimestamp();
                if (hasher.VerifyHashedPassword(new object(), hash,
                    Password) == PasswordVerificationResult.Failed) throw new InvalidOperationException("hash mismatch");
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
        var sorted = times.Order().ToArray();
        return (sorted.Length / clock.Elapsed.TotalSeconds, sorted[sorted.Length / 2]);
    }

    /// <summary>
    /// P5. Sign-ins at a fixed rate (open loop: half P3's sign-in rate, else half the hash rate). Per sign-in: the POST
    /// leaves (t0); Challenges starts the challenge after Accounts checked the password (the
    /// SendSms's expiresAt minus the code lifetime the bench gives Challenges); Challenges publishes
    /// SendSms (MassTransit's sentTime; both read from a spy queue bound to the contract's
    /// exchange); the SMS reaches the fake provider. All clocks are this machine's.
    /// </summary>
    private static async Task SmsLatencyAsync(Report report, BenchSettings settings, Services services, Servers servers,
        FakeTwilioServer twilio,
        HttpClient client, string gateway, (double PerSecond, double MedianMs) hashRate, double rate, RssSampler rss)
    {
        var published = new ConcurrentDictionary<string, (DateTimeOffset ChallengeStarted, DateTimeOffset Published)>();
        var factory = new ConnectionFactory { Uri = new Uri(servers.RabbitMqConnectionString) };
        await using var connection = await factory.CreateConnectionAsync("bench-spy");
        await using var channel = await connection.CreateChannelAsync();
        var spy = (await channel.QueueDeclareAsync($"bench-spy-{Guid.NewGuid():N}", durable: false, exclusive: true, autoDelete: true))
            .QueueName;
        await channel.QueueBindAsync(spy, "FlexWhere.Contracts:SendSms", "");
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            var envelope = JsonDocument.Parse(delivery.Body).RootElement;
            var message = envelope.GetProperty("message");
            published[message.GetProperty("challengeId").GetString()!] =
                (message.GetProperty("expiresAt").GetDateTimeOffset() - Services.ChallengeCodeTtl, envelope.GetProperty("sentTime")
                    .GetDateTimeOffset());
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(spy, autoAck: true, consumer);

        var duration = SmsLatencyDuration(settings);
        var timings = new ConcurrentDictionary<Guid, SignInTiming>();
        var failures = report.Failures("P5");
        rss.Phase = "P5 steady sign-ins";
        var (sent, elapsed) = await Load.RunAtRateAsync(rate, duration, async _ =>
        {
            var user = NextUser();
            var timing = new SignInTiming();
            try
            {
                await SignInAsync(client, gateway, twilio, user, timing);
                timings[user.Id] = timing;
            }
            catch (Exception exception) when (exception
                is OperationFailedException or TimeoutException or HttpRequestException or TaskCanceledException or IOException)
            {
                failures.Add(FailureReason.Of(exception));
            }
        });
        if (failures.Count > 0) report.Line($"P5 sign-ins failed: {failures.Count:N0} ({failures.Summary()})");
        rss.Phase = "idle";
        await Task.Delay(500);

        // The challenge of each user's sign-in, from Accounts' login tickets.
        var tickets = new Dictionary<Guid, string>();
        await using (var db = new NpgsqlConnection(servers.PostgresConnectionString))
        {
            await db.OpenAsync();
            await using var query = new NpgsqlCommand(
                """SELECT "UserId", "ChallengeId" FROM login_tickets WHERE "ChallengeId" IS NOT NULL""", db);
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tickets[reader.GetGuid(0)] = reader.GetString(1);
            }
        }

        var total = new List<long>();
        var password = new List<long>();
        var challenge = new List<long>();
        var queueAndSend = new List<long>();
        var answer = new List<long>();
        foreach (var (userId, timing) in timings)
        {
            if (!tickets.TryGetValue(userId, out var challengeId) || !published.TryGetValue(challengeId, out var at)) continue;
            static long Micros(TimeSpan span) => (long)Math.Max(0, span.TotalMicroseconds);
            total.Add(Micros(timing.SmsAt - timing.Sent));
            password.Add(Micros(at.ChallengeStarted - timing.Sent));
            challenge.Add(Micros(at.Published - at.ChallengeStarted));
            queueAndSend.Add(Micros(timing.SmsAt - at.Published));
            answer.Add(Micros(timing.Answered - timing.Sent));
        }

        var stages = new (string Name, List<long> Samples)[]
        {
            ("sign-in POST → SMS at the provider (total)", total),
            ("  password check (Gateway → Accounts → user lookup, PBKDF2) until Challenges starts the challenge", password),
            ("  challenge (in Challenges: send limits, Redis, until SendSms is published)", challenge),
            ("  queue and send (RabbitMQ → Notifier → Redis claim → Twilio SDK → provider)", queueAndSend),
            ("  (the login answer at the client, for comparison)", answer),
        };
        foreach (var (name, samples) in stages)
        {
            var latencies = new Latencies(samples);
            report.Row("P5 SMS latency", name, $"{sent / elapsed.TotalSeconds:N1} sign-ins/s offered",
                Report.Ms(latencies.PercentileMs(50)), Report.Ms(latencies.PercentileMs(99)),
                $"{(failures.Count > 0 ? "**FAILED**: " : "")}{latencies.Count} of {sent} sign-ins matched, {failures.Count} failed; " +
                    $"load {Report.LoadAverage()}");
            report.Line($"P5 {name.Trim()}: p50 {Report.Ms(latencies.PercentileMs(50))}, p99 {Report.Ms(latencies.PercentileMs(99))}, " +
                $"max {Report.Ms(latencies.MaxMs)}, n {latencies.Count}");
        }

        var totalLatency = new Latencies(total);
        var beyondHash = totalLatency.PercentileMs(99) - hashRate.MedianMs;
        report.Ratio("P5 p99 beyond the hash / 30 ms", beyondHash / 30, "≤ 1.0", beyondHash <= 30,
            $"p99 {totalLatency.PercentileMs(99):N1} ms − one hash {hashRate.MedianMs:N1} ms = {beyondHash:N1} ms");
    }
}

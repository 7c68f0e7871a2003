using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using FlexWhere.Testing;
using Npgsql;

namespace FlexWhere.Reliability.Tests.Stack;

/// <summary>R2 (brute force, with two replicas of every service) and R4 (outages during sign-in).</summary>
public sealed partial class StackTests
{
    private const int AttemptsPerChallenge = 5;
    private const int MaxFailedPasswords = 10;

    [Fact]
    public async Task R2_random_guesses_never_pass_a_challenge_and_it_dies_after_five_even_for_the_right_code()
    {
        var challenges = SuiteSize.Full ? 50 : 8;
        var users = await CreateUsersAsync("r2-guess", challenges, role: "Admin", firstPhone: 610);
        var guesses = 0;
        var failures = new List<string>();
        var mostJudged = 0L;
        foreach (var email in users)
        {
            using var http = stack.NewClient();
            var sentBefore = stack.Sms.Sent.Count;
            var ticket = await LoginForTicketAsync(http, email);
            var code = await stack.CodeFromBrokerAsync(email, sentBefore);
            for (var attempt = 1; attempt <= AttemptsPerChallenge; attempt++)
            {
                string guess;
                do guess = Random.Shared.Next(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
                while (guess == code);
                guesses++;
                using var response = await http.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code = guess });
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                var expected = attempt < AttemptsPerChallenge ? HttpStatusCode.BadRequest : HttpStatusCode.TooManyRequests;
                if (body["accessToken"] is not null) failures.Add($"{email}: a wrong code signed in");
                if (response.StatusCode != expected
                    && !(attempt == AttemptsPerChallenge && response.StatusCode == HttpStatusCode.BadRequest))
                {
                    failures.Add($"{email} guess {attempt}: {(int)response.StatusCode} {body.ToJsonString()}");
                }
            }

            // The challenge is used up: the right code no longer helps.
            using var last = await http.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code });
            var lastBody = await last.Content.ReadAsStringAsync();
            if (last.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.Gone)
                || lastBody.Contains("accessToken", StringComparison.Ordinal))
            {
                failures.Add($"{email}: the right code after {AttemptsPerChallenge} wrong ones answered {(int)last.StatusCode} {lastBody}");
            }

            // The answers could all be right while the server compared more codes than it admits to.
            var judged = await AuditCountAsync(email, "mfa_code_failed");
            mostJudged = Math.Max(mostJudged, judged);
            if (judged > AttemptsPerChallenge) failures.Add($"{email}: the server judged {judged} wrong codes on one challenge (the " +
                $"limit is {AttemptsPerChallenge})");
        }

        RunFigures.Write("r2-challenge-guessing", new Dictionary<string, object>
        {
            ["challenges"] = challenges,
            ["randomGuesses"] = guesses,
            ["successfulGuesses"] = failures.Count(failure => failure.Contains("signed in", StringComparison.Ordinal)),
            ["rightCodeAcceptedAfterFiveWrong"] = failures.Count(failure => failure.Contains("the right code", StringComparison.Ordinal)),
            ["mostWrongCodesJudgedOnOneChallenge"] = mostJudged,
            ["failures"] = failures.Count,
        });
        output.WriteLine($"R2 guessing: {challenges} challenges, {guesses} random guesses, at most {mostJudged} judged on one challenge, " +
            $"{failures.Count} failures");
        foreach (var failure in failures.Take(20)) output.WriteLine(failure);
        // 5 guesses of 10^6 codes per challenge: even the full run's 250 guesses pass with p = 0.00025.
        Assert.Empty(failures);
    }

    [Fact]
    public async Task R2_password_guessing_in_parallel_across_replicas_locks_the_account_within_ten_tries()
    {
        var email = (await CreateUsersAsync("r2-lock", 1, role: "Admin", firstPhone: 670)).Single();
        using var http = stack.NewClient();
        var answers = new System.Collections.Concurrent.ConcurrentBag<(HttpStatusCode Status, string Code)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 40), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, cancellationToken) =>
        {
            using var response = await http.PostAsJsonAsync("/api/auth/login",
                new { email, password = $"guess-{i}-{Guid.NewGuid():N}", client = "control-centre" }, cancellationToken);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            answers.Add((response.StatusCode, (string?)body?["code"] ?? ""));
        });
        using var right = await http.PostAsJsonAsync("/api/auth/login", new { email, password = ReliabilityStack.Password,
            client = "control-centre" });
        var rightBody = JsonNode.Parse(await right.Content.ReadAsStringAsync())!;

        var wrongAnswered = answers.Count(answer => answer.Code == "invalid_credentials");
        var locked = answers.Count(answer => answer.Code == "account_locked");
        // A guess answered account_locked may still have been checked against the hash and counted:
        // the audit log says how many the server judged. The burst lasts seconds, inside one lock window.
        var judged = await AuditCountAsync(email, "sign_in_failed");
        var locks = await AuditCountAsync(email, "account_locked");
        RunFigures.Write("r2-password-lockout", new Dictionary<string, object>
        {
            ["parallelGuesses"] = answers.Count,
            ["answeredInvalidCredentials"] = wrongAnswered,
            ["answeredAccountLocked"] = locked,
            ["judgedSignInFailed"] = judged,
            ["auditedAccountLocked"] = locks,
            ["rightPasswordAfterLock"] = $"{(int)right.StatusCode} {(string?)rightBody["code"]}",
        });
        output.WriteLine($"R2 lockout: {wrongAnswered} invalid_credentials, {locked} account_locked; audit log: {judged} sign_in_failed, " +
            $"{locks} account_locked; then the right password: {(int)right.StatusCode} {rightBody.ToJsonString()}");
        Assert.All(answers, answer => Assert.True(answer.Code is "invalid_credentials" or "account_locked",
            $"{(int)answer.Status} {answer.Code}"));
        Assert.True(wrongAnswered < MaxFailedPasswords,
            $"{wrongAnswered} guesses were judged before the lock (the limit is {MaxFailedPasswords}).");
        Assert.True(judged <= MaxFailedPasswords,
            $"The server judged {judged} of {answers.Count} parallel wrong passwords in one lock window (sign_in_failed in the audit " +
                $"log; the limit is {MaxFailedPasswords}).");
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Equal("account_locked", (string?)rightBody["code"]);
        Assert.Null(rightBody["loginTicket"]);
        Assert.True(right.Headers.RetryAfter is not null, "account_locked without Retry-After");
    }

    private const int PinAttempts = 5;

    [Fact]
    public async Task R2_pin_guessing_in_parallel_across_replicas_revokes_the_session_at_five_wrong_pins()
    {
        var (email, organisation) = await CreatePinEmployeeAsync();
        using var http = stack.NewClient();
        using var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password = ReliabilityStack.Password,
            client = "mobile" });
        var signedIn = JsonNode.Parse(await login.Content.ReadAsStringAsync())!;
        Assert.True(login.StatusCode == HttpStatusCode.OK && (bool?)signedIn["pinSetupRequired"] == true, signedIn.ToJsonString());
        var accessToken = (string)signedIn["accessToken"]!;
        var refreshToken = (string)signedIn["refreshToken"]!;
        stack.Secrets.Add(accessToken);
        stack.Secrets.Add(refreshToken);
        const string pin = "705318";
        stack.Secrets.Add(pin);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        using (var set = await http.PutAsJsonAsync("/api/me/pin", new { pin }))
        {
            Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        }

        // 30 wrong PINs at once, spread over both Accounts replicas by the Gateway: the count lives in
        // the database, so no replica can let a sixth guess be judged.
        var answers = new System.Collections.Concurrent.ConcurrentBag<(HttpStatusCode Status, string Code)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 30), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, cancellationToken) =>
        {
            var guess = (100_000 + i * 7_919).ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var response = await http.PostAsJsonAsync("/api/me/pin/verify", new { pin = guess }, cancellationToken);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            answers.Add((response.StatusCode, (string?)body?["code"] ?? $"{(int)response.StatusCode} without a code"));
        });

        // After the lock the right PIN no longer helps, and the session's refresh token is dead.
        using var right = await http.PostAsJsonAsync("/api/me/pin/verify", new { pin });
        var rightBody = JsonNode.Parse(await right.Content.ReadAsStringAsync())!;
        http.DefaultRequestHeaders.Authorization = null;
        using var refresh = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken });
        var refreshBody = JsonNode.Parse(await refresh.Content.ReadAsStringAsync())!;

        var judgedWrong = answers.Count(answer => answer.Code == "invalid_pin");
        var revoked = answers.Count(answer => answer.Code == "session_revoked");
        // pin_failed is written for every guess compared with the hash and counted, whatever it was answered.
        var judged = await AuditCountAsync(email, "pin_failed");
        RunFigures.Write("r2-pin-guessing", new Dictionary<string, object>
        {
            ["parallelGuesses"] = answers.Count,
            ["answeredInvalidPin"] = judgedWrong,
            ["answeredSessionRevoked"] = revoked,
            ["judgedPinFailed"] = judged,
            ["rightPinAfterLock"] = $"{(int)right.StatusCode} {(string?)rightBody["code"]}",
            ["refreshAfterLock"] = $"{(int)refresh.StatusCode} {(string?)refreshBody["code"]}",
        });
        output.WriteLine($"R2 PIN: {judgedWrong} invalid_pin, {revoked} session_revoked, {judged} pin_failed in the audit log, then the " +
            $"right PIN: {(int)right.StatusCode} {rightBody.ToJsonString()}; refresh: {(int)refresh.StatusCode} " +
            $"{refreshBody.ToJsonString()}");
        Assert.All(answers, answer => Assert.True(answer.Code is "invalid_pin" or "session_revoked",
            $"{(int)answer.Status} {answer.Code}"));
        Assert.True(judgedWrong < PinAttempts,
            $"{judgedWrong} wrong PINs were answered invalid_pin (the session must end at the {PinAttempts}th).");
        Assert.True(revoked >= 1, "No guess ended the session.");
        Assert.True(judged <= PinAttempts,
            $"The server judged {judged} of {answers.Count} parallel wrong PINs (pin_failed in the audit log; the session must end at " +
            $"the {PinAttempts}th).");
        Assert.Equal(HttpStatusCode.Unauthorized, right.StatusCode);
        Assert.Equal("session_revoked", (string?)rightBody["code"]);
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        Assert.Null(refreshBody["accessToken"]);
        await using var connection = new NpgsqlConnection(stack.AccountsDatabase);
        await connection.OpenAsync();
        await using var audit = new NpgsqlCommand(
            """SELECT count(*) FROM audit_log WHERE "OrganisationId" = @organisation AND "Event" = 'pin_locked'""", connection);
        audit.Parameters.AddWithValue("organisation", organisation);
        Assert.Equal(1L, (long)(await audit.ExecuteScalarAsync())!);
    }

    /// <summary>How many <paramref name="auditEvent"/> entries Accounts wrote about the user: what the server judged, not what it
    /// answered.</summary>
    private async Task<long> AuditCountAsync(string email, string auditEvent)
    {
        await using var connection = new NpgsqlConnection(stack.AccountsDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT count(*) FROM audit_log a JOIN users u ON u."Id" = a."SubjectUserId"
            WHERE u."NormalizedEmail" = upper(@email) AND a."Event" = @event
            """, connection);
        command.Parameters.AddWithValue("email", email);
        command.Parameters.AddWithValue("event", auditEvent);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>An employee of an organisation of their own (a copy of Demo) that requires a six-digit PIN in the app.</summary>
    private async Task<(string Email, Guid Organisation)> CreatePinEmployeeAsync()
    {
        await using var connection = new NpgsqlConnection(stack.AccountsDatabase);
        await connection.OpenAsync();
        var email = $"r2-pin-{Guid.NewGuid():N}@pin.flexwhere.test";
        const string sql = """
            CREATE TEMP TABLE pin_org AS SELECT * FROM organisations WHERE "Name" = 'Demo';
            UPDATE pin_org SET "Id" = gen_random_uuid(), "Name" = 'PIN ' || @email, "MobilePinRequired" = true,
                "MobileTotpRequired" = false, "PinLength" = 6;
            CREATE TEMP TABLE pin_user AS SELECT * FROM users WHERE "Email" = 'admin@demo.flexwhere.test';
            UPDATE pin_user SET "Id" = gen_random_uuid(), "OrganisationId" = (SELECT "Id" FROM pin_org), "Email" = @email,
                "NormalizedEmail" = upper(@email), "Role" = 'Employee', "PhoneNumber" = '+46701740699', "SecondFactorFailures" = 0,
                "SecondFactorLockedUntil" = NULL;
            INSERT INTO organisations SELECT * FROM pin_org;
            INSERT INTO users SELECT * FROM pin_user;
            SELECT "Id" FROM pin_org;
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("email", email);
        var organisation = (Guid)(await command.ExecuteScalarAsync())!;
        return (email, organisation);
    }

    [Fact]
    public async Task R2_the_gateways_per_ip_limit_holds_across_two_gateway_replicas()
    {
        // Start early in a minute, so the whole burst falls into one fixed window however it is aligned.
        if (DateTime.UtcNow.Second > 40) await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second));
        using var http = stack.NewClient(ReliabilityStack.RandomClientIp());
        var limit = ReliabilityStack.AnonymousPerIpPerMinute;
        var answers = new System.Collections.Concurrent.ConcurrentQueue<(int Index, HttpStatusCode Status)>();
        var burst = limit * 2 + 100;
        await Parallel.ForEachAsync(Enumerable.Range(0, burst), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, cancellationToken) =>
        {
            using var response = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = "not-a-refresh-token" },
                cancellationToken);
            answers.Enqueue((i, response.StatusCode));
        });

        var passed = answers.Count(answer => answer.Status != HttpStatusCode.TooManyRequests);
        RunFigures.Write("r2-rate-limit-replicas",
            new Dictionary<string, object> { ["burst"] = burst, ["limitPerMinute"] = limit, ["passed"] = passed, ["gatewayReplicas"] = 2 });
        output.WriteLine($"R2 rate limit: {burst} requests from one client through 2 Gateway replicas, {passed} passed (limit " +
            $"{limit}/min)");
        // Limits kept in each replica's memory would let about twice the limit through.
        Assert.True(passed <= limit, $"{passed} of {burst} requests passed a limit of {limit} a minute.");
        Assert.True(passed >= limit * 0.9, $"Only {passed} requests passed: the limiter refused more than its limit.");
    }

    [Fact]
    public async Task R4_with_redis_rabbitmq_or_postgresql_down_sign_in_fails_closed_and_recovers_by_itself()
    {
        var admin = (await CreateUsersAsync("r4-admin", 1, role: "Admin", firstPhone: 675)).Single();
        var figures = new Dictionary<string, object>();
        var failures = new List<string>();
        foreach (var server in new[] { "redis", "rabbitmq", "postgres" })
        {
            using var http = stack.NewClient();
            // A ticket and its code from before the outage: the code must not be redeemable while Redis is gone either.
            var sentBefore = stack.Sms.Sent.Count;
            var ticket = await LoginForTicketAsync(http, admin);
            var code = await stack.CodeFromBrokerAsync(admin, sentBefore);

            await stack.App.ResourceCommands.ExecuteCommandAsync(server, KnownResourceCommands.StopCommand);
            var downAt = DateTime.UtcNow;
            string loginBody, verifyBody;
            HttpStatusCode loginStatus, verifyStatus, healthWhileDown, gatewayReadyWhileDown;
            TimeSpan loginTook;
            try
            {
                using (var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                {
                    await stack.App.ResourceNotifications.WaitForResourceAsync(server,
                        [KnownResourceStates.Exited, KnownResourceStates.Finished, KnownResourceStates.FailedToStart], stopped.Token);
                }

                // The Gateway reports the service behind it as not ready within 30 s, and stays ready itself (its own load
                // balancer keeps it: every other route still works).
                healthWhileDown = await GatewayHealthWithinAsync(http, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30),
                    "/health/downstream");
                using (var own = await http.GetAsync("/health")) gatewayReadyWhileDown = own.StatusCode;
                // The login below is timed against Challenges' knowing its broker is gone: wait until Challenges says so itself
                // (the downstream report may have turned 503 on another service's check first).
                if (server == "rabbitmq") await DownstreamUnhealthyWithinAsync(http, "challenges", TimeSpan.FromSeconds(30));

                var loginClock = System.Diagnostics.Stopwatch.StartNew();
                using var login = await http.PostAsJsonAsync("/api/auth/login", new { email = admin, password = ReliabilityStack.Password,
                    client = "control-centre" });
                (loginStatus, loginBody) = (login.StatusCode, await login.Content.ReadAsStringAsync());
                loginTook = loginClock.Elapsed;
                using var verify = await http.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code });
                (verifyStatus, verifyBody) = (verify.StatusCode, await verify.Content.ReadAsStringAsync());
            }
            finally
            {
                // Whatever happened, the server comes back: the later runs need it.
                await stack.App.ResourceCommands.ExecuteCommandAsync(server, KnownResourceCommands.StartCommand);
                // The suite's own pooled connections died with the server (the services' retry by themselves); the tests after
                // this one use the pool too, whether or not this one passes (R5 once met 57P01 on a connection from before).
                if (server == "postgres") Npgsql.NpgsqlConnection.ClearAllPools();
            }

            output.WriteLine($"{server} down: health {(int)healthWhileDown}; login {(int)loginStatus} in {loginTook.TotalSeconds:0.0} s " +
                $"{loginBody}; verify " +
                $"{(int)verifyStatus} {verifyBody}");
            if (healthWhileDown != HttpStatusCode.ServiceUnavailable) failures.Add($"{server} down: the Gateway's /health/downstream " +
                $"answered {(int)healthWhileDown}");
            // Redis is the Gateway's own dependency (its rate limits fail closed without it): then it is not ready itself. A server
            // only the services behind it use must not take it out of its load balancer.
            var gatewayShouldBeReady = server != "redis";
            if ((gatewayReadyWhileDown == HttpStatusCode.OK) != gatewayShouldBeReady)
            {
                failures.Add($"{server} down: the Gateway's own /health answered {(int)gatewayReadyWhileDown}, " +
                    (gatewayShouldBeReady ? "out of its load balancer for another service's outage" : "ready without its rate-limit store"));
            }
            if (loginStatus != HttpStatusCode.ServiceUnavailable) failures.Add($"{server} down: login answered {(int)loginStatus} " +
                $"{loginBody}");
            // With the broker gone Challenges refuses the code at once, or (when the login came before its next try to connect
            // failed) as soon as that try fails, instead of waiting out the 30 s the stack gives a publish (AppHostFixture): the
            // sign-in is answered while the person still waits.
            if (server == "rabbitmq" && loginTook > TimeSpan.FromSeconds(15))
            {
                failures.Add($"{server} down: login answered after {loginTook.TotalSeconds:0.0} s");
            }
            if (loginBody.Contains("accessToken", StringComparison.Ordinal) || loginBody.Contains("mfa_required", StringComparison.Ordinal))
            {
                failures.Add($"{server} down: login claimed a code was sent or signed in: {loginBody}");
            }

            // With Redis down the code cannot be checked; with the others down Accounts may still redeem it (a real second factor).
            if (server == "redis" && verifyBody.Contains("accessToken", StringComparison.Ordinal))
            {
                failures.Add($"{server} down: a code was redeemed without the challenge store: {verifyBody}");
            }

            using (var healthy = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
            {
                try
                {
                    // Running first: until the start command's process runs, the resource's last state is the stop's Exited,
                    // and a health wait begun then gives up at once ("failed to start": a clean-clone run on 2026-12-02, for
                    // PostgreSQL).
                    await stack.App.ResourceNotifications.WaitForResourceAsync(server, KnownResourceStates.Running, healthy.Token);
                    await stack.App.ResourceNotifications.WaitForResourceHealthyAsync(server, healthy.Token);
                }
                catch (Exception)
                {
                    // What the server itself said about its start.
                    foreach (var line in stack.Logs.Where(line => line.StartsWith($"{server}: ", StringComparison.Ordinal)).TakeLast(60))
                    {
                        output.WriteLine(line);
                    }

                    throw;
                }
            }

            await WaitForGatewayHealthAsync(http, HttpStatusCode.OK, TimeSpan.FromSeconds(120), "/health/downstream");
            var recoveredAfter = DateTime.UtcNow - downAt;

            // Recovered by itself: a whole sign-in works again without restarting any service.
            var signedIn = await SignInWithRetriesAsync(admin, TimeSpan.FromSeconds(60));
            if (signedIn is null) failures.Add($"{server}: sign-in did not recover within 60 s of health returning");
            figures[$"{server}GatewayDownstreamHealthWhileDown"] = (int)healthWhileDown;
            figures[$"{server}GatewayReadyWhileDown"] = (int)gatewayReadyWhileDown;
            figures[$"{server}LoginWhileDown"] = $"{(int)loginStatus} {CodeOf(loginBody)}";
            figures[$"{server}LoginSecondsWhileDown"] = Math.Round(loginTook.TotalSeconds, 1);
            figures[$"{server}VerifyWhileDown"] = $"{(int)verifyStatus} {CodeOf(verifyBody)}";
            figures[$"{server}SecondsFromStopToHealthy"] = Math.Round(recoveredAfter.TotalSeconds, 1);
        }

        figures["failures"] = failures.Count;
        RunFigures.Write("r4-outages", figures);
        foreach (var failure in failures) output.WriteLine(failure);
        Assert.Empty(failures);
    }

    private async Task<SignedInUser?> SignInWithRetriesAsync(string email, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                return await stack.SignInAsync(email);
            }
            catch (Exception failure) when (failure is InvalidOperationException or TimeoutException && DateTime.UtcNow < deadline)
            {
                output.WriteLine($"not yet: {failure.Message}");
                await Task.Delay(2000);
            }
            catch (Exception) when (DateTime.UtcNow >= deadline)
            {
                return null;
            }
        }
    }

    private static string CodeOf(string body)
    {
        try
        {
            return (string?)JsonNode.Parse(body)?["code"] ?? "";
        }
        catch (System.Text.Json.JsonException)
        {
            return "(not JSON)";
        }
    }

    private static async Task WaitForGatewayHealthAsync(HttpClient http, HttpStatusCode expected, TimeSpan timeout, string path)
    {
        var last = await GatewayHealthWithinAsync(http, expected, timeout, path);
        if (last != expected) throw new TimeoutException($"The Gateway's {path} stayed {(int)last} instead of {(int)expected} for " +
            $"{timeout.TotalSeconds:0} s.");
    }

    /// <summary>Polls the Gateway's downstream report until <paramref name="service"/>'s check there is not healthy (at most
    /// <paramref name="timeout"/>).</summary>
    private static async Task DownstreamUnhealthyWithinAsync(HttpClient http, string service, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await http.GetAsync("/health/downstream");
            var report = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            if ((string?)report?["checks"]?[$"downstream-{service}"]?["status"] is { } status && status != "Healthy") return;
            await Task.Delay(200);
        }
    }

    /// <summary>Polls the Gateway's <paramref name="path"/> until it answers <paramref name="expected"/>; the last answer otherwise.</summary>
    private static async Task<HttpStatusCode> GatewayHealthWithinAsync(HttpClient http, HttpStatusCode expected, TimeSpan timeout,
        string path)
    {
        var deadline = DateTime.UtcNow + timeout;
        HttpStatusCode last = 0;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync(path);
                last = response.StatusCode;
                if (last == expected) return last;
            }
            catch (HttpRequestException)
            {
                // The proxy in front of the Gateway replicas may refuse while they restart their connections.
            }

            await Task.Delay(500);
        }

        return last;
    }

    /// <summary>The login ticket of a password sign-in. A 503 (the code service did not answer in time, which
    /// the busiest minutes of ./test.sh can cause) is tried again twice, 5 s apart, as a person would.</summary>
    private static async Task<string> LoginForTicketAsync(HttpClient http, string email)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password = ReliabilityStack.Password,
                client = "control-centre" });
            var body = JsonNode.Parse(await login.Content.ReadAsStringAsync())!;
            if (login.StatusCode == HttpStatusCode.OK && (string?)body["status"] == "mfa_required") return (string)body["loginTicket"]!;
            if (login.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == 3)
            {
                throw new InvalidOperationException($"Login of {email} answered {(int)login.StatusCode} {body.ToJsonString()}");
            }

            await Task.Delay(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>Users copied from the Demo admin (same password), each with a number of its own in the fictional range.</summary>
    private async Task<List<string>> CreateUsersAsync(string prefix, int count, string role, int firstPhone)
    {
        await using var connection = new NpgsqlConnection(stack.AccountsDatabase);
        await connection.OpenAsync();
        var emails = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var email = $"{prefix}-{i}@demo.flexwhere.test";
            var sql = $"""
                CREATE TEMP TABLE IF NOT EXISTS copy_user AS SELECT * FROM users WHERE false;
                TRUNCATE copy_user;
                INSERT INTO copy_user SELECT * FROM users WHERE "Email" = 'admin@demo.flexwhere.test';
                UPDATE copy_user SET "Id" = gen_random_uuid(), "Email" = @email, "NormalizedEmail" = upper(@email), "Role" = @role,
                    "PhoneNumber" = @phone, "SecondFactorFailures" = 0, "SecondFactorLockedUntil" = NULL;
                INSERT INTO users SELECT * FROM copy_user ON CONFLICT DO NOTHING;
                """;
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("email", email);
            command.Parameters.AddWithValue("role", role);
            command.Parameters.AddWithValue("phone", $"+46701740{firstPhone + i}");
            await command.ExecuteNonQueryAsync();
            emails.Add(email);
        }

        return emails;
    }
}

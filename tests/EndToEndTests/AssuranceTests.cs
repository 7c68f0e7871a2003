using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.Testing;

namespace FlexWhere.EndToEndTests;

/// <summary>The findings of the "Authentication assurance" review, tried again through the Gateway of the
/// whole stack as an attacker would. Each test fails when the control it names is removed (docs/security.md).
/// Users are made for each test, so locks and ended sessions never touch the seed users other tests use.</summary>
[Collection(AppHostCollection.Name)]
public class AssuranceTests(AppHostFixture stack)
{
    private const string Password = "FlexWhere-Demo-2026!";
    // The seed's password has the product's name in it: the password policy refuses that for new users.
    private const string UserPassword = "harbour-lantern-meadow-42";
    private const string AdminEmail = "admin@demo.flexwhere.test";
    private const string AdminPhone = "+46701740678";

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token;

    private Task<HttpResponseMessage> LoginAsync(string email, string client, string? password = null, string? deviceToken = null,
        CancellationToken cancellationToken = default) =>
        stack.Gateway.PostAsJsonAsync("/api/auth/login",
            new { email, password = password ?? (email.StartsWith("e2e-", StringComparison.Ordinal) ? UserPassword : Password), client,
                deviceToken }, cancellationToken);

    /// <summary>Sends a request that texts a code; while Challenges says this number had one moments ago
    /// (other tests use the same seed numbers), waits as long as it asks and sends again.</summary>
    private static async Task<HttpResponseMessage> TextingAsync(Func<Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        while (true)
        {
            var response = await send();
            if (response.StatusCode != HttpStatusCode.TooManyRequests || response.Headers.RetryAfter?.Delta is not { } wait
                || wait > TimeSpan.FromSeconds(65)) return response;
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            if (!problem.TryGetProperty("limit", out var limit) || limit.GetString() != "destination") return response;
            response.Dispose();
            await Task.Delay(wait, cancellationToken);
        }
    }

    private async Task<JsonElement> SignInWithSmsAsync(string email, string phone, CancellationToken cancellationToken,
        bool remember = false, string client = "control-centre")
    {
        var seen = await DevInbox.CountToAsync(stack.Gateway, phone, cancellationToken);
        var login = await ReadAsync(await TextingAsync(() => LoginAsync(email, client, cancellationToken: cancellationToken),
            cancellationToken), cancellationToken);
        Assert.Equal("mfa_required", login.GetProperty("status").GetString());
        var code = await DevInbox.NextCodeAsync(stack.Gateway, phone, seen, cancellationToken);
        using var verified = await stack.Gateway.PostAsJsonAsync("/api/auth/mfa/verify",
            new { loginTicket = login.GetProperty("loginTicket").GetString(), code, rememberDevice = remember }, cancellationToken);
        return await ReadAsync(verified, cancellationToken);
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken,
        HttpStatusCode status = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private static HttpRequestMessage With(string accessToken, HttpMethod method, string path, object? body = null) => new(method, path)
    {
        Headers = { Authorization = new AuthenticationHeaderValue("Bearer", accessToken) },
        Content = body is null ? null : JsonContent.Create(body),
    };

    private static string Token(JsonElement signedIn) => signedIn.GetProperty("accessToken").GetString()!;

    private static readonly SemaphoreSlim AdminGate = new(1, 1);
    private static string? _admin;

    /// <summary>One SMS sign-in of the seed admin for the whole class: Challenges sends a number one code
    /// at a time, and the admin here only creates users and reads the audit log.</summary>
    private async Task<string> AdminAsync(CancellationToken cancellationToken)
    {
        await AdminGate.WaitAsync(cancellationToken);
        try
        {
            return _admin ??= Token(await SignInWithSmsAsync(AdminEmail, AdminPhone, cancellationToken));
        }
        finally
        {
            AdminGate.Release();
        }
    }

    /// <summary>A new manager of the demo organisation with a number of its own, made by the seed admin.</summary>
    private Task<(string Email, string Phone, string Id)> NewManagerAsync(string admin, CancellationToken cancellationToken) =>
        NewUserAsync(admin, "Manager", cancellationToken);

    private async Task<(string Email, string Phone, string Id)> NewUserAsync(string admin, string role, CancellationToken cancellationToken)
    {
        var email = $"e2e-{Guid.NewGuid():N}@demo.flexwhere.test";
        var phone = NewNumber();
        using var created = await stack.Gateway.SendAsync(With(admin, HttpMethod.Post, "/api/users",
            new { email, displayName = $"E2E {role}", role, phone, password = UserPassword }), cancellationToken);
        return (email, phone, (await ReadAsync(created, cancellationToken, HttpStatusCode.Created)).GetProperty("id").GetString()!);
    }

    private static string NewNumber() => $"+4670{Random.Shared.Next(1_000_000, 9_999_999)}";

    /// <summary>A new admin signed in with an SMS code just now, so sensitive changes need no step-up for five minutes.</summary>
    private async Task<string> FreshAdminAsync(CancellationToken cancellationToken)
    {
        var (email, phone, _) = await NewUserAsync(await AdminAsync(cancellationToken), "Admin", cancellationToken);
        return Token(await SignInWithSmsAsync(email, phone, cancellationToken));
    }

    /// <summary>Changes the demo organisation's mobile settings for one test and always puts them back.</summary>
    private async Task WithDemoSettingsAsync(string admin, object changes, object restore, Func<Task> test,
        CancellationToken cancellationToken)
    {
        using (var changed = await stack.Gateway.SendAsync(With(admin, HttpMethod.Put, "/api/organisation/settings", changes),
            cancellationToken))
        {
            await ReadAsync(changed, cancellationToken);
        }

        try
        {
            await test();
        }
        finally
        {
            using var restored = await stack.Gateway.SendAsync(With(admin, HttpMethod.Put, "/api/organisation/settings", restore),
                CancellationToken.None);
            Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        }
    }

    private async Task<int> AuditCountAsync(string admin, string @event, string userId, CancellationToken cancellationToken)
    {
        using var page = await stack.Gateway.SendAsync(With(admin, HttpMethod.Get,
            $"/api/audit?event={@event}&userId={userId}&pageSize=100"), cancellationToken);
        return (await ReadAsync(page, cancellationToken)).GetProperty("items").GetArrayLength();
    }

    [Fact]
    public async Task Finding_1_the_mobile_client_gives_an_admin_no_tokens_without_a_second_factor_and_tokens_say_how_they_were_earned()
    {
        var cancellationToken = Timeout();

        var seen = await DevInbox.CountToAsync(stack.Gateway, AdminPhone, cancellationToken);
        var mobile = await ReadAsync(await TextingAsync(() => LoginAsync(AdminEmail, "mobile", cancellationToken: cancellationToken),
            cancellationToken), cancellationToken);
        Assert.Equal("mfa_required", mobile.GetProperty("status").GetString());
        Assert.Equal("sms", mobile.GetProperty("method").GetString());
        Assert.False(mobile.TryGetProperty("accessToken", out _));

        var code = await DevInbox.NextCodeAsync(stack.Gateway, AdminPhone, seen, cancellationToken);
        using var verified = await stack.Gateway.PostAsJsonAsync("/api/auth/mfa/verify",
            new { loginTicket = mobile.GetProperty("loginTicket").GetString(), code }, cancellationToken);
        var signedIn = await ReadAsync(verified, cancellationToken);
        var payload = Token(signedIn).Split('.')[1].Replace('-', '+').Replace('_', '/');
        var claims = JsonDocument.Parse(Convert.FromBase64String(payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=')))
            .RootElement;
        Assert.Equal(["pwd", "sms"], claims.GetProperty("amr").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("aal2", claims.GetProperty("acr").GetString());
        Assert.Equal("mobile", claims.GetProperty("client").GetString());
        Assert.True(claims.GetProperty("auth_time").GetInt64() > 0);
    }

    [Fact]
    public async Task Finding_2_revoking_a_trusted_device_ends_the_session_it_opened_at_once()
    {
        var cancellationToken = Timeout();
        var admin = await AdminAsync(cancellationToken);
        var (email, phone, _) = await NewManagerAsync(admin, cancellationToken);
        var first = await SignInWithSmsAsync(email, phone, cancellationToken, remember: true);
        var onDevice = await ReadAsync(await LoginAsync(email, "control-centre", deviceToken: first.GetProperty("deviceToken").GetString(),
            cancellationToken: cancellationToken),
            cancellationToken);
        Assert.Equal("signed_in", onDevice.GetProperty("status").GetString());
        using var devices = await stack.Gateway.SendAsync(With(Token(onDevice), HttpMethod.Get, "/api/me/devices"), cancellationToken);
        var deviceId = (await ReadAsync(devices, cancellationToken))[0].GetProperty("id").GetString();

        using var revoked = await stack.Gateway.SendAsync(With(Token(first), HttpMethod.Delete, $"/api/me/devices/{deviceId}"),
            cancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        using var me = await stack.Gateway.SendAsync(With(Token(onDevice), HttpMethod.Get, "/api/me"), cancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        using var refresh = await stack.Gateway.PostAsJsonAsync("/api/auth/refresh",
            new { refreshToken = onDevice.GetProperty("refreshToken").GetString() }, cancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
    }

    [Fact]
    public async Task Finding_5_a_burst_of_parallel_wrong_passwords_has_at_most_ten_judged()
    {
        var cancellationToken = Timeout();
        var admin = await AdminAsync(cancellationToken);
        var (email, _, id) = await NewManagerAsync(admin, cancellationToken);

        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
        {
            using var response = await LoginAsync(email, "control-centre", $"wrong password {i}", cancellationToken: cancellationToken);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            return (response.StatusCode, Code: body.TryGetProperty("code", out var code) ? code.GetString() : null);
        }));
        using var right = await LoginAsync(email, "control-centre", cancellationToken: cancellationToken);

        // Judged (401), locked (429), or turned away before any check by Accounts' password-check gate (503 sign_in_busy: one
        // check per core running and eight per check waiting, so on this suite's two cores or more at least ten are judged).
        Assert.All(answers, answer => Assert.True(answer.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests
            || answer is (HttpStatusCode.ServiceUnavailable, "sign_in_busy"), $"{(int)answer.StatusCode} {answer.Code}"));
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Equal(10, await AuditCountAsync(admin, "sign_in_failed", id, cancellationToken));
    }

    [Fact]
    public async Task Finding_6_unknown_addresses_lock_like_known_ones_and_a_trusted_device_still_signs_in_during_a_strangers_lock()
    {
        var cancellationToken = Timeout();
        var unknown = $"nobody-{Guid.NewGuid():N}@demo.flexwhere.test";
        var (email, phone, _) = await NewManagerAsync(await AdminAsync(cancellationToken), cancellationToken);
        var device = (await SignInWithSmsAsync(email, phone, cancellationToken, remember: true)).GetProperty("deviceToken").GetString();

        async Task<(HttpStatusCode, string?)> WrongAsync(string who)
        {
            using var response = await LoginAsync(who, "control-centre", "not the password", cancellationToken: cancellationToken);
            return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("code")
                .GetString());
        }

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(await WrongAsync(email), await WrongAsync(unknown));
        }

        Assert.Equal((HttpStatusCode.TooManyRequests, "account_locked"), await WrongAsync(unknown));
        Assert.Equal((HttpStatusCode.TooManyRequests, "account_locked"), await WrongAsync(email));
        using var withoutDevice = await LoginAsync(email, "control-centre", cancellationToken: cancellationToken);
        Assert.Equal(HttpStatusCode.TooManyRequests, withoutDevice.StatusCode);
        var onDevice = await ReadAsync(await LoginAsync(email, "control-centre", deviceToken: device, cancellationToken: cancellationToken),
            cancellationToken);
        Assert.Equal("signed_in", onDevice.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Finding_10_answers_with_tokens_are_not_stored_by_caches()
    {
        var cancellationToken = Timeout();
        var (email, phone, _) = await NewManagerAsync(await AdminAsync(cancellationToken), cancellationToken);
        var seen = await DevInbox.CountToAsync(stack.Gateway, phone, cancellationToken);
        using var login = await LoginAsync(email, "control-centre", cancellationToken: cancellationToken);
        var ticket = (await ReadAsync(login, cancellationToken)).GetProperty("loginTicket").GetString();
        var code = await DevInbox.NextCodeAsync(stack.Gateway, phone, seen, cancellationToken);
        using var verified = await stack.Gateway.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code },
            cancellationToken);
        var signedIn = await ReadAsync(verified, cancellationToken);
        using var refreshed = await stack.Gateway.PostAsJsonAsync("/api/auth/refresh",
            new { refreshToken = signedIn.GetProperty("refreshToken").GetString() }, cancellationToken);

        Assert.True(login.Headers.CacheControl?.NoStore, "the login answer (a ticket)");
        Assert.True(verified.Headers.CacheControl?.NoStore, "the signed-in answer");
        Assert.True(refreshed.Headers.CacheControl?.NoStore, "the refresh answer");
    }

    [Fact]
    public async Task Finding_11_a_nul_character_in_the_address_is_bad_input_not_an_outage()
    {
        var cancellationToken = Timeout();
        using var response = await LoginAsync("admin\0@demo.flexwhere.test", "control-centre", cancellationToken: cancellationToken);

        var problem = await ReadAsync(response, cancellationToken, HttpStatusCode.BadRequest);
        Assert.Equal("validation_failed", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_session_on_a_trusted_device_must_step_up_before_a_sensitive_change()
    {
        var cancellationToken = Timeout();
        var admin = await AdminAsync(cancellationToken);
        var (email, phone, _) = await NewManagerAsync(admin, cancellationToken);
        var device = (await SignInWithSmsAsync(email, phone, cancellationToken, remember: true)).GetProperty("deviceToken").GetString();
        var onDevice = Token(await ReadAsync(await LoginAsync(email, "control-centre", deviceToken: device,
            cancellationToken: cancellationToken), cancellationToken));

        using var refused = await stack.Gateway.SendAsync(With(onDevice, HttpMethod.Post, "/api/me/recovery-codes"), cancellationToken);
        var problem = await ReadAsync(refused, cancellationToken, HttpStatusCode.Unauthorized);
        Assert.Equal("step_up_required", problem.GetProperty("code").GetString());
        Assert.Contains("sms", problem.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));

        var seen = await DevInbox.CountToAsync(stack.Gateway, phone, cancellationToken);
        using var sent = await TextingAsync(() => stack.Gateway.SendAsync(With(onDevice, HttpMethod.Post, "/api/auth/step-up/sms"),
            cancellationToken), cancellationToken);
        var ticket = (await ReadAsync(sent, cancellationToken)).GetProperty("stepUpTicket").GetString();
        var code = await DevInbox.NextCodeAsync(stack.Gateway, phone, seen, cancellationToken);
        using var steppedUp = await stack.Gateway.SendAsync(With(onDevice, HttpMethod.Post, "/api/auth/step-up", new { method = "sms",
            stepUpTicket = ticket, code }), cancellationToken);
        await ReadAsync(steppedUp, cancellationToken);

        using var allowed = await stack.Gateway.SendAsync(With(onDevice, HttpMethod.Post, "/api/me/recovery-codes"), cancellationToken);
        var codes = (await ReadAsync(allowed, cancellationToken)).GetProperty("codes").EnumerateArray().Select(c => c.GetString()!)
            .ToList();
        Assert.Equal(10, codes.Count);
        // Finding 12: 24 Crockford base32 characters, 120 bits, so SHA-256 at rest is enough.
        Assert.All(codes, code => Assert.Matches("^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$", code));
    }

    [Fact]
    public async Task Finding_3_linking_an_authenticator_needs_the_code_texted_to_the_number_not_only_the_password()
    {
        var cancellationToken = Timeout();
        var admin = await FreshAdminAsync(cancellationToken);
        var (email, phone, _) = await NewUserAsync(await AdminAsync(cancellationToken), "Employee", cancellationToken);

        await WithDemoSettingsAsync(admin, new { mobileTotpRequired = true }, new { mobileTotpRequired = false }, async () =>
        {
            var seen = await DevInbox.CountToAsync(stack.Gateway, phone, cancellationToken);
            var login = await ReadAsync(await TextingAsync(() => LoginAsync(email, "mobile", cancellationToken: cancellationToken),
                cancellationToken), cancellationToken);
            Assert.Equal("totp_enrollment", login.GetProperty("method").GetString());
            Assert.Equal("sms", login.GetProperty("enrollmentProof").GetString());
            var ticket = login.GetProperty("loginTicket").GetString();
            var code = await DevInbox.NextCodeAsync(stack.Gateway, phone, seen, cancellationToken);

            using var passwordOnly = await stack.Gateway.PostAsJsonAsync("/api/auth/totp/enroll", new { loginTicket = ticket },
                cancellationToken);
            Assert.Equal("enrollment_proof_required", (await ReadAsync(passwordOnly, cancellationToken, HttpStatusCode.Forbidden))
                .GetProperty("code").GetString());
            using var proven = await stack.Gateway.PostAsJsonAsync("/api/auth/totp/enroll", new { loginTicket = ticket, code },
                cancellationToken);
            Assert.False(string.IsNullOrEmpty((await ReadAsync(proven, cancellationToken)).GetProperty("secret").GetString()));
        }, cancellationToken);
    }

    [Fact]
    public async Task Finding_4_the_server_enforces_the_pin_a_session_without_one_may_only_set_it_and_a_refresh_needs_it()
    {
        var cancellationToken = Timeout();
        var admin = await FreshAdminAsync(cancellationToken);
        var (email, _, _) = await NewUserAsync(await AdminAsync(cancellationToken), "Employee", cancellationToken);

        await WithDemoSettingsAsync(admin, new { mobilePinRequired = true, pinLength = 6 }, new { mobilePinRequired = false }, async () =>
        {
            var signedIn = await ReadAsync(await LoginAsync(email, "mobile", cancellationToken: cancellationToken), cancellationToken);
            Assert.True(signedIn.GetProperty("pinSetupRequired").GetBoolean());
            var app = Token(signedIn);
            using var before = await stack.Gateway.SendAsync(With(app, HttpMethod.Get, "/api/me"), cancellationToken);
            Assert.Equal("pin_setup_required", (await ReadAsync(before, cancellationToken, HttpStatusCode.Forbidden)).GetProperty("code")
                .GetString());
            using var set = await stack.Gateway.SendAsync(With(app, HttpMethod.Put, "/api/me/pin", new { pin = "318046" }),
                cancellationToken);
            Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);

            var refreshToken = signedIn.GetProperty("refreshToken").GetString();
            using var withoutPin = await stack.Gateway.PostAsJsonAsync("/api/auth/refresh", new { refreshToken }, cancellationToken);
            Assert.Equal("pin_required", (await ReadAsync(withoutPin, cancellationToken, HttpStatusCode.Unauthorized)).GetProperty("code")
                .GetString());
            using var withPin = await stack.Gateway.PostAsJsonAsync("/api/auth/refresh", new { refreshToken, pin = "318046" },
                cancellationToken);
            await ReadAsync(withPin, cancellationToken);
        }, cancellationToken);
    }

    [Fact]
    public async Task Finding_7_wrong_codes_over_new_sign_ins_lock_the_users_second_factor()
    {
        var cancellationToken = Timeout();
        var (email, phone, _) = await NewManagerAsync(await AdminAsync(cancellationToken), cancellationToken);

        async Task<(string Ticket, string Code)> StartAsync()
        {
            var seen = await DevInbox.CountToAsync(stack.Gateway, phone, cancellationToken);
            var login = await ReadAsync(await TextingAsync(() => LoginAsync(email, "control-centre", cancellationToken: cancellationToken),
                cancellationToken), cancellationToken);
            return (login.GetProperty("loginTicket").GetString()!,
                await DevInbox.NextCodeAsync(stack.Gateway, phone, seen, cancellationToken));
        }

        async Task<string?> VerifyAsync(string ticket, string code)
        {
            using var response = await stack.Gateway.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code },
                cancellationToken);
            return (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).TryGetProperty("code", out var problem)
                ? problem.GetString() : "signed_in";
        }

        for (var signIn = 0; signIn < 2; signIn++)
        {
            var (ticket, code) = await StartAsync();
            var wrong = code == "000000" ? "111111" : "000000";
            for (var guess = 0; guess < 5; guess++) await VerifyAsync(ticket, wrong);
        }

        var (last, right) = await StartAsync();
        Assert.Equal("second_factor_locked", await VerifyAsync(last, right));
    }

    [Fact]
    public async Task Finding_8_demoting_an_admin_first_is_no_way_around_four_eyes_for_their_number()
    {
        var cancellationToken = Timeout();
        var admin = await FreshAdminAsync(cancellationToken);
        var (_, phone, id) = await NewUserAsync(await AdminAsync(cancellationToken), "Admin", cancellationToken);
        var newNumber = NewNumber()[..^2] + (phone.EndsWith("11") ? "22" : "11");

        using var asAdmin = await stack.Gateway.SendAsync(With(admin, HttpMethod.Put, $"/api/users/{id}/phone", new { phone = newNumber }),
            cancellationToken);
        await ReadAsync(asAdmin, cancellationToken, HttpStatusCode.Accepted);
        using var demoted = await stack.Gateway.SendAsync(With(admin, HttpMethod.Put, $"/api/users/{id}", new { role = "Manager" }),
            cancellationToken);
        await ReadAsync(demoted, cancellationToken);
        using var asManager = await stack.Gateway.SendAsync(With(admin, HttpMethod.Put, $"/api/users/{id}/phone",
            new { phone = newNumber }), cancellationToken);
        Assert.True((await ReadAsync(asManager, cancellationToken, HttpStatusCode.Accepted)).TryGetProperty("applyAfter", out _));

        using var user = await stack.Gateway.SendAsync(With(admin, HttpMethod.Get, $"/api/users/{id}"), cancellationToken);
        Assert.EndsWith(phone[^2..], (await ReadAsync(user, cancellationToken)).GetProperty("phone").GetString());
    }

    [Fact]
    public async Task Finding_9_a_client_cannot_choose_its_own_address_with_x_forwarded_for()
    {
        var cancellationToken = Timeout();
        var admin = await AdminAsync(cancellationToken);
        var (email, _, id) = await NewManagerAsync(admin, cancellationToken);

        using var forged = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login")
        {
            Content = JsonContent.Create(new { email, password = "not the password", client = "control-centre" }),
            Headers = { { "X-Forwarded-For", "203.0.113.7" } },
        };
        using var response = await stack.Gateway.SendAsync(forged, cancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        using var page = await stack.Gateway.SendAsync(With(admin, HttpMethod.Get, $"/api/audit?event=sign_in_failed&userId={id}"),
            cancellationToken);
        var entry = Assert.Single((await ReadAsync(page, cancellationToken)).GetProperty("items").EnumerateArray());
        Assert.NotEqual("203.0.113.7", entry.GetProperty("clientIp").GetString());
    }

    /// <summary>The account lifecycle of a new customer: an operator creates the organisation; its first admin accepts the
    /// invitation with an SMS code and signs in; the admin links the organisation's database and imports a manager, who is
    /// invited in Dutch, proves the number with an SMS code, chooses a password and signs in with SMS.</summary>
    [Fact]
    public async Task An_operators_new_organisation_imports_a_manager_who_is_invited_in_dutch_and_signs_in_with_sms()
    {
        var cancellationToken = Timeout();
        var run = Guid.NewGuid().ToString("N")[..12];
        var (adminEmail, adminPhone) = ($"e2e-first-admin-{run}@kantoor.example", NewNumber());
        using var accounts = stack.App.CreateHttpClient("accounts");
        using var provision = new HttpRequestMessage(HttpMethod.Post, "/operator/organisations")
        {
            Headers = { { "X-Operator-Key", AppHostFixture.OperatorKey } },
            Content = JsonContent.Create(new { name = $"Kantoor {run}", country = "NL", adminEmail, adminName = "Eerste Beheerder",
                adminPhone, allowedSmsCountries = new[] { "NL", "SE" } }),
        };
        await ReadAsync(await accounts.SendAsync(provision, cancellationToken), cancellationToken, HttpStatusCode.Created);
        await AcceptInvitationAsync(adminEmail, "Eerste Beheerder", adminPhone, cancellationToken);
        var admin = Token(await SignInWithSmsAsync(adminEmail, adminPhone, cancellationToken));

        // Just signed in with a code: the linked database and the import need no step-up for a few minutes.
        await ReadAsync(await stack.Gateway.SendAsync(With(admin, HttpMethod.Put, "/api/organisation/settings",
            new { linkedDatabase = true }), cancellationToken), cancellationToken);
        var (email, phone) = ($"e2e-imported-{run}@kantoor.example", NewNumber());
        var imported = await ReadAsync(await stack.Gateway.SendAsync(With(admin, HttpMethod.Post, "/api/users/import",
            new { fullSync = false, users = new[] { new { email, displayName = "Nieuwe Manager", role = "Manager", phone } } }),
            cancellationToken), cancellationToken);
        Assert.Equal(1, imported.GetProperty("created").GetInt32());

        await AcceptInvitationAsync(email, "Nieuwe Manager", phone, cancellationToken);
        var signedIn = await SignInWithSmsAsync(email, phone, cancellationToken);
        Assert.Equal("signed_in", signedIn.GetProperty("status").GetString());
    }

    /// <summary>Reads the Dutch invitation from the mail inbox and sets the password with it, after the SMS code an admin or
    /// a manager needs first.</summary>
    private async Task AcceptInvitationAsync(string email, string name, string phone, CancellationToken cancellationToken)
    {
        var (body, token) = await DevInbox.MailAsync(stack.Gateway, email, "Je FlexWhere-account staat klaar", cancellationToken);
        Assert.Contains($"Hallo {name},", body);
        Assert.Matches(@"http://[^/\s]+/#/password\?token=[A-Za-z0-9_-]{40,}", body);
        var seen = await DevInbox.CountToAsync(stack.Gateway, phone, cancellationToken);
        var sent = await ReadAsync(await TextingAsync(() => stack.Gateway.PostAsJsonAsync("/api/auth/password/reset",
            new { token, password = UserPassword }, cancellationToken), cancellationToken), cancellationToken);
        Assert.Equal("code_sent", sent.GetProperty("status").GetString());
        var code = await DevInbox.NextCodeAsync(stack.Gateway, phone, seen, cancellationToken);
        Assert.StartsWith("Je FlexWhere-code is", await DevInbox.NewestToAsync(stack.Gateway, phone, cancellationToken));
        var set = await ReadAsync(await stack.Gateway.PostAsJsonAsync("/api/auth/password/reset",
            new { token, password = UserPassword, code }, cancellationToken), cancellationToken);
        Assert.Equal("password_set", set.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Forgot_password_through_the_gateway_mails_a_link_that_replaces_the_password_and_ends_the_sessions()
    {
        var cancellationToken = Timeout();
        var (email, _, _) = await NewUserAsync(await AdminAsync(cancellationToken), "Employee", cancellationToken);
        var signedIn = await ReadAsync(await LoginAsync(email, "mobile", cancellationToken: cancellationToken), cancellationToken);
        var session = Token(signedIn);

        using var forgot = await stack.Gateway.PostAsJsonAsync("/api/auth/password/forgot", new { email }, cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, forgot.StatusCode);
        var (_, token) = await DevInbox.MailAsync(stack.Gateway, email, "Kies een nieuw FlexWhere-wachtwoord", cancellationToken);
        const string newPassword = "lighthouse-orchard-violin-7";
        var set = await ReadAsync(await stack.Gateway.PostAsJsonAsync("/api/auth/password/reset", new { token, password = newPassword },
            cancellationToken), cancellationToken);
        Assert.Equal("password_set", set.GetProperty("status").GetString());

        using var me = await stack.Gateway.SendAsync(With(session, HttpMethod.Get, "/api/me"), cancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        using var old = await LoginAsync(email, "mobile", cancellationToken: cancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        using var renewed = await LoginAsync(email, "mobile", newPassword, cancellationToken: cancellationToken);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);

        // Each app sign-in is a new device: the notice says so, in Dutch, and names no code, token or full number.
        var (notice, _) = await DevInbox.MailAsync(stack.Gateway, email, "Nieuwe aanmelding op je FlexWhere-account", cancellationToken);
        Assert.Contains("FlexWhere for Mobile", notice);
        Assert.DoesNotMatch(@"(?<!\d)\d{6}(?!\d)|\+\d{6,}|token=", notice);
    }
}

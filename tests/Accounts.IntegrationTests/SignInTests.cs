using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.Http.Json;
using System.Text;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

[Collection(PostgresCollection.Name)]
public class SignInTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    [Fact]
    public async Task Employee_without_a_required_second_factor_gets_tokens_that_open_api_me()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);

        var body = await JsonAsync(await LoginAsync(employee.Email, client: "mobile"));

        Assert.Equal("signed_in", body.GetProperty("status").GetString());
        Assert.Equal(900, body.GetProperty("expiresIn").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("refreshToken").GetString()));
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        me.Headers.Authorization = new("Bearer", body.GetProperty("accessToken").GetString());
        var profile = await JsonAsync(await Client.SendAsync(me));
        Assert.Equal(employee.Email, profile.GetProperty("email").GetString());
        Assert.Equal("Employee", profile.GetProperty("role").GetString());
        Assert.Equal("Acme", profile.GetProperty("organisation").GetString());
        Assert.Equal("+31 6 •••• ••78", profile.GetProperty("phoneHint").GetString());
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.SignInSucceeded && e.SubjectUserId == employee.Id);
    }

    [Fact]
    public async Task The_email_address_is_matched_case_insensitively()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee, email: "Jane.Doe@Example.test");

        var body = await JsonAsync(await LoginAsync("  JANE.DOE@example.TEST "));

        Assert.Equal("signed_in", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_login_name_without_at_sign_is_refused_as_username_login()
    {
        var problem = await ProblemAsync(await LoginAsync("jdoe"), HttpStatusCode.BadRequest, "username_login_disabled");

        Assert.Contains("e-mail address", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"email\":\"a@example.test\",\"password\":\"x\"}")]
    [InlineData("{\"email\":\"a@example.test\",\"password\":\"x\",\"client\":\"desktop\"}")]
    [InlineData("{\"email\":\"a@example.test\",\"client\":\"mobile\"}")]
    [InlineData("[]")]
    public async Task A_malformed_body_is_a_validation_problem(string json)
    {
        var response = await Client.PostAsync("/api/auth/login", new StringContent(json, Encoding.UTF8, "application/json"));

        await ProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task An_oversized_body_is_refused_before_it_is_read()
    {
        var json = $"{{\"email\":\"a@example.test\",\"password\":\"{new string('x', 100_000)}\",\"client\":\"mobile\"}}";

        var response = await Client.PostAsync("/api/auth/login", new StringContent(json, Encoding.UTF8, "application/json"));

        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task Unknown_email_and_wrong_password_get_the_same_answer()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);

        var unknown = await ProblemAsync(await LoginAsync("nobody@example.test"), HttpStatusCode.Unauthorized, "invalid_credentials");
        var wrong = await ProblemAsync(await LoginAsync(employee.Email, "wrong password!"), HttpStatusCode.Unauthorized,
            "invalid_credentials");

        Assert.Equal(unknown.GetProperty("title").GetString(), wrong.GetProperty("title").GetString());
        Assert.Equal(unknown.GetProperty("detail").GetString(), wrong.GetProperty("detail").GetString());
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.SignInFailed && e.SubjectUserId == employee.Id);
    }

    [Theory]
    [InlineData(UserRole.Admin)]
    [InlineData(UserRole.Manager)]
    [InlineData(UserRole.Employee)]
    public async Task The_control_centre_gives_no_tokens_when_the_sms_code_service_is_down(UserRole role)
    {
        var organisation = await CreateOrganisationAsync();
        var user = await CreateUserAsync(organisation, role);

        var response = await LoginAsync(user.Email, client: "control-centre");

        var problem = await ProblemAsync(response, HttpStatusCode.ServiceUnavailable, "mfa_unavailable");
        Assert.Contains("cannot be reached", problem.GetProperty("detail").GetString());
        Assert.False(problem.TryGetProperty("accessToken", out _));
        await using var db = NewDbContext();
        Assert.Equal(0, await db.RefreshTokens.CountAsync());
    }

    [Fact]
    public async Task A_sign_in_is_refused_with_503_when_the_sms_code_service_takes_the_connection_and_never_answers()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateUserAsync(organisation, UserRole.Admin);
        // A Challenges that accepts the connection and then says nothing: only Accounts' timeout ends the wait.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new ConcurrentBag<TcpClient>();
        _ = Task.Run(async () =>
        {
            while (true) held.Add(await silent.AcceptTcpClientAsync());
        });
        await using var accounts = NewAccounts(("Challenges:BaseUrl", $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}"),
            ("Challenges:Timeout", "00:00:01"));
        using var client = accounts.CreateClient();
        var clock = Stopwatch.StartNew();

        using var response = await client.PostAsJsonAsync("/api/auth/login",
            new { email = admin.Email, password = Password, client = "control-centre", deviceToken = (string?)null });

        var problem = await ProblemAsync(response, HttpStatusCode.ServiceUnavailable, "mfa_unavailable");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"The refusal took {clock.Elapsed}.");
        Assert.NotEmpty(held);
        Assert.False(problem.TryGetProperty("loginTicket", out _));
        Assert.False(problem.TryGetProperty("accessToken", out _));
        await using var db = NewDbContext();
        Assert.Equal(0, await db.RefreshTokens.CountAsync());
        silent.Stop();
        foreach (var connection in held) connection.Dispose();
    }

    [Fact]
    public async Task An_admin_without_a_phone_number_is_told_to_ask_their_administrator()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateUserAsync(organisation, UserRole.Admin, phone: null);

        var problem = await ProblemAsync(await LoginAsync(admin.Email, client: "control-centre"), HttpStatusCode.Forbidden,
            "phone_number_missing");

        Assert.Contains("administrator", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Employees_on_mobile_get_no_tokens_but_a_totp_enrollment_when_their_organisation_requires_totp()
    {
        var organisation = await CreateOrganisationAsync(configure: o => o.MobileTotpRequired = true);
        var employee = await CreateUserAsync(organisation, UserRole.Employee, phone: null);

        var body = await JsonAsync(await LoginAsync(employee.Email, client: "mobile"));

        Assert.Equal("mfa_required", body.GetProperty("status").GetString());
        Assert.Equal("totp_enrollment", body.GetProperty("method").GetString());
        Assert.False(body.TryGetProperty("accessToken", out _));

        await using var db = NewDbContext();
        Assert.Equal(0, await db.RefreshTokens.CountAsync());
    }

    [Fact]
    public async Task A_disabled_account_cannot_sign_in()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee, active: false);

        await ProblemAsync(await LoginAsync(employee.Email), HttpStatusCode.Forbidden, "account_disabled");
    }

    [Fact]
    public async Task Ten_wrong_passwords_lock_the_account_for_fifteen_minutes()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);

        for (var attempt = 1; attempt < 10; attempt++)
        {
            await ProblemAsync(await LoginAsync(employee.Email, "wrong password!"), HttpStatusCode.Unauthorized, "invalid_credentials");
        }

        var tenth = await LoginAsync(employee.Email, "wrong password!");
        await ProblemAsync(tenth, HttpStatusCode.TooManyRequests, "account_locked");
        Assert.Equal(TimeSpan.FromMinutes(15), tenth.Headers.RetryAfter?.Delta);

        // Locked: even the right password is refused, and says how long to wait.
        Time.Advance(TimeSpan.FromMinutes(5));
        var locked = await LoginAsync(employee.Email);
        await ProblemAsync(locked, HttpStatusCode.TooManyRequests, "account_locked");
        Assert.Equal(TimeSpan.FromMinutes(10), locked.Headers.RetryAfter?.Delta);

        Time.Advance(TimeSpan.FromMinutes(10));
        var body = await JsonAsync(await LoginAsync(employee.Email));
        Assert.Equal("signed_in", body.GetProperty("status").GetString());
        Assert.Single(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.AccountLocked);
    }

    [Fact]
    public async Task A_correct_password_alone_does_not_wipe_strangers_failures_the_window_does()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);

        for (var attempt = 0; attempt < 9; attempt++) await LoginAsync(employee.Email, "wrong password!");
        await JsonAsync(await LoginAsync(employee.Email));

        // Otherwise whoever holds the password could interleave it to guess on for ever.
        await ProblemAsync(await LoginAsync(employee.Email, "wrong password!"), HttpStatusCode.TooManyRequests, "account_locked");
        Time.Advance(TimeSpan.FromMinutes(15));
        await ProblemAsync(await LoginAsync(employee.Email, "wrong password!"), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task Sign_in_stores_no_password_in_clear()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        await LoginAsync(employee.Email, "wrong password!");
        await LoginAsync(employee.Email);

        await using var db = NewDbContext();
        var stored = await db.Users.SingleAsync(u => u.Id == employee.Id);
        Assert.DoesNotContain(Password, stored.PasswordHash);
        Assert.All(await AuditAsync(organisation.Id), e => Assert.DoesNotContain("wrong password!", e.Details ?? ""));
    }
}

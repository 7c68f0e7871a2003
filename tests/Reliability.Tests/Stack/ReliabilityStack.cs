using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using FlexWhere.EndToEndTests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace FlexWhere.Reliability.Tests.Stack;

/// <summary>
/// The whole stack from the real AppHost (the end-to-end fixture), with every service's log captured
/// for the secrets scan (R6), the Gateway's per-IP and per-user limits raised so the generated
/// requests (R3) reach the services instead of stopping at the limiter, and a second organisation
/// ("Other", a copy of the Demo seed) for the isolation checks (R5).
/// </summary>
public sealed class ReliabilityStack : AppHostFixture
{
    public const string Password = "FlexWhere-Demo-2026!";
    private readonly ConcurrentQueue<string> _logs = new();
    private readonly CancellationTokenSource _stopWatching = new();
    private readonly List<Task> _watchers = [];

    public string AccountsDatabase { get; private set; } = "";

    public string Redis { get; private set; } = "";

    /// <summary>Every line any resource wrote so far (services and servers).</summary>
    public IReadOnlyCollection<string> Logs => _logs;

    /// <summary>Secrets the tests handled (passwords, codes, tokens, phone numbers) that must appear nowhere at rest or in logs.</summary>
    public ConcurrentBag<string> Secrets { get; } = [Password];

    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        var gateway = builder.CreateResourceBuilder<ProjectResource>("gateway");
        gateway.WithEnvironment("Gateway__RateLimits__AnonymousPerIpPerMinute", "100000");
        gateway.WithEnvironment("Gateway__RateLimits__PerUserPerMinute", "100000");
        builder.CreateResourceBuilder<ProjectResource>("accounts")
            .WithEnvironment("SignIn__PerIpPermitLimit", "100000");
    }

    protected override Task StartedAsync()
    {
        var logger = App.Services.GetRequiredService<ResourceLoggerService>();
        var model = App.Services.GetRequiredService<DistributedApplicationModel>();
        foreach (var resource in model.Resources)
        {
            _watchers.Add(Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in logger.WatchAsync(resource.Name).WithCancellation(_stopWatching.Token))
                    {
                        foreach (var line in batch) _logs.Enqueue($"{resource.Name}: {line.Content}");
                    }
                }
                catch (OperationCanceledException)
                {
                    // The run is over.
                }
            }));
        }

        return Task.CompletedTask;
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        AccountsDatabase = (await App.GetConnectionStringAsync("accountsdb", timeout.Token))!;
        Redis = (await App.GetConnectionStringAsync("redis", timeout.Token))!;
        await AddOtherOrganisationAsync();
    }

    public override async Task DisposeAsync()
    {
        await _stopWatching.CancelAsync();
        await base.DisposeAsync();
        await Task.WhenAll(_watchers);
        _stopWatching.Dispose();
    }

    /// <summary>"Other": the Demo organisation and its users copied with new ids, e-mail addresses
    /// (other.flexwhere.test) and phone numbers, so both organisations have the same shape.</summary>
    private async Task AddOtherOrganisationAsync()
    {
        await using var connection = new NpgsqlConnection(AccountsDatabase);
        await connection.OpenAsync();
        const string sql = """
            CREATE TEMP TABLE other_org AS SELECT * FROM organisations WHERE "Name" = 'Demo';
            CREATE TEMP TABLE other_users AS SELECT * FROM users WHERE "OrganisationId" = (SELECT "Id" FROM other_org);
            UPDATE other_org SET "Id" = gen_random_uuid(), "Name" = 'Other';
            UPDATE other_users SET "Id" = gen_random_uuid(), "OrganisationId" = (SELECT "Id" FROM other_org),
                "Email" = replace("Email", '@demo.', '@other.'), "NormalizedEmail" = replace("NormalizedEmail", '@DEMO.', '@OTHER.'),
                "PhoneNumber" = overlay("PhoneNumber" placing '5' from length("PhoneNumber") - 2 for 1);
            INSERT INTO organisations SELECT * FROM other_org;
            INSERT INTO users SELECT * FROM other_users;
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> CountRowsAsync(string table)
    {
        await using var connection = new NpgsqlConnection(AccountsDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\"", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Row counts of every table of the accounts database, and the audit log's newest id.</summary>
    public async Task<Dictionary<string, long>> SnapshotAsync()
    {
        await using var connection = new NpgsqlConnection(AccountsDatabase);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }

        var counts = new Dictionary<string, long>();
        foreach (var table in tables)
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\"", connection);
            counts[table] = (long)(await count.ExecuteScalarAsync())!;
        }

        // Updates leave counts alone: a checksum of every row catches them too.
        foreach (var table in tables)
        {
            await using var sum = new NpgsqlCommand($"SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{table}\" t", connection);
            counts[$"{table} (content)"] = BitConverter.ToInt64(Convert.FromHexString(((string)(await sum.ExecuteScalarAsync())!).PadLeft(16, '0')[..16]));
        }

        return counts;
    }

    public HttpClient NewClient() => App.CreateHttpClient("gateway");

    /// <summary>Signs in as <paramref name="email"/> through the Gateway and returns the access token:
    /// the password, then the SMS code from the development inbox when a second factor is asked.
    /// Before issue 7 admins and managers get 503 mfa_unavailable; then the token is issued as Accounts
    /// would (same key, claims and lifetime) so the admin routes can still be exercised.</summary>
    public async Task<SignedInUser> SignInAsync(string email, string client = "control-centre")
    {
        using var http = NewClient();
        using var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password = Password, client });
        var body = JsonNode.Parse(await login.Content.ReadAsStringAsync())!;
        if (login.StatusCode == HttpStatusCode.OK && (string?)body["status"] == "signed_in") return await WithMeAsync(http, (string)body["accessToken"]!);
        if (login.StatusCode == HttpStatusCode.OK && (string?)body["status"] == "mfa_required" && (string?)body["method"] == "sms")
        {
            var code = await CodeFromInboxAsync(http, email);
            using var verify = await http.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = (string)body["loginTicket"]!, code, rememberDevice = false });
            var verified = JsonNode.Parse(await verify.Content.ReadAsStringAsync())!;
            if (verify.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"Second factor refused for {email}: {verified.ToJsonString()}");
            return await WithMeAsync(http, (string)verified["accessToken"]!);
        }

        if (login.StatusCode == HttpStatusCode.ServiceUnavailable && (string?)body["code"] == "mfa_unavailable")
        {
            return await WithMeAsync(http, await IssueAsAccountsWouldAsync(email));
        }

        throw new InvalidOperationException($"Sign-in of {email} answered {(int)login.StatusCode}: {body.ToJsonString()}");
    }

    private async Task<SignedInUser> WithMeAsync(HttpClient http, string accessToken)
    {
        Secrets.Add(accessToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var me = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return new SignedInUser(accessToken, Guid.Parse((string)me["id"]!), Guid.Parse((string)me["organisationId"]!), (string)me["email"]!);
    }

    private async Task<string> CodeFromInboxAsync(HttpClient http, string email)
    {
        var phone = await PhoneOfAsync(email);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var inbox = await http.GetFromJsonAsync<JsonArray>("/dev/sms");
            var newest = inbox!.FirstOrDefault(sms => (string?)sms!["to"] == phone);
            if (newest is not null)
            {
                var code = System.Text.RegularExpressions.Regex.Match((string)newest["body"]!, @"\b\d{6}\b").Value;
                Secrets.Add(code);
                return code;
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"No SMS for {email} reached the development inbox.");
    }

    public async Task<string> PhoneOfAsync(string email)
    {
        await using var connection = new NpgsqlConnection(AccountsDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT \"PhoneNumber\" FROM users WHERE \"Email\" = @email", connection);
        command.Parameters.AddWithValue("email", email);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task<string> IssueAsAccountsWouldAsync(string email)
    {
        await using var connection = new NpgsqlConnection(AccountsDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT \"Id\", \"OrganisationId\", \"Role\" FROM users WHERE \"Email\" = @email", connection);
        command.Parameters.AddWithValue("email", email);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) throw new InvalidOperationException($"No user {email}.");
        var (id, organisation, role) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2));

        using var rsa = RSA.Create();
        rsa.ImportFromPem(await SigningKeyPemAsync());
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "flexwhere-accounts",
            Audience = "flexwhere",
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddSeconds(900),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa.ExportParameters(true)), SecurityAlgorithms.RsaSha256),
            Subject = new ClaimsIdentity(
            [
                new Claim("sub", id.ToString()),
                new Claim("org", organisation.ToString()),
                new Claim("role", role),
                new Claim("email", email),
                new Claim("sid", Guid.NewGuid().ToString()),
            ]),
        });
    }

    private async Task<string> SigningKeyPemAsync()
    {
        var parameter = App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>().Single(resource => resource.Name == "accounts-jwt-signing-key");
        return (await parameter.GetValueAsync(CancellationToken.None))!;
    }

    /// <summary>A token signed by a key Accounts never had, with the right claims: must be refused.</summary>
    public static string ForgedToken(SignedInUser user, TimeSpan? expiresIn = null)
    {
        using var rsa = RSA.Create(2048);
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(15));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "flexwhere-accounts",
            Audience = "flexwhere",
            IssuedAt = expires.AddMinutes(-30),
            NotBefore = expires.AddMinutes(-30),
            Expires = expires,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa.ExportParameters(true)), SecurityAlgorithms.RsaSha256),
            Subject = new ClaimsIdentity([new Claim("sub", user.Id.ToString()), new Claim("org", user.OrganisationId.ToString()), new Claim("role", "Admin"), new Claim("sid", Guid.NewGuid().ToString())]),
        });
    }
}

public sealed record SignedInUser(string AccessToken, Guid Id, Guid OrganisationId, string Email);

[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<ReliabilityStack>
{
    public const string Name = "reliability-stack";
}

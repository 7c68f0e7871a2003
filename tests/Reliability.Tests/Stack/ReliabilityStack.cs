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
using FlexWhere.Testing;
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

    public string AccountsDatabase { get; private set; } = "";

    public string Redis { get; private set; } = "";

    public string RabbitMq { get; private set; } = "";

    /// <summary>Every SendSms on the broker: the codes, whichever Notifier replica sends them.</summary>
    public SmsCapture Sms { get; private set; } = null!;

    /// <summary>Every line any resource wrote so far (services and servers).</summary>
    public IReadOnlyCollection<string> Logs => _logs;

    /// <summary>Secrets the tests handled (passwords, codes, tokens, phone numbers) that must appear nowhere at rest or in logs.</summary>
    public ConcurrentBag<string> Secrets { get; } = [Password];

    /// <summary>Two replicas of every service (the Notifier's set back to one in <see cref="Configure"/>): each property is
    /// checked where a replica's memory cannot help.</summary>
    protected override IEnumerable<string> Arguments => ["--Replicas=2"];

    /// <summary>Eight service processes and three servers on two cores take longer than the end-to-end stack, and boot while
    /// the browser tests and the integration suites keep both cores busy: a clean-clone run on 2026-11-30 took over 6 minutes.</summary>
    protected override TimeSpan StartTimeout => TimeSpan.FromMinutes(10);

    /// <summary>The Gateway's anonymous per-IP limit, left at its default so R2 can check it holds across replicas.</summary>
    public const int AnonymousPerIpPerMinute = 300;

    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        // The suite's requests carry X-Forwarded-For, each from a client address of its own, so the
        // per-IP limits see many clients (as in production) and only R2 plays one client hammering.
        var gateway = builder.CreateResourceBuilder<ProjectResource>("gateway");
        gateway.WithEnvironment("ForwardedHeaders__KnownProxies__0", "127.0.0.1");
        gateway.WithEnvironment("ForwardedHeaders__KnownProxies__1", "::1");
        gateway.WithEnvironment("Gateway__RateLimits__AnonymousPerIpPerMinute",
            AnonymousPerIpPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // One admin token sends most of R3's requests: the per-user limit is not what R3 is about.
        gateway.WithEnvironment("Gateway__RateLimits__PerUserPerMinute", "100000");
        // The test users' numbers share one prefix and the suite signs them in often: the send limits
        // (proved in Challenges' own tests) would stop R2 before it reaches the guesses it is about.
        // One Notifier: none of R2–R6 is about sending (R1 is, with Notifiers of its own), and a second one only costs the
        // run CPU. The last replica annotation counts.
        builder.CreateResourceBuilder<ProjectResource>("notifier")
            .WithAnnotation(new ReplicaAnnotation(1), ResourceAnnotationMutationBehavior.Replace);
        var challenges = builder.CreateResourceBuilder<ProjectResource>("challenges");
        foreach (var (limit, value) in new[] { ("PerNumberPrefix", "100000"), ("PerClientIp", "100000"), ("PerUser", "100000"),
            ("PerDestination", "100000"), ("SendsPerDestination", "100") })
        {
            challenges.WithEnvironment($"Challenges__Limits__{limit}", value);
        }
    }

    /// <summary>Keeps every line for the secrets scan (R6).</summary>
    protected override void OnResourceLine(string resource, string line) => _logs.Enqueue($"{resource}: {line}");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        AccountsDatabase = (await App.GetConnectionStringAsync("accountsdb", timeout.Token))!;
        Redis = (await App.GetConnectionStringAsync("redis", timeout.Token))!;
        RabbitMq = (await App.GetConnectionStringAsync("rabbitmq", timeout.Token))!;
        Sms = await SmsCapture.StartAsync(RabbitMq);
        await AddOtherOrganisationAsync();
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

    private string? _snapshotSql;

    /// <summary>The prefix of an outbox row's key in <see cref="SnapshotAsync"/>.</summary>
    public const string OutboxRow = "outbox/";

    /// <summary>Row count and a checksum of the content of every table of the accounts database, in
    /// one round trip (R3 takes one before and after each request). The connection comes from the
    /// pool each time: one kept open would die with R4's PostgreSQL restart.</summary>
    public async Task<Dictionary<string, long>> SnapshotAsync()
    {
        await using var connection = new NpgsqlConnection(AccountsDatabase);
        await connection.OpenAsync();
        if (_snapshotSql is null)
        {
            var tables = new List<string>();
            await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
                connection))
            await using (var reader = await list.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
            }

            // Updates leave counts alone: the checksum of every row catches them too. A session's
            // LastSeenAt moves with every request that names it (the idle timeout): bookkeeping, not a
            // write, so sessions are compared without it. The outbox is listed row by row (outbox/{id}):
            // its dispatcher leases, reschedules and deletes rows an earlier request added, at its own
            // pace, so a row's arrival is the request's write and the rest is the dispatcher's.
            _snapshotSql = string.Join(" UNION ALL ", tables.Select(table => table switch
            {
                "sessions" => $"SELECT '{table}', count(*), coalesce(md5(string_agg((t.\"Id\", t.\"RevokedAt\", " +
                    $"t.\"RevokedReason\", t.\"SecondFactorAt\", t.\"PasswordAt\", t.\"ExpiresAt\")::text, '|' " +
                    $"ORDER BY t.\"Id\"::text)), '') FROM \"{table}\" t",
                "outbox" => $"SELECT '{OutboxRow}' || t.\"Id\"::text, 1::bigint, '' FROM \"{table}\" t",
                _ => $"SELECT '{table}', count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{table}\" t",
            }));
        }

        var snapshot = new Dictionary<string, long>();
        await using var command = new NpgsqlCommand(_snapshotSql, connection);
        await using var rows = await command.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            snapshot[rows.GetString(0)] = rows.GetInt64(1);
            if (rows.GetString(0).StartsWith(OutboxRow, StringComparison.Ordinal)) continue;
            snapshot[$"{rows.GetString(0)} (content)"] = rows.GetString(2) is { Length: > 0 } md5
                ? BitConverter.ToInt64(Convert.FromHexString(md5[..16])) : 0;
        }

        return snapshot;
    }

    public override async Task DisposeAsync()
    {
        if (Sms is not null) await Sms.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>A client of the Gateway that looks like one client machine (its own X-Forwarded-For address).</summary>
    public HttpClient NewClient(string? clientIp = null)
    {
        var client = App.CreateHttpClient("gateway");
        client.DefaultRequestHeaders.Add("X-Forwarded-For", clientIp ?? RandomClientIp());
        return client;
    }

    public static string RandomClientIp() => $"10.{Random.Shared.Next(256)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";

    /// <summary>Signs in as <paramref name="email"/> through the Gateway and returns the access token:
    /// the password, then the SMS code from the broker when a second factor is asked. Any other answer
    /// (a 503 mfa_unavailable too) fails the test: no token is made up to carry on.</summary>
    public async Task<SignedInUser> SignInAsync(string email, string client = "control-centre")
    {
        using var http = NewClient();
        var sentBefore = Sms.Sent.Count;
        using var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password = Password, client });
        var body = JsonNode.Parse(await login.Content.ReadAsStringAsync())!;
        if (login.StatusCode == HttpStatusCode.OK && (string?)body["status"] == "signed_in") return await WithMeAsync(http,
            (string)body["accessToken"]!);
        if (login.StatusCode == HttpStatusCode.OK && (string?)body["status"] == "mfa_required" && (string?)body["method"] == "sms")
        {
            var code = await CodeFromBrokerAsync(email, sentBefore);
            using var verify = await http.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = (string)body["loginTicket"]!, code,
                rememberDevice = false });
            var verified = JsonNode.Parse(await verify.Content.ReadAsStringAsync())!;
            if (verify.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"Second factor refused for {email}: " +
                $"{verified.ToJsonString()}");
            return await WithMeAsync(http, (string)verified["accessToken"]!);
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
        return new SignedInUser(accessToken, Guid.Parse((string)me["id"]!), Guid.Parse((string)me["organisationId"]!),
            (string)me["email"]!);
    }

    /// <summary>The code of the newest SendSms to <paramref name="email"/>'s phone after <paramref name="sentBefore"/> of them.</summary>
    public async Task<string> CodeFromBrokerAsync(string email, int sentBefore)
    {
        var phone = await PhoneOfAsync(email);
        var sms = await Sms.WaitForAsync(sms => sms.Destination == phone && Sms.Sent.Skip(sentBefore).Contains(sms),
            TimeSpan.FromSeconds(30));
        Secrets.Add(sms.Code);
        return sms.Code;
    }

    public async Task<string> PhoneOfAsync(string email)
    {
        await using var connection = new NpgsqlConnection(AccountsDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT \"PhoneNumber\" FROM users WHERE \"Email\" = @email", connection);
        command.Parameters.AddWithValue("email", email);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A token Accounts' own key signed, with the right claims, that expired an hour ago.</summary>
    public Task<string> ExpiredTokenAsync(string email) => IssueAsAccountsWouldAsync(email, DateTime.UtcNow.AddHours(-2));

    private async Task<string> IssueAsAccountsWouldAsync(string email, DateTime? issuedAt = null)
    {
        await using var connection = new NpgsqlConnection(AccountsDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT \"Id\", \"OrganisationId\", \"Role\" FROM users WHERE \"Email\" = @email",
            connection);
        command.Parameters.AddWithValue("email", email);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) throw new InvalidOperationException($"No user {email}.");
        var (id, organisation, role) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2));

        using var rsa = RSA.Create();
        rsa.ImportFromPem(await SigningKeyPemAsync());
        var now = issuedAt ?? DateTime.UtcNow;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
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
        Secrets.Add(token);
        return token;
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
            Subject = new ClaimsIdentity([new Claim("sub", user.Id.ToString()), new Claim("org", user.OrganisationId.ToString()),
                new Claim("role", "Admin"), new Claim("sid", Guid.NewGuid().ToString())]),
        });
    }
}

public sealed record SignedInUser(string AccessToken, Guid Id, Guid OrganisationId, string Email);

[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<ReliabilityStack>
{
    public const string Name = "reliability-stack";
}

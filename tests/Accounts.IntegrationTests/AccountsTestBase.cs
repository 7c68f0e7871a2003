using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using FlexWhere.Accounts.Auth;
using FlexWhere.Accounts.Data;
using FlexWhere.Accounts.Organisations;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>
/// What the tests of one class share: Accounts in memory on one migrated database of the real PostgreSQL server, the
/// clock it follows, and what a base class runs beside it (<see cref="Companion"/>: Challenges for the SMS flows). A host
/// per test cost each test a service start; instead each test starts on empty tables
/// (<see cref="AccountsTestBase.InitializeAsync"/>), which is what a fresh copy of the migrated template holds. xUnit makes
/// one per test class; the host itself is the collection's (<see cref="AccountsHostPool"/>), so the next class of the
/// collection with the same settings goes on with it instead of starting another. The tests of a collection run one
/// after the other.
/// </summary>
public sealed class AccountsClassHost(AccountsHostPool pool)
{
    private AccountsHost? _host;

    /// <summary>The service's clock: each test puts a fake clock of its own in it, set to the real time.</summary>
    public TestClock Clock => Host.Clock;

    public ServiceFactory<Program>? Factory { get => Host.Factory; set => Host.Factory = value; }

    public string ConnectionString { get => Host.ConnectionString; set => Host.ConnectionString = value; }

    /// <summary>Started with the host, disposed before Accounts when the host goes.</summary>
    public IAsyncDisposable? Companion { get => Host.Companion; set => Host.Companion = value; }

    private AccountsHost Host => _host ?? throw new InvalidOperationException("The class has not taken its host yet (BindAsync).");

    /// <summary>Takes the collection's host for <paramref name="key"/> (the class's settings and test services) once, on
    /// <paramref name="servers"/>.</summary>
    public async Task BindAsync(string key, IEnumerable<RealServer> servers) => _host ??= await pool.TakeAsync(key, servers);
}

/// <summary>
/// The Accounts host of one test collection, handed from class to class while their settings and test services are
/// the same (the key), and disposed when a class needs other ones or the collection ends. One at a time: a host left
/// idle beside the next one would still consume from the collection's virtual host. It is stopped before the servers'
/// fixtures give their parts back (<see cref="RealServer.BeforeRelease"/>): xUnit disposes a collection's fixtures side by
/// side, and a virtual host given back while this host's bus still ran could go to another collection. Each host start
/// compiled every route and built the service again (docs/testing.md, "One Accounts host per collection").
/// </summary>
public sealed class AccountsHostPool : IAsyncLifetime
{
    private readonly HashSet<RealServer> _servers = [];
    private AccountsHost? _current;
    private Task? _closing;

    /// <summary>The host for <paramref name="key"/>, on the servers it uses.</summary>
    public async Task<AccountsHost> TakeAsync(string key, IEnumerable<RealServer> servers)
    {
        foreach (var server in servers)
        {
            if (_servers.Add(server)) server.BeforeRelease(CloseAsync);
        }

        if (_current?.Key == key) return _current;
        if (_current is not null) await _current.DisposeAsync();
        return _current = new AccountsHost(key);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => CloseAsync();

    /// <summary>Disposes the last host once, for whichever asks first: the pool or a server's fixture.</summary>
    private Task CloseAsync()
    {
        lock (_servers) return _closing ??= _current is null ? Task.CompletedTask : _current.DisposeAsync().AsTask();
    }
}

/// <summary>Accounts on one database and clock, and what runs beside it.</summary>
public sealed class AccountsHost(string key) : IAsyncDisposable
{
    public string Key { get; } = key;

    public TestClock Clock { get; } = new();

    public ServiceFactory<Program>? Factory { get; set; }

    public string ConnectionString { get; set; } = "";

    public IAsyncDisposable? Companion { get; set; }

    public async ValueTask DisposeAsync()
    {
        if (Factory is not null) await Factory.DisposeAsync();
        if (Companion is not null) await Companion.DisposeAsync();
    }
}

/// <summary>
/// A clock a service keeps for its whole life while each test gives it a <see cref="FakeTimeProvider"/>
/// of its own, starting at the real time: the tests move their clock forward (days, for trusted
/// devices), and the access tokens it stamps are checked against the real time by the JWT handler,
/// so the next test cannot go on from where the last one left it. A timer follows the clock that was
/// current when it was made (the service's housekeeping: the class's first test's).
/// </summary>
public sealed class TestClock : TimeProvider
{
    public FakeTimeProvider Current { get; set; } = new(DateTimeOffset.UtcNow);

    public override DateTimeOffset GetUtcNow() => Current.GetUtcNow();

    public override long GetTimestamp() => Current.GetTimestamp();

    public override long TimestampFrequency => Current.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Current.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        Current.CreateTimer(callback, state, dueTime, period);
}

/// <summary>Accounts in memory (one host per test class, <see cref="AccountsClassHost"/>) on empty
/// tables of the real PostgreSQL server at the start of every test, with a fake clock.</summary>
public abstract class AccountsTestBase(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : IAsyncLifetime, IClassFixture<AccountsClassHost>
{
    public const string Password = "correct-horse-battery-staple";
    public const string InternalKey = "internal-api-key-for-the-tests-0123456789";

    /// <summary>PBKDF2 rounds of every password and PIN hash made here: the service's default (100,000, about
    /// 40 ms of a core each) is what production pays, and no test here is about the hash's cost; the
    /// end-to-end tests and the reliability suite run the real stack with the default.</summary>
    public const int HashIterations = 1_000;

    /// <summary>Where links in the tests' e-mails point.</summary>
    public const string PublicBaseUrl = "https://control-centre.flexwhere.test";

    // One key for the whole run: generating RSA keys is slow and their value does not matter here.
    private static readonly Lazy<string> SigningKeyPem = new(() => RSA.Create(2048).ExportPkcs8PrivateKeyPem());
    private static readonly Lazy<string> PasswordHash = new(() => NewPasswordHasher().HashPassword(null!, Password));

    protected AccountsClassHost Host => host;

    /// <summary>The run's RabbitMQ: Accounts publishes e-mails there (through its outbox).</summary>
    protected RabbitMqServer Broker => rabbitMq;

    /// <summary>This test's clock, which Accounts follows.</summary>
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public ServiceFactory<Program> Factory => host.Factory!;

    public HttpClient Client { get; private set; } = null!;

    protected string ConnectionString => host.ConnectionString;

    /// <summary>Where Accounts finds Challenges: by default nothing listens there (Challenges is down),
    /// which is how a sign-in that needs an SMS code must fail: closed, without tokens.</summary>
    protected static readonly string ChallengesDownUrl = $"http://127.0.0.1:{HealthProbe.ClosedPort()}";

    /// <summary>Settings a test class changes (e.g. a small lockout threshold).</summary>
    protected virtual IEnumerable<(string Key, string? Value)> Settings => [];

    public static PasswordHasher<User> NewPasswordHasher() =>
        new(Options.Create(new PasswordHasherOptions { IterationCount = HashIterations }));

    /// <summary>What decides whether two classes can share a host: the settings they give Accounts and the class that
    /// last overrides <see cref="ConfigureTestServices"/> (what it adds, such as Challenges beside Accounts).</summary>
    private string HostKey =>
        string.Join('\n', Settings.Select(setting => $"{setting.Key}={setting.Value}")) + "\n" +
        GetType().GetMethod(nameof(ConfigureTestServices), BindingFlags.Instance | BindingFlags.NonPublic)!.DeclaringType!.FullName;

    /// <summary>Takes the collection's host for this class's settings; before anything uses <see cref="Host"/>. The host is
    /// stopped before the broker's fixture, or any of <paramref name="alsoUsed"/>, gives its part of the server back.</summary>
    protected Task BindHostAsync(params RealServer[] alsoUsed) => host.BindAsync(HostKey, [rabbitMq, .. alsoUsed]);

    public virtual async Task InitializeAsync()
    {
        await BindHostAsync();
        host.Clock.Current = Time;
        if (host.Factory is null)
        {
            // The migrations run once, into a template the class's database is copied from.
            host.ConnectionString = await postgres.CreateDatabaseAsync("accounts", MigrateAsync);
            host.Factory = NewAccounts();
        }
        else
        {
            await EmptyTablesAsync();
        }

        Client = Factory.CreateClient();
    }

    /// <summary>An Accounts on the class's database and clock, with the class's settings and then <paramref name="settings"/>:
    /// the host's, or another replica beside it.</summary>
    protected ServiceFactory<Program> NewAccounts(params (string Key, string? Value)[] settings) => new(
        [("ConnectionStrings:accountsdb", host.ConnectionString), ("ConnectionStrings:rabbitmq", rabbitMq.ConnectionString),
            ("AccountLinks:PublicBaseUrl", PublicBaseUrl), ("Tokens:SigningKeyPem", SigningKeyPem.Value),
            ("InternalApi:Key", InternalKey), ("Challenges:BaseUrl", ChallengesDownUrl), .. Settings, .. settings])
    {
        TestServices = services =>
        {
            services.AddSingleton<TimeProvider>(host.Clock);
            services.Configure<PasswordHasherOptions>(options => options.IterationCount = HashIterations);
            ConfigureTestServices(services);
        },
    };

    /// <summary>
    /// Every table as the migrations left it: empty (the migrations insert no rows), and each identity column counting
    /// from 1 again. DELETE, not TRUNCATE: the tables hold a few rows, and a TRUNCATE gives every table and index a new
    /// file, which cost PostgreSQL more than the tests' own queries (docs/testing.md, "Emptying the tables"). The
    /// session skips the foreign keys' triggers (replica role), so the order of the tables does not matter.
    /// </summary>
    private async Task EmptyTablesAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            DO $$
            DECLARE name text;
            BEGIN
              SET LOCAL session_replication_role = replica;
              FOR name IN SELECT format('%I', tablename) FROM pg_tables
                          WHERE schemaname = 'public' AND tablename <> '__EFMigrationsHistory' LOOP
                EXECUTE 'DELETE FROM ' || name;
              END LOOP;
              PERFORM setval(format('%I.%I', sequence_schema, sequence_name), 1, false)
                FROM information_schema.sequences WHERE sequence_schema = 'public';
            END $$;
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task MigrateAsync(string connectionString)
    {
        await using var db = DbContextFor(connectionString);
        await db.Database.MigrateAsync();
    }

    public virtual Task DisposeAsync()
    {
        Client.Dispose();
        return Task.CompletedTask;
    }

    protected virtual void ConfigureTestServices(IServiceCollection services)
    {
    }

    /// <summary>A context of its own, outside the service: what is really in the database.</summary>
    protected AccountsDbContext NewDbContext() => DbContextFor(ConnectionString);

    protected static AccountsDbContext DbContextFor(string connectionString) =>
        new(new DbContextOptionsBuilder<AccountsDbContext>().UseNpgsql(connectionString).Options);

    protected async Task<Organisation> CreateOrganisationAsync(string name = "Acme", Action<Organisation>? configure = null)
    {
        var organisation = Organisation.Create(name, "NL", Time.GetUtcNow());
        configure?.Invoke(organisation);
        await using var db = NewDbContext();
        db.Organisations.Add(organisation);
        await db.SaveChangesAsync();
        return organisation;
    }

    protected async Task<User> CreateUserAsync(Organisation organisation, UserRole role, string? phone = "+31612345678",
        string? email = null, bool active = true)
    {
        var user = new User
        {
            Id = Guid.NewGuid(),
            OrganisationId = organisation.Id,
            Email = email ?? $"{role.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}@example.test",
            NormalizedEmail = "",
            DisplayName = $"{role} {organisation.Name}",
            Role = role,
            Active = active,
            PhoneNumber = phone,
            PhoneVerified = phone is not null,
            PasswordHash = PasswordHash.Value,
            CreatedAt = Time.GetUtcNow(),
        };
        // Admins made by a test have been admins for a while, so they can approve four-eyes changes.
        user.SetRole(role, Time.GetUtcNow().AddDays(-30));
        user.NormalizedEmail = User.Normalize(user.Email);
        await using var db = NewDbContext();
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user;
    }

    /// <summary>A client with an access token of a live session, as after a complete sign-in: admins and
    /// managers with an SMS code just now (so a step-up is fresh), employees on mobile with the password.</summary>
    protected HttpClient ClientFor(User user, string? client = null, string[]? amr = null, bool freshSecondFactor = true)
    {
        var session = CreateSession(user, client, amr, freshSecondFactor);
        return ClientWithToken(Factory.Services.GetRequiredService<Tokens>().CreateAccessToken(user, session));
    }

    protected HttpClient ClientWithToken(string accessToken)
    {
        var http = Factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return http;
    }

    protected UserSession CreateSession(User user, string? client = null, string[]? amr = null, bool freshSecondFactor = true)
    {
        var staff = user.Role is UserRole.Admin or UserRole.Manager;
        amr ??= staff ? [AuthMethods.Password, AuthMethods.Sms] : [AuthMethods.Password];
        using var db = NewDbContext();
        var session = Sessions.Open(db, user, client ?? (staff ? Clients.ControlCentre : Clients.Mobile), amr,
            freshSecondFactor && Assurance.IsMultiFactor(Assurance.AcrFor(amr)), null, Time.GetUtcNow(), new SessionLimits());
        db.SaveChanges();
        return session;
    }

    protected Task<HttpResponseMessage> LoginAsync(string email, string password = Password, string client = "mobile") =>
        Client.PostAsJsonAsync("/api/auth/login", new { email, password, client, deviceToken = (string?)null });

    protected static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.DoesNotContain("   at ", body); // no stack trace
        AssertOneProblemShape(response, problem);
        return problem;
    }

    /// <summary>What every problem keeps (docs/problems.md): a validation problem names its fields in
    /// errors, and Retry-After and retryAfterSeconds say the same.</summary>
    protected static void AssertOneProblemShape(HttpResponseMessage response, JsonElement problem)
    {
        if (problem.GetProperty("code").GetString() == "validation_failed")
        {
            var errors = problem.GetProperty("errors");
            Assert.Equal(JsonValueKind.Object, errors.ValueKind);
            Assert.NotEmpty(errors.EnumerateObject());
            Assert.All(errors.EnumerateObject(), field => Assert.NotEmpty(field.Value.EnumerateArray()));
        }

        var header = response.Headers.RetryAfter?.Delta;
        var member = problem.TryGetProperty("retryAfterSeconds", out var seconds) ? seconds.GetInt64() : (long?)null;
        Assert.Equal((long?)header?.TotalSeconds, member);
        if (member is not null) Assert.True(member >= 1, $"Retry-After {member}");
    }

    protected static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    protected async Task<List<Audit.AuditEntry>> AuditAsync(Guid organisationId)
    {
        await using var db = NewDbContext();
        return await db.AuditEntries.Where(e => e.OrganisationId == organisationId).OrderBy(e => e.Id).ToListAsync();
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
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
using Microsoft.Extensions.Time.Testing;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>Accounts in memory on a fresh, migrated database of the real PostgreSQL server, with a
/// fake clock. Each test class gets its own database.</summary>
public abstract class AccountsTestBase(PostgresServer postgres) : IAsyncLifetime
{
    public const string Password = "correct-horse-battery-staple";
    public const string InternalKey = "internal-api-key-for-the-tests-0123456789";

    // One key for the whole run: generating RSA keys is slow and their value does not matter here.
    private static readonly Lazy<string> SigningKeyPem = new(() => RSA.Create(2048).ExportPkcs8PrivateKeyPem());
    private static readonly Lazy<string> PasswordHash = new(() => new PasswordHasher<User>().HashPassword(null!, Password));

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public ServiceFactory<Program> Factory { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    protected string ConnectionString { get; private set; } = null!;

    /// <summary>Where Accounts finds Challenges: by default nothing listens there (Challenges is down),
    /// which is how a sign-in that needs an SMS code must fail: closed, without tokens.</summary>
    protected static readonly string ChallengesDownUrl = $"http://127.0.0.1:{HealthProbe.ClosedPort()}";

    /// <summary>Settings a test class changes (e.g. a small lockout threshold).</summary>
    protected virtual IEnumerable<(string Key, string? Value)> Settings => [];

    public virtual async Task InitializeAsync()
    {
        // The migrations run once, into a template each test's database is copied from.
        ConnectionString = await postgres.CreateDatabaseAsync("accounts", MigrateAsync);

        Factory = new ServiceFactory<Program>(
            [("ConnectionStrings:accountsdb", ConnectionString), ("Tokens:SigningKeyPem", SigningKeyPem.Value),
                ("InternalApi:Key", InternalKey), ("Challenges:BaseUrl", ChallengesDownUrl), .. Settings])
        {
            TestServices = services =>
            {
                services.AddSingleton<TimeProvider>(Time);
                ConfigureTestServices(services);
            },
        };
        Client = Factory.CreateClient();
    }

    private static async Task MigrateAsync(string connectionString)
    {
        await using var db = DbContextFor(connectionString);
        await db.Database.MigrateAsync();
    }

    public virtual Task DisposeAsync()
    {
        Client.Dispose();
        Factory.Dispose();
        return Task.CompletedTask;
    }

    protected virtual void ConfigureTestServices(IServiceCollection services)
    {
    }

    /// <summary>A context of its own, outside the service: what is really in the database.</summary>
    protected AccountsDbContext NewDbContext() => DbContextFor(ConnectionString);

    private static AccountsDbContext DbContextFor(string connectionString) =>
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
            freshSecondFactor && Assurance.AcrFor(amr) == Assurance.Aal2, null, Time.GetUtcNow(), new SessionLimits());
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

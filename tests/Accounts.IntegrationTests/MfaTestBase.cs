extern alias ChallengesService;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlexWhere.Accounts.Mfa;
using FlexWhere.Accounts.Users;
using FlexWhere.Contracts;
using FlexWhere.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FlexWhere.Accounts.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class MfaCollection : ICollectionFixture<AccountsHostPool>,
    ICollectionFixture<PostgresServer>, ICollectionFixture<RedisServer>, ICollectionFixture<RabbitMqServer>
{
    public const string Name = "Accounts with Challenges";
}

/// <summary>Accounts with the real Challenges service beside it (real Redis, real RabbitMQ): the SMS
/// codes are read from the broker where the Notifier would take them. Challenges, its clock and the
/// capture of the broker's SendSms are shared by the tests that share Accounts (<see cref="AccountsHostPool"/>).</summary>
public abstract class MfaTestBase(PostgresServer postgres, AccountsClassHost host, RedisServer redis, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    private ChallengesBeside Beside => (ChallengesBeside)Host.Companion!;

    protected SmsCapture Sms => Beside.Sms;

    /// <summary>Challenges' clock (code expiry, resend waits), apart from Accounts' <see cref="AccountsTestBase.Time"/>.</summary>
    protected Microsoft.Extensions.Time.Testing.FakeTimeProvider ChallengesTime { get; } = new(DateTimeOffset.UtcNow);

    /// <remarks>Challenges answers in-process; 30 s instead of production's 10 is room for a test run that keeps two cores
    /// oversubscribed many times over, above the 20 s Challenges may wait for the broker here. A Challenges that never
    /// answers is refused after the timeout (SignInTests).</remarks>
    protected override IEnumerable<(string Key, string? Value)> Settings =>
        [("Challenges:BaseUrl", "http://challenges"), ("Challenges:Timeout", "00:00:30")];

    public override async Task InitializeAsync()
    {
        // Challenges beside Accounts uses the collection's Redis database too.
        await BindHostAsync(redis);
        Host.Companion ??= await ChallengesBeside.StartAsync(redis, Broker);
        Beside.Clock.Current = ChallengesTime;
        await base.InitializeAsync();
    }

    protected override void ConfigureTestServices(IServiceCollection services)
    {
        var beside = Beside;
        services.AddHttpClient<ChallengesClient>().ConfigurePrimaryHttpMessageHandler(() => beside.Service.Server.CreateHandler());
    }

    private sealed class ChallengesBeside(TestClock clock) : IAsyncDisposable
    {
        public required ServiceFactory<ChallengesService::Program> Service { get; init; }

        public required SmsCapture Sms { get; init; }

        public TestClock Clock => clock;

        public static async Task<ChallengesBeside> StartAsync(RedisServer redis, RabbitMqServer rabbitMq)
        {
            var clock = new TestClock();
            var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
            var service = new ServiceFactory<ChallengesService::Program>(
                // This assembly runs at nice 5 beside the stack suites: in a clean-clone run (2026-11-30) a Redis reply waited over the
                // client's 5 s, StackExchange.Redis then dropped the connection as dead ("no reads in 30 seconds with 1 timeouts")
                // and a sign-in got 503 challenges_unavailable. Challenges' own handling of that is tested in its suite.
                ("ConnectionStrings:redis", $"{redis.ConnectionString},asyncTimeout=20000,syncTimeout=20000"),
                ("ConnectionStrings:rabbitmq", rabbitMq.ConnectionString),
                ("Challenges:CodeHashKey", new string('k', 48)),
                // A class's first SendSms opens the channel and declares the topology; on starved cores its confirm took
                // over the default 5 s in a clean-clone run (503 sms_not_sent). Accounts waits 30 s (Settings).
                ("Challenges:PublishTimeout", "00:00:20"),
                ("InternalApi:Key", InternalKey),
                // One client address for every test in this process: the per-IP limit is Challenges' own business, tested there.
                ("Challenges:Limits:PerClientIp", "100000"),
                ("Challenges:Limits:PerNumberPrefix", "100000"))
            {
                TestServices = services =>
                {
                    services.AddSingleton<TimeProvider>(clock);
                    services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
                },
            };
            // Started and asked for its readiness (Redis connected, the bus started) before any test's sign-in, so no
            // sign-in pays Challenges' start: a clean-clone run (2026-11-30) saw the first sign-in of a class take
            // over 10 s (Redis alone 2.7 s to connect) and get 503 mfa_unavailable.
            using (var client = service.CreateClient())
            {
                using var ready = await client.GetAsync(Microsoft.Extensions.Hosting.HealthEndpoints.ReadinessPath);
                ready.EnsureSuccessStatusCode();
            }

            return new ChallengesBeside(clock) { Service = service, Sms = sms };
        }

        public async ValueTask DisposeAsync()
        {
            await Service.DisposeAsync();
            await Sms.DisposeAsync();
        }
    }

    /// <summary>A user with a fresh Dutch mobile number, so tests never share send limits.</summary>
    protected async Task<User> CreateMfaUserAsync(Organisations.Organisation organisation, UserRole role = UserRole.Admin,
        bool phoneVerified = true)
    {
        var user = await CreateUserAsync(organisation, role, phone: NewMobile());
        if (phoneVerified) return user;

        await using var db = NewDbContext();
        db.Attach(user);
        user.PhoneVerified = false;
        await db.SaveChangesAsync();
        return user;
    }

    protected static string NewMobile() =>
        "+3162" + System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 10_000_000)
            .ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

    protected Task<HttpResponseMessage> ControlCentreLoginAsync(User user, string? deviceToken = null, string password = Password) =>
        Client.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password, client = "control-centre", deviceToken });

    /// <summary>Password right, SMS sent: the login ticket and the code from the SMS.</summary>
    protected async Task<(string Ticket, string Code, JsonElement Body)> StartSmsSignInAsync(User user, string? deviceToken = null)
    {
        JsonElement body = default;
        var sms = await NextSmsToAsync(user.PhoneNumber!, async () => body = await JsonAsync(await ControlCentreLoginAsync(user,
            deviceToken)));
        Assert.Equal("mfa_required", body.GetProperty("status").GetString());
        Assert.Equal("sms", body.GetProperty("method").GetString());
        return (body.GetProperty("loginTicket").GetString()!, sms.Code, body);
    }

    /// <summary>The SMS that <paramref name="action"/> causes to <paramref name="destination"/>.</summary>
    protected async Task<SendSms> NextSmsToAsync(string destination, Func<Task> action)
    {
        var before = Sms.Sent.Count(m => m.Destination == destination);
        await action();
        await Sms.WaitForAsync(_ => Sms.Sent.Count(m => m.Destination == destination) > before);
        return Sms.Sent.Where(m => m.Destination == destination).Skip(before).First();
    }

    /// <summary>What the Notifier reports of <paramref name="sms"/>: sent, and then, when asked, delivered.</summary>
    protected async Task ReportDeliveryAsync(SendSms sms, bool delivered)
    {
        var bus = Beside.Service.Services.GetRequiredService<IBus>();
        var at = ChallengesTime.GetUtcNow();
        await bus.Publish(new SmsSent
        {
            MessageId = sms.MessageId,
            ChallengeId = sms.ChallengeId,
            ProviderMessageId = "SM-1",
            SentAt = at,
        });
        if (delivered)
        {
            await bus.Publish(new SmsDelivered { ChallengeId = sms.ChallengeId, ProviderMessageId = "SM-1", DeliveredAt = at });
        }
    }

    protected Task<HttpResponseMessage> VerifyAsync(string ticket, string code, bool rememberDevice = false) =>
        Client.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code, rememberDevice });

    /// <summary>A complete SMS sign-in; the device token when asked to remember the device.</summary>
    protected async Task<JsonElement> SignInWithSmsAsync(User user, bool rememberDevice = false, string? deviceToken = null)
    {
        var (ticket, code, _) = await StartSmsSignInAsync(user, deviceToken);
        var signedIn = await JsonAsync(await VerifyAsync(ticket, code, rememberDevice));
        Assert.Equal("signed_in", signedIn.GetProperty("status").GetString());
        return signedIn;
    }

    protected HttpClient BearerClient(JsonElement signedIn)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", signedIn.GetProperty("accessToken").GetString());
        return client;
    }

    protected static string WrongCode(string code) => code == "000000" ? "111111" : "000000";

}

extern alias GatewayService;
extern alias NotifierService;
using System.ComponentModel.DataAnnotations;
using FlexWhere.Challenges.Limits;
using Microsoft.Extensions.Configuration;
using GatewayOptions = GatewayService::FlexWhere.Gateway.GatewayOptions;
using RateLimitOptions = GatewayService::FlexWhere.Gateway.RateLimitOptions;
using SmsResilienceOptions = NotifierService::FlexWhere.Notifier.Providers.Twilio.SmsResilienceOptions;

namespace FlexWhere.Bench.UnitTests;

/// <summary>The limits the bench lifts (docs/benchmarks.md): out of the bench's reach on any machine, and accepted by
/// the services, which would otherwise refuse to start or throttle the run.</summary>
public sealed class BenchLimitsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(16)]
    [InlineData(128)]
    [InlineData(512)]
    public void Every_lifted_limit_stays_above_what_the_bench_can_send_in_its_window(int cores)
    {
        foreach (var limit in BenchLimits.Lifted)
        {
            Assert.True(limit.OutOfReach(cores), $"{limit.Setting} {limit.Value} per {limit.Window}: the bench can send " +
                $"{limit.MostPerWindow(cores)} on {cores} cores");
        }

        Assert.Empty(BenchLimits.Reachable(cores));
    }

    [Fact]
    public void The_Gateway_limit_that_broke_the_bench_is_within_reach()
    {
        // 100 000 per minute ran out during P1 (8 000+ requests a second from one address).
        var gateway = BenchLimits.Lifted.Single(limit => limit.Setting == "Gateway__RateLimits__AnonymousPerIpPerMinute");
        var old = gateway with { Value = 100_000 };

        Assert.False(old.OutOfReach(2));
        Assert.True(gateway.OutOfReach(2));
    }

    [Fact]
    public void The_sign_in_bounds_follow_the_cores_and_the_run_length()
    {
        // 2 cores: at most 200 sign-ins a second, each of 3 000 users at most once (+1 at a window's edge); P3 warms up for
        // at most 120 s and measures 10 s, P5 runs 20 s, plus the first sign-in.
        Assert.Equal(200, BenchLimits.MostSignInsPerSecond(2));
        Assert.Equal(1, BenchLimits.MostSignInsPerUserPerSecond(2));
        Assert.Equal(200 * 150 + 1, BenchLimits.MostSignInsPerRun(2));
        // P4: 1 250 warm-up and 2 × 5 000 messages, more than 2 cores sign in per second.
        Assert.Equal(11_250, BenchLimits.MostSmsPerSecond(2));
    }

    [Fact]
    public void The_Gateway_accepts_the_lifted_values_and_reads_each_of_them()
    {
        var options = Bind<RateLimitOptions>($"{GatewayOptions.SectionName}:RateLimits");

        AssertValid(options);
        AssertEachLiftedValueReached(options, "Gateway__RateLimits__");
    }

    [Fact]
    public void Challenges_accepts_the_lifted_values_and_reads_each_of_them_with_its_window()
    {
        var options = Bind<LimitOptions>(LimitOptions.SectionName);

        AssertValid(options);
        AssertEachLiftedValueReached(options, "Challenges__Limits__");
        Assert.Equal(TimeSpan.FromSeconds(1), options.PerClientIpWindow);
        Assert.Equal(TimeSpan.FromSeconds(1), options.SendWindow);
    }

    [Fact]
    public void The_Notifier_accepts_the_lifted_values_and_reads_each_of_them()
    {
        var options = Bind<SmsResilienceOptions>(SmsResilienceOptions.SectionName);

        AssertValid(options);
        AssertEachLiftedValueReached(options, "Notifier__SmsResilience__");
    }

    /// <summary>The bench's environment as the services read it (<c>__</c> is the section separator), bound strictly:
    /// a misspelt setting fails here instead of being ignored by the service.</summary>
    private static T Bind<T>(string section) where T : new()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(Services.BenchEnvironment.Select(kv => KeyValuePair.Create(kv.Key.Replace("__", ":",
                StringComparison.Ordinal), (string?)kv.Value)))
            .Build();
        var options = new T();
        configuration.GetSection(section).Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        return options;
    }

    private static void AssertValid(object options)
    {
        var errors = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);
        Assert.Empty(errors.Select(error => error.ErrorMessage));
    }

    private static void AssertEachLiftedValueReached(object options, string prefix)
    {
        var lifted = BenchLimits.Lifted.Where(limit => limit.Setting.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lifted);
        foreach (var limit in lifted)
        {
            var property = options.GetType().GetProperty(limit.Setting[prefix.Length..]);
            Assert.NotNull(property);
            Assert.Equal(limit.Value, Convert.ToInt64(property.GetValue(options), System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}

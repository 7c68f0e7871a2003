using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlexWhere.Messaging;

public sealed class EndpointWatchdogOptions
{
    public const string SectionName = "Messaging:EndpointWatchdog";

    /// <summary>How long a receive endpoint may go without consuming, while the broker is reachable, before it is started
    /// again. Longer than MassTransit's own tries need: each waits up to 20 s for the broker's reply.</summary>
    [SettingRange("00:00:01", "01:00:00")]
    public TimeSpan RestartAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the endpoints' health is read.</summary>
    [SettingRange("00:00:00.100", "00:01:00")]
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long stopping an endpoint may take before it is started again; a consumer still running holds the stop.</summary>
    [SettingRange("00:00:01", "00:10:00")]
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Starts a receive endpoint again when it has not consumed for <see cref="EndpointWatchdogOptions.RestartAfter"/> while the
/// broker is reachable. MassTransit starts an endpoint again on a new channel after its channel closed, and tries again when
/// that fails; but a clean-clone run under load (2026-12-02) saw <c>send-sms</c> fault once (after about RabbitMQ.Client's 20-s
/// wait for a reply) and then stay without a consumer for the minute and a half the test waited, with nothing in the log after the
/// fault: no SMS would have gone out until the Notifier was restarted. What kept it down was not found; a slow broker alone does not
/// (the endpoints consumed again as soon as the broker answered, in a scratch test that held its answers for 25 s). So this is a safety
/// net for an endpoint that stays down, whatever the cause: the endpoint is stopped (for at most
/// <see cref="EndpointWatchdogOptions.StopTimeout"/>) and started, on a new channel, and the broker hands out again what the old
/// one had not acknowledged. Starting the whole bus again does not do it in MassTransit 8: the bus's own endpoint comes back, the
/// consumers' endpoints do not (tried on 2026-12-02).
/// While an endpoint's last fault says the broker is unreachable (a connection refused or lost,
/// <see cref="BrokerReachability.Unreachable"/>) MassTransit's own reconnection is in charge, and nothing is counted. An endpoint
/// is watched once it has been ready, and only while the bus is started: the bus's own start and stop are MassTransit's.
/// An endpoint that was started again and still does not consume by the next limit fails the service's liveness
/// (<see cref="CheckHealthAsync"/>): a new channel on the same connection did not help, and only a new process will.
/// </summary>
public sealed class ReceiveEndpointWatchdog(IServiceProvider services, IOptions<EndpointWatchdogOptions> options,
    ILogger<ReceiveEndpointWatchdog> logger) : BackgroundService, IReceiveEndpointObserver, IBusObserver, IHealthCheck
{
    /// <summary>The name of the liveness check (<see cref="HealthEndpoints.LiveTag"/>) that fails while an endpoint started again
    /// still does not consume.</summary>
    public const string LivenessCheckName = "receive-endpoints";

    /// <summary>The machine's clock, never the service's <see cref="TimeProvider"/>: a broker's silence is real time, and a test
    /// that moves its fake clock by days would make a periodic timer on it fire for every period in between.</summary>
    private static readonly TimeProvider Clock = TimeProvider.System;

    /// <summary>The endpoints watched (by input address): each since it was first ready.</summary>
    private readonly Dictionary<string, Watched> _watched = [];

    /// <summary>Between the bus's start and its stop: endpoints stopped by the bus's own stop are not started again.</summary>
    private volatile bool _busStarted;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        // Resolved here: MassTransit resolves this class as an observer while it builds the bus.
        var bus = services.GetRequiredService<IBusControl>();
        using var timer = new PeriodicTimer(settings.CheckEvery, Clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var endpoint in Stuck(bus.CheckHealth(), Clock.GetUtcNow(), settings.RestartAfter))
            {
                logger.LogWarning("Receive endpoint {Endpoint} has not consumed for {Seconds:0.#} s while the broker is reachable; " +
                    "starting it again", endpoint.InputAddress, settings.RestartAfter.TotalSeconds);
                await RestartAsync(endpoint, settings.StopTimeout, stoppingToken);
            }
        }
    }

    /// <summary>Counts each watched endpoint's time without consuming; those that have gone <paramref name="limit"/> without
    /// while their last fault does not say the broker is unreachable. Each is counted again from now.</summary>
    private List<IReceiveEndpoint> Stuck(BusHealthResult health, DateTimeOffset now, TimeSpan limit)
    {
        List<IReceiveEndpoint> stuck = [];
        lock (_watched)
        {
            if (!_busStarted)
            {
                foreach (var endpoint in _watched.Values) endpoint.Consumes();
                return stuck;
            }

            foreach (var (address, result) in health.Endpoints)
            {
                if (result.Status == BusHealthStatus.Healthy)
                {
                    Watch(address).Consumes();
                }
                else if (_watched.TryGetValue(address, out var endpoint))
                {
                    // The health's exception stays the first fault's until the endpoint is ready again: the last fault is kept
                    // here.
                    if (BrokerReachability.Unreachable(endpoint.LastFault))
                    {
                        endpoint.Consumes();
                        continue;
                    }

                    endpoint.NotConsumingSince ??= now;
                    if (now - endpoint.NotConsumingSince < limit || result.ReceiveEndpoint is null) continue;
                    stuck.Add(result.ReceiveEndpoint);
                    endpoint.NotConsumingSince = now;
                    endpoint.Restarts++;
                }
            }
        }

        return stuck;
    }

    /// <summary>
    /// Liveness: unhealthy while an endpoint that was started again (once or more) has still not consumed by the time the
    /// watchdog would start it again. A new channel did not help, so its connection (or the process) is wedged; an orchestrator
    /// that sees the liveness probe fail starts the service again (deploy/: the Notifier's and Challenges' probes are on
    /// <c>/alive</c>). Never while the broker is unreachable: every replica would be restarted for the broker's outage.
    /// </summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        lock (_watched)
        {
            var wedged = _watched.Where(pair => pair.Value.Wedged).Select(pair => pair.Key).ToArray();
            return Task.FromResult(wedged.Length == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"Started again, still not consuming: {string.Join(", ", wedged)}"));
        }
    }

    private Watched Watch(string address)
    {
        if (!_watched.TryGetValue(address, out var endpoint)) _watched[address] = endpoint = new Watched();
        return endpoint;
    }

    private async Task RestartAsync(IReceiveEndpoint endpoint, TimeSpan stopTimeout, CancellationToken stoppingToken)
    {
        try
        {
            using (var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                stopping.CancelAfter(stopTimeout);
                await endpoint.Stop(stopping.Token);
            }

            endpoint.Start(stoppingToken);
        }
        catch (Exception failed) when (failed is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // A stop that did not end leaves the endpoint as it was; it is tried again after the limit.
            logger.LogError(failed, "Starting receive endpoint {Endpoint} again failed", endpoint.InputAddress);
        }
    }

    Task IReceiveEndpointObserver.Ready(ReceiveEndpointReady ready)
    {
        lock (_watched) Watch(ready.InputAddress.ToString()).LastFault = null;
        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Faulted(ReceiveEndpointFaulted faulted)
    {
        lock (_watched)
        {
            if (_watched.TryGetValue(faulted.InputAddress.ToString(), out var endpoint)) endpoint.LastFault = faulted.Exception;
        }

        return Task.CompletedTask;
    }

    Task IBusObserver.PostStart(IBus bus, Task<BusReady> busReady)
    {
        _busStarted = true;
        return Task.CompletedTask;
    }

    Task IBusObserver.PreStop(IBus bus)
    {
        _busStarted = false;
        return Task.CompletedTask;
    }

    void IBusObserver.PostCreate(IBus bus)
    {
    }

    void IBusObserver.CreateFaulted(Exception exception)
    {
    }

    Task IBusObserver.PreStart(IBus bus) => Task.CompletedTask;

    Task IBusObserver.StartFaulted(IBus bus, Exception exception) => Task.CompletedTask;

    Task IBusObserver.PostStop(IBus bus) => Task.CompletedTask;

    Task IBusObserver.StopFaulted(IBus bus, Exception exception) => Task.CompletedTask;

    Task IReceiveEndpointObserver.Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    Task IReceiveEndpointObserver.Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    private sealed class Watched
    {
        public DateTimeOffset? NotConsumingSince { get; set; }

        /// <summary>How often the watchdog has started it again since it last consumed.</summary>
        public int Restarts { get; set; }

        /// <summary>Started again once already, and still not consuming by the next limit: what holds it is more than its
        /// channel (liveness fails meanwhile).</summary>
        public bool Wedged => Restarts > 1;

        /// <summary>Consuming (or not to be counted): nothing held against it.</summary>
        public void Consumes() => (NotConsumingSince, Restarts) = (null, 0);

        public Exception? LastFault { get; set; }
    }
}

using MassTransit;
using MassTransit.RabbitMqTransport;
using MassTransit.RabbitMqTransport.Configuration;
using MassTransit.Transports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

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

    /// <summary>How long stopping an endpoint may take before the bus's connection is closed so that it ends (a consumer still
    /// running holds a stop too).</summary>
    [SettingRange("00:00:01", "00:10:00")]
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Starts a receive endpoint again when it has not consumed for <see cref="EndpointWatchdogOptions.RestartAfter"/> while the
/// broker is reachable. MassTransit starts an endpoint again on a new channel after its channel closed, and tries again when
/// that fails, except when opening the channel ends in an <see cref="OperationCanceledException"/>: MassTransit 8's receive
/// transport then stops trying for good (read in its <c>ReceiveTransport</c>), and RabbitMQ.Client 7 ends its 20-s wait for the
/// broker's answer to a channel's open with a <see cref="TaskCanceledException"/>. A clean-clone run under load (2026-12-02) saw
/// just that: <c>send-sms</c> faulted so and stayed without a consumer, and no SMS would have gone out until the Notifier was
/// restarted. The endpoint is stopped and started again on a new channel, and the broker hands out again what the old one had
/// not acknowledged. A stop that has not ended after <see cref="EndpointWatchdogOptions.StopTimeout"/> waits on a connection
/// that does not answer: the bus's connection is closed, and every endpoint starts again on a new one. Starting the whole bus
/// again does not do it in MassTransit 8: the bus's own endpoint comes back, the consumers' endpoints do not (tried on
/// 2026-12-02).
/// While an endpoint's last fault says the broker is unreachable (a connection refused or lost,
/// <see cref="BrokerReachability.Unreachable(Uri)"/>) MassTransit's own reconnection is in charge, and nothing is counted. An endpoint
/// is watched once it has been ready, and only while the bus is started: the bus's own start and stop are MassTransit's.
/// An endpoint that was started again and still does not consume by the next limit fails the service's liveness
/// (<see cref="CheckHealthAsync"/>): only a new process will help.
/// </summary>
public sealed class ReceiveEndpointWatchdog(IServiceProvider services, BrokerReachability broker, IOptions<EndpointWatchdogOptions> options,
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
            var now = Clock.GetUtcNow();
            foreach (var (endpoint, watched) in Stuck(bus.CheckHealth(), now, settings.RestartAfter))
            {
                logger.LogWarning("Receive endpoint {Endpoint} has not consumed for {Seconds:0.#} s while the broker is reachable; " +
                    "starting it again", endpoint.InputAddress, settings.RestartAfter.TotalSeconds);
                watched.Stop = new EndpointStop(endpoint, endpoint.Stop(stoppingToken), now);
            }

            await FollowStopsAsync(now, settings.StopTimeout, stoppingToken);
        }
    }

    /// <summary>Counts each watched endpoint's time without consuming; those that have gone <paramref name="limit"/> without
    /// while their last fault does not say the broker is unreachable are to be started again, and counted again from now.
    /// One whose stop the watchdog began and which has not ended is counted, not stopped again.</summary>
    private List<(IReceiveEndpoint Endpoint, Watched Watched)> Stuck(BusHealthResult health, DateTimeOffset now, TimeSpan limit)
    {
        List<(IReceiveEndpoint, Watched)> stuck = [];
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
                    // From the endpoint's last fault (the health's exception stays the first fault's until it is ready again). A stop
                    // the watchdog began faults the endpoint too (closing the connection says "unreachable").
                    if (endpoint.Stop is null && broker.Unreachable(result.InputAddress))
                    {
                        endpoint.Consumes();
                        continue;
                    }

                    endpoint.NotConsumingSince ??= now;
                    if (now - endpoint.NotConsumingSince < limit || result.ReceiveEndpoint is null) continue;
                    endpoint.NotConsumingSince = now;
                    endpoint.Restarts++;
                    if (endpoint.Stop is null) stuck.Add((result.ReceiveEndpoint, endpoint));
                }
            }
        }

        return stuck;
    }

    /// <summary>
    /// Starts each endpoint whose stop has ended. A stop that has not ended within <paramref name="stopTimeout"/> waits on the
    /// connection: the endpoint's transport waits for a channel the connection never opened (MassTransit 8 ends an endpoint's
    /// tries for good when opening its channel times out, and its stop ignores its token). The bus's connection is then closed
    /// once: the stop ends once MassTransit has let the old connection go, and every endpoint starts again on a new one, as
    /// after a broker restart.
    /// </summary>
    private async Task FollowStopsAsync(DateTimeOffset now, TimeSpan stopTimeout, CancellationToken stoppingToken)
    {
        List<(string Address, Watched Watched)> stopping;
        lock (_watched) stopping = _watched.Where(pair => pair.Value.Stop is not null).Select(pair => (pair.Key, pair.Value)).ToList();
        foreach (var (address, watched) in stopping)
        {
            var stop = watched.Stop!;
            if (stop.Task.IsCompleted)
            {
                watched.Stop = null;
                try
                {
                    await stop.Task;
                    // The bus's own stop came meanwhile: the endpoint stays stopped with it.
                    if (_busStarted) stop.Endpoint.Start(stoppingToken);
                }
                catch (Exception failed) when (failed is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // The endpoint is left as it was; it is tried again after the limit.
                    logger.LogError(failed, "Starting receive endpoint {Endpoint} again failed", address);
                }
            }
            else if (!stop.ConnectionClosed && now - stop.Began >= stopTimeout)
            {
                stop.ConnectionClosed = true;
                logger.LogWarning("Stopping receive endpoint {Endpoint} did not end within {Seconds:0.#} s; closing the bus's connection " +
                    "so that it starts again on a new one", address, stopTimeout.TotalSeconds);
                await CloseConnectionAsync(stopTimeout, stoppingToken);
            }
        }
    }

    /// <summary>Aborts the bus's connection to RabbitMQ without waiting for the broker's answer (the connection may be the one that
    /// stopped answering); MassTransit connects again at once.</summary>
    private async Task CloseConnectionAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        if (services.GetRequiredService<IBusInstance>().HostConfiguration is not IRabbitMqHostConfiguration rabbit) return;
        var close = rabbit.ConnectionContextSupervisor.Send(
            Pipe.ExecuteAsync<ConnectionContext>(context => context.Connection.AbortAsync()), stoppingToken);
        try
        {
            // MassTransit's handling of the lost connection can hold the send after the abort is done; it is not waited for.
            await close.WaitAsync(timeout, stoppingToken);
        }
        catch (Exception failed) when (failed is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            _ = close.ContinueWith(static abandoned => abandoned.Exception, TaskContinuationOptions.OnlyOnFaulted);
            if (failed is not TimeoutException) logger.LogError(failed, "Closing the bus's connection failed");
        }
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

    Task IReceiveEndpointObserver.Ready(ReceiveEndpointReady ready)
    {
        lock (_watched) Watch(ready.InputAddress.ToString());
        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;

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

        /// <summary>The stop the watchdog began, until it has ended and the endpoint was started again. Only the watchdog's timer
        /// loop reads and writes it, one tick after the other.</summary>
        public EndpointStop? Stop { get; set; }
    }

    private sealed class EndpointStop(IReceiveEndpoint endpoint, Task task, DateTimeOffset began)
    {
        public IReceiveEndpoint Endpoint { get; } = endpoint;

        public Task Task { get; } = task;

        public DateTimeOffset Began { get; } = began;

        public bool ConnectionClosed { get; set; }
    }
}

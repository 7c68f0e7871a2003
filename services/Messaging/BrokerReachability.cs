using MassTransit;
using RabbitMQ.Client.Exceptions;

namespace FlexWhere.Messaging;

/// <summary>
/// Whether the bus knows its broker is unreachable: a receive endpoint's last fault says "Broker unreachable" (MassTransit
/// tried to connect again after the connection was refused or lost, and failed) and it has not been ready since. A publish
/// then waits for a reconnection until its timeout (R4 in the reliability suite saw a sign-in answered after the whole 30 s its
/// stack allows), although the answer is known: <see cref="PublishAsync{T}"/> does not begin one, and gives up one already
/// waiting as soon as the failure is known. A connection that was only lost is not yet unreachable: MassTransit connects
/// again within about a second (to another node of a cluster, too), and a publish waiting for that goes out. A slow broker that
/// is still connected is not unreachable either: its publishes keep their timeout.
/// </summary>
public sealed class BrokerReachability : IReceiveEndpointObserver
{
    private readonly Lock _gate = new();

    /// <summary>The endpoints (by input address) whose last fault, since they were last ready, says the broker is unreachable.</summary>
    private readonly HashSet<Uri> _unreachable = [];

    /// <summary>Completed when the broker becomes known unreachable; a new one once every endpoint is ready again.</summary>
    private TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool KnownUnreachable
    {
        get
        {
            lock (_gate) return _unreachable.Count > 0;
        }
    }

    /// <summary>
    /// Publishes <paramref name="message"/> within <paramref name="timeout"/>. Throws <see cref="BrokerUnreachableNowException"/>
    /// at once while the broker is known unreachable, and as soon as it becomes so while the publish waits; a
    /// <see cref="TimeoutException"/> when the timeout runs out. Only <paramref name="cancellationToken"/> (the caller's) ends it
    /// with an <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task PublishAsync<T>(IPublishEndpoint bus, T message, Action<PublishContext<T>> configure, TimeSpan timeout,
        CancellationToken cancellationToken)
        where T : class
    {
        Task lost;
        lock (_gate)
        {
            if (_unreachable.Count > 0) throw new BrokerUnreachableNowException();
            lost = _lost.Task;
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        // WaitAsync: the bound holds even when a publish ignores its token (BoundedPublish in the Notifier says when).
        var publish = bus.Publish(message, configure, bounded.Token).WaitAsync(timeout, cancellationToken);
        if (await Task.WhenAny(publish, lost) == lost && !publish.IsCompleted)
        {
            // The publish is told to stop; what it does after that is no longer waited for.
            await bounded.CancelAsync();
            _ = publish.ContinueWith(static abandoned => abandoned.Exception, TaskScheduler.Default);
            throw new BrokerUnreachableNowException();
        }

        await publish;
    }

    /// <summary>Whether the last fault of the endpoint at <paramref name="inputAddress"/>, since it was last ready, says the broker
    /// cannot be reached.</summary>
    public bool Unreachable(Uri inputAddress)
    {
        lock (_gate) return _unreachable.Contains(inputAddress);
    }

    /// <summary>Whether <paramref name="failure"/> (a bus's or an endpoint's health exception) says the broker cannot be reached.</summary>
    public static bool Unreachable(Exception? failure)
    {
        for (; failure is not null; failure = failure.InnerException)
        {
            if (failure is RabbitMqConnectionException or BrokerUnreachableException) return true;
        }

        return false;
    }

    Task IReceiveEndpointObserver.Faulted(ReceiveEndpointFaulted faulted)
    {
        lock (_gate)
        {
            if (!Unreachable(faulted.Exception))
            {
                Reachable(faulted.InputAddress);
            }
            else if (_unreachable.Add(faulted.InputAddress) && _unreachable.Count == 1)
            {
                _lost.TrySetResult();
            }
        }

        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Ready(ReceiveEndpointReady ready)
    {
        lock (_gate) Reachable(ready.InputAddress);
        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    Task IReceiveEndpointObserver.Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    private void Reachable(Uri endpoint)
    {
        if (_unreachable.Remove(endpoint) && _unreachable.Count == 0)
        {
            _lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}

/// <summary>The broker is known to be unreachable: the message was not published, or its publish was told to stop before the
/// broker confirmed it.</summary>
public sealed class BrokerUnreachableNowException() : Exception("The message broker is unreachable.");

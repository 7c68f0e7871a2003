using MassTransit;
using RabbitMQ.Client.Exceptions;

namespace FlexWhere.Messaging;

/// <summary>
/// Whether the bus already knows its broker is unreachable: its health carries MassTransit's "Broker unreachable"
/// (the connection was refused or lost and not yet made again). A publish then waits for the reconnection until its
/// timeout (R4 in the reliability suite saw a sign-in answered after the whole 30 s its stack allows), although the
/// answer is known at once. A slow broker that is still connected is not unreachable: its publishes keep their timeout.
/// </summary>
public sealed class BrokerReachability(IBusControl bus)
{
    public bool KnownUnreachable => bus.CheckHealth() is { Status: not BusHealthStatus.Healthy } health && Unreachable(health.Exception);

    /// <summary>Whether <paramref name="failure"/> (a bus's or an endpoint's health exception) says the broker cannot be reached.</summary>
    public static bool Unreachable(Exception? failure)
    {
        for (; failure is not null; failure = failure.InnerException)
        {
            if (failure is RabbitMqConnectionException or BrokerUnreachableException) return true;
        }

        return false;
    }
}

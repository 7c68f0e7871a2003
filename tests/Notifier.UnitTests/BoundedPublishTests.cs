using System.Reflection;
using FlexWhere.Contracts;
using FlexWhere.Notifier.Sending;
using MassTransit;

namespace FlexWhere.Notifier.UnitTests;

public class BoundedPublishTests
{
    [Fact]
    public async Task A_publish_whose_confirm_never_comes_fails_after_the_timeout_with_a_clear_reason()
    {
        var broker = NeverConfirming.Create();

        var failure = await Assert.ThrowsAsync<EventNotPublishedException>(() =>
            broker.PublishWithinAsync(new SmsSent { MessageId = Guid.NewGuid(), ChallengeId = "ch_1", ProviderMessageId = "SM1",
                SentAt = DateTimeOffset.UtcNow },
                TimeSpan.FromMilliseconds(200), CancellationToken.None));

        Assert.Equal("RabbitMQ did not confirm the SmsSent event within 0.2 s.", failure.Message);
    }

    [Fact]
    public async Task A_caller_that_gives_up_is_told_it_was_cancelled_not_that_the_broker_failed()
    {
        var broker = NeverConfirming.Create();
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            broker.PublishWithinAsync(new SmsSent { MessageId = Guid.NewGuid(), ChallengeId = "ch_1", ProviderMessageId = "SM1",
                SentAt = DateTimeOffset.UtcNow },
                TimeSpan.FromMinutes(1), caller.Token));
    }

    [Fact]
    public async Task A_publish_that_ignores_its_cancellation_still_fails_after_the_timeout()
    {
        var broker = Deaf.Create();

        // Without the bound the call would never return: the test then fails with a TimeoutException after 30 s.
        var failure = await Assert.ThrowsAsync<EventNotPublishedException>(() =>
            broker.PublishWithinAsync(new SmsSent { MessageId = Guid.NewGuid(), ChallengeId = "ch_1", ProviderMessageId = "SM1",
                SentAt = DateTimeOffset.UtcNow },
                TimeSpan.FromMilliseconds(200), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal("RabbitMQ did not confirm the SmsSent event within 0.2 s.", failure.Message);
    }

    /// <summary>A publish endpoint whose publishes never end, cancelled or not: what a consumer saw across a broker
    /// restart in a clean-clone run.</summary>
    public class Deaf : DispatchProxy
    {
        public static IPublishEndpoint Create() => DispatchProxy.Create<IPublishEndpoint, Deaf>();

        protected override object? Invoke(MethodInfo? method, object?[]? args) => method?.ReturnType == typeof(Task)
            ? new TaskCompletionSource().Task
            : throw new NotSupportedException($"{method?.Name} is not used by these tests.");
    }

    /// <summary>A publish endpoint whose publishes wait for a confirm that never comes, as after a
    /// broker restart with RabbitMQ.Client 7 (rabbitmq-dotnet-client#1930): only cancellation ends them.</summary>
    public class NeverConfirming : DispatchProxy
    {
        public static IPublishEndpoint Create() => DispatchProxy.Create<IPublishEndpoint, NeverConfirming>();

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            var token = args?.OfType<CancellationToken>().FirstOrDefault() ?? CancellationToken.None;
            if (method?.ReturnType == typeof(Task)) return Task.Delay(Timeout.Infinite, token);
            throw new NotSupportedException($"{method?.Name} is not used by these tests.");
        }
    }
}

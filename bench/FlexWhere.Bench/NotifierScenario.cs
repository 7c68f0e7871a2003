using System.Diagnostics;
using System.Text.Json;
using FlexWhere.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace FlexWhere.Bench;

/// <summary>
/// P4. SendSms messages in MassTransit's envelope, published straight to the contract's exchange
/// (as Challenges' bus would), consumed by the Notifier and sent through the Twilio SDK to the fake
/// provider; beside it a bare RabbitMQ.Client publisher and consumer moving the same number of
/// persistent messages of the same size through one durable queue.
/// </summary>
public static class NotifierScenario
{
    private const string Exchange = "FlexWhere.Contracts:SendSms";

    /// <summary>The Notifier's rate (the rounds' mean) with its last round's CPU per SMS, the raw peer's rate, and the
    /// Notifier's own CPU per SMS in the last round.</summary>
    public static async Task<(Measured Notifier, double Raw, double NotifierMicrosecondsPerSms)> RunAsync(Report report,
        BenchSettings settings, string rabbitMq, FakeTwilioServer twilio, RssSampler rss)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq) };
        await using var connection = await factory.CreateConnectionAsync("bench-publisher");
        await using var channel = await connection.CreateChannelAsync();

        // Warm-up: JIT (tier-1 code needs a while on a busy machine), connections, the Twilio SDK client.
        await PublishAndWaitAsync(channel, twilio, WarmUpMessages(settings), "warm-up");

        var notifier = new List<double>();
        var raw = new List<double>();
        var rawQuorum = new List<double>();
        var lastCpu = CpuPerOperation.None;
        for (var round = 1; round <= settings.Rounds; round++)
        {
            rss.Phase = "P4 Notifier";
            var cpu = CpuMeter.Start();
            var (elapsed, sample) = await PublishAndWaitAsync(channel, twilio, settings.Messages, $"round {round}");
            var used = cpu.Stop();
            var parts = used.Parts;
            rss.Phase = "idle";
            // The last round's figure is the one compared: round 1 still pays for tier-1 compilations.
            lastCpu = CpuPerOperation.Of(used, settings.Messages);
            var rate = settings.Messages / elapsed.TotalSeconds;
            notifier.Add(rate);
            report.Row("P4 SMS send", $"Notifier: SendSms → Twilio SDK → fake provider (round {round})", $"{rate:N0} msg/s",
                "–", "–",
                $"{settings.Messages:N0} messages in {elapsed.TotalSeconds:N2} s, first publish to last provider request; load " +
                    $"{Report.LoadAverage()}");
            report.Line($"P4 Notifier round {round}: {settings.Messages} messages in {elapsed.TotalSeconds:N2} s = {rate:N0} msg/s " +
                $"({sample} bytes per envelope), load {Report.LoadAverage()}");
            report.Line($"P4 Notifier round {round} CPU: {CpuMeter.Format(used)}; " +
                $"{CpuMeter.PerOperation(parts, settings.Messages)}");

            raw.Add(await RawRoundAsync(report, factory, settings.Messages, sample, round, quorum: false));
            // The services' queues are quorum queues (replicated on a cluster); the target's peer above is a classic queue, as
            // the issue measured it. The same client on the services' queue type says how much of the gap is the queue's.
            rawQuorum.Add(await RawRoundAsync(report, factory, settings.Messages, sample, round, quorum: true));
        }

        report.Line($"P4 Notifier / raw RabbitMQ on a quorum queue, the services' queue type (no target of its own): " +
            $"{notifier.Average() / rawQuorum.Average():N2}");

        return (new Measured(notifier.Average(), lastCpu), raw.Average(), lastCpu.Of("Notifier"));
    }

    private static int WarmUpMessages(BenchSettings settings) => Math.Max(20, settings.Messages / 4);

    /// <summary>Every SendSms P4 publishes, warm-up included: the most the Notifier's rate limiter sees, on any machine.</summary>
    public static long MessagesPerRun(BenchSettings settings) => WarmUpMessages(settings) + (long)settings.Rounds * settings.Messages;

    private static async Task<(TimeSpan Elapsed, int EnvelopeBytes)> PublishAndWaitAsync(IChannel channel, FakeTwilioServer twilio,
        int count, string label)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var arrived = twilio.WaitForAsync(count, timeout.Token);
        var clock = Stopwatch.StartNew();
        var size = 0;
        for (var i = 0; i < count; i++)
        {
            var body = Envelope(i);
            size = body.Length;
            var properties = new BasicProperties
            {
                ContentType = "application/vnd.masstransit+json",
                Persistent = true,
                MessageId = Guid.NewGuid().ToString(),
            };
            await channel.BasicPublishAsync(Exchange, "", mandatory: false, properties, body, timeout.Token);
        }

        try
        {
            await arrived;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"P4 {label}: only {twilio.Received} SMS reached the fake provider within 3 minutes; see the " +
                $"Notifier's log.");
        }

        return (clock.Elapsed, size);
    }

    private static byte[] Envelope(int i)
    {
        var messageId = Guid.NewGuid();
        // Distinct numbers in a fictional range; the Notifier sends whatever Challenges allowed.
        var destination = $"+3161{i % 10_000_000:D7}";
        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            messageId,
            conversationId = Guid.NewGuid(),
            sourceAddress = "rabbitmq://localhost/bench",
            destinationAddress = $"rabbitmq://localhost/{Exchange}",
            messageType = new[] { "urn:message:FlexWhere.Contracts:SendSms" },
            sentTime = DateTimeOffset.UtcNow,
            headers = new Dictionary<string, object>(),
            message = new SendSms
            {
                MessageId = messageId,
                ChallengeId = Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
                Destination = destination,
                MaskedDestination = "+31 6 •••• ••" + destination[^2..],
                TemplateId = SmsTemplates.OneTimeCode,
                Locale = "en",
                Code = $"{i % 1_000_000:D6}",
                ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(5),
            },
        }, JsonOptions);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>One round of the bare client, metered as the Notifier's round is (what the broker spends per message with a
    /// bare client beside what it spends per SMS), reported as a row and a line; its rate.</summary>
    private static async Task<double> RawRoundAsync(Report report, ConnectionFactory factory, int count, int size, int round, bool quorum)
    {
        var cpu = CpuMeter.Start();
        var (rate, elapsed) = await RawAsync(factory, count, size, quorum);
        var used = cpu.Stop();
        var (variant, notes) = quorum
            ? (", quorum queue", $"{count:N0} messages, the queue type the services declare; no target")
            : ("", $"{count:N0} persistent messages, prefetch 16, ack each, {elapsed.TotalSeconds:N2} s");
        report.Row("P4 SMS send", $"raw RabbitMQ.Client publish + consume{variant} (round {round})", $"{rate:N0} msg/s", "–", "–",
            $"{notes}; load {Report.LoadAverage()}");
        report.Line($"P4 raw round {round}{variant}: {count} messages in {elapsed.TotalSeconds:N2} s = {rate:N0} msg/s; " +
            $"CPU: {CpuMeter.Format(used)}; {CpuMeter.PerOperation(used.Parts, count)}");
        return rate;
    }

    private static async Task<(double Rate, TimeSpan Elapsed)> RawAsync(ConnectionFactory factory, int count, int size, bool quorum)
    {
        await using var connection = await factory.CreateConnectionAsync("bench-raw");
        await using var publisher = await connection.CreateChannelAsync();
        await using var consumerChannel =
            await connection.CreateChannelAsync(new CreateChannelOptions(false, false, consumerDispatchConcurrency: 8));
        var queue = $"bench-raw-{Guid.NewGuid():N}";
        // A quorum queue cannot be auto-deleted; it is deleted below, as the classic one is.
        await publisher.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: !quorum,
            arguments: quorum ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null);
        await consumerChannel.BasicQosAsync(0, 16, false);
        var consumed = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(consumerChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            // Touch the body as a consumer would (deserialise-sized work is the Notifier's, not this).
            _ = delivery.Body.Length;
            await consumerChannel.BasicAckAsync(delivery.DeliveryTag, false);
            if (Interlocked.Increment(ref consumed) == count) done.TrySetResult();
        };
        await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer);

        var body = new byte[size];
        Random.Shared.NextBytes(body);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await publisher.BasicPublishAsync("", queue, mandatory: false,
                new BasicProperties { Persistent = true, MessageId = Guid.NewGuid().ToString() }, body);
        }

        await done.Task.WaitAsync(TimeSpan.FromMinutes(3));
        clock.Stop();
        await publisher.QueueDeleteAsync(queue);
        return (count / clock.Elapsed.TotalSeconds, clock.Elapsed);
    }
}

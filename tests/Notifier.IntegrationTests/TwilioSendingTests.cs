using System.Diagnostics;
using FlexWhere.Contracts;
using FlexWhere.Testing.Twilio;
using FlexWhere.Notifier.Sending;
using Microsoft.Extensions.DependencyInjection;
using FlexWhere.Testing;
using MassTransit;
using RabbitMQ.Client;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>The real Twilio SDK, through the Notifier's pipeline, against a fake Twilio on Kestrel;
/// SendSms arrives over a real RabbitMQ, idempotency records live in a real Redis.</summary>
[Collection(ServersCollection.Name)]
public sealed class TwilioSendingTests(RabbitMqServer rabbitMq, RedisServer redis) : IAsyncLifetime
{
    private readonly ScriptedReplies _replies = new();
    private FakeTwilio _twilio = null!;

    private ServerAddresses Servers => new(rabbitMq.ConnectionString, redis.ConnectionString);

    public async Task InitializeAsync()
    {
        await SharedQueues.AssertNobodyConsumesAsync(rabbitMq);
        _twilio = await FakeTwilio.StartAsync(_replies);
    }

    public async Task DisposeAsync() => await _twilio.DisposeAsync();

    private Task<NotifierHost> StartNotifierAsync(Action<Dictionary<string, string?>>? adjust = null)
    {
        var settings = NotifierHost.TwilioSettings(_twilio.BaseUrl);
        adjust?.Invoke(settings);
        return NotifierHost.StartAsync(Servers, settings);
    }

    [Fact]
    public async Task Sends_the_rendered_template_through_twilio_once_and_publishes_SmsSent()
    {
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms(TimeSpan.FromMinutes(5));

        await notifier.Harness.Bus.Publish(message);
        var sent = await notifier.SentAsync(message.MessageId);

        var request = Assert.Single(_twilio.Requests);
        Assert.Equal("+31612345678", request.Form["To"]);
        Assert.Equal(NotifierHost.From, request.Form["From"]);
        Assert.Equal(NotifierHost.StatusCallbackUrl, request.Form["StatusCallback"]);
        Assert.Matches(@"^Your FlexWhere code is 493817\. It expires in [45] minutes\.$", request.Form["Body"]);
        Assert.StartsWith("Basic ", request.Authorization);
        Assert.StartsWith("SM", sent.ProviderMessageId);
        Assert.Equal(message.ChallengeId, sent.ChallengeId);
    }

    [Fact]
    public async Task Sends_in_dutch_with_a_messaging_service_instead_of_a_from_number()
    {
        var messagingService = FakeTwilio.NewMessagingServiceSid();
        await using var notifier = await StartNotifierAsync(settings =>
        {
            settings["Twilio:From"] = null;
            settings["Twilio:MessagingServiceSid"] = messagingService;
        });
        var message = NotifierHost.NewSendSms(TimeSpan.FromMinutes(10), locale: "nl");

        await notifier.Harness.Bus.Publish(message);
        await notifier.SentAsync(message.MessageId);

        var request = Assert.Single(_twilio.Requests);
        Assert.Equal(messagingService, request.Form["MessagingServiceSid"]);
        Assert.False(request.Form.ContainsKey("From"));
        Assert.Matches(@"^Je FlexWhere-code is 493817\. Deze verloopt over (9|10) minuten\.$", request.Form["Body"]);
    }

    [Fact]
    public async Task Waits_out_retry_after_on_429_then_sends()
    {
        _replies.Script(new FakeReply.TooManyRequests(RetryAfterSeconds: 1));
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms();

        await notifier.Harness.Bus.Publish(message);
        await notifier.SentAsync(message.MessageId);

        Assert.Equal(2, _twilio.Calls);
        var gap = _twilio.Requests[1].ReceivedAt - _twilio.Requests[0].ReceivedAt;
        Assert.True(gap >= TimeSpan.FromMilliseconds(950),
            $"The retry came {gap.TotalMilliseconds} ms after the 429, before its Retry-After of 1 s.");
    }

    [Fact]
    public async Task Retries_a_server_error_then_sends()
    {
        _replies.Script(new FakeReply.ServerError());
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms();

        await notifier.Harness.Bus.Publish(message);
        await notifier.SentAsync(message.MessageId);

        Assert.Equal(2, _twilio.Calls);
    }

    [Fact]
    public async Task Abandons_a_hung_attempt_after_the_attempt_timeout_and_looks_it_up_before_sending_again()
    {
        _replies.Script(new FakeReply.Hang());
        // The hung send fails its delivery; the next delivery (MassTransit's retry) looks up and sends. On a
        // busy machine a lookup may time out as well, so this host has room for more deliveries and longer attempts.
        await using var notifier = await StartNotifierAsync(settings =>
        {
            settings["Notifier:Sending:RetryLimit"] = "4";
            settings["Notifier:Sending:ClaimTtl"] = "00:00:30";
            settings["Notifier:SmsResilience:AttemptTimeout"] = "00:00:02";
        });
        var message = NotifierHost.NewSendSms();

        await notifier.Harness.Bus.Publish(message);
        await notifier.SentAsync(message.MessageId);

        // Twilio may have taken the hung send: the second send comes only after a lookup found nothing.
        Assert.Equal(2, _twilio.Calls);
        Assert.True(_twilio.Lookups >= 1, "The second send came without a lookup.");
        Assert.Equal(1, _twilio.AcceptedFor(message.Destination));
    }

    [Theory]
    [InlineData(21211)] // invalid number
    [InlineData(21610)] // unsubscribed
    [InlineData(21408)] // region not permitted
    public async Task Never_retries_a_permanent_refusal_and_publishes_SmsFailed_with_the_code(int code)
    {
        _replies.AlwaysFailWith = new FakeReply.Refuse(code);
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms();

        await notifier.Harness.Bus.Publish(message);
        var failed = await notifier.FailedAsync(message.MessageId);

        Assert.Equal($"twilio_{code}", failed.Reason);
        Assert.Equal(1, _twilio.Calls);
        Assert.False(await notifier.Harness.Published.Any<SmsSent>(sent => sent.Context.Message.MessageId == message.MessageId));
        Assert.Null(await FindInErrorQueueAsync(message.MessageId));
    }

    [Fact]
    public async Task After_the_pipeline_and_masstransit_give_up_the_message_is_in_the_error_queue_and_SmsFailed_is_published()
    {
        _replies.AlwaysFailWith = new FakeReply.ServerError();
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms();

        await notifier.Harness.Bus.Publish(message);
        var failed = await notifier.FailedAsync(message.MessageId);

        Assert.Equal("twilio_20500", failed.Reason);
        // 3 attempts in the pipeline (1 + MaxRetryAttempts 2), run twice (1 + MassTransit RetryLimit 1).
        Assert.Equal(6, _twilio.Calls);
        var dead = await WaitInErrorQueueAsync(message.MessageId);
        Assert.Contains("MT-Fault-Message=twilio_20500", dead);
        Assert.Contains("MT-Fault-ExceptionType=FlexWhere.Notifier.Providers.SmsSendException", dead);
        Assert.False(await notifier.Harness.Published.Any<SmsSent>(sent => sent.Context.Message.MessageId == message.MessageId));
        // The error queue keeps what no retry could send: it must survive the loss of a broker node too.
        Assert.True(await SharedQueues.IsQuorumAsync(rabbitMq, "send-sms_error"), "send-sms_error is not a quorum queue.");
    }

    [Fact]
    public async Task Every_queue_the_notifier_consumes_is_a_quorum_queue_that_survives_the_loss_of_a_node()
    {
        await using var notifier = await StartNotifierAsync();

        foreach (var queue in SharedQueues.Consumed)
        {
            Assert.True(await SharedQueues.IsQuorumAsync(rabbitMq, queue), $"{queue} is not a quorum queue.");
        }

        // The probe tells the types apart: a durable classic queue is refused as quorum.
        var classic = $"classic-probe-{Guid.NewGuid():N}";
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(rabbitMq.ConnectionString) };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(classic, durable: true, exclusive: false, autoDelete: false);
            Assert.False(await SharedQueues.IsQuorumAsync(rabbitMq, classic));
            await channel.QueueDeleteAsync(classic);
        }
    }

    [Fact]
    public async Task A_redelivered_message_sends_no_second_sms()
    {
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms();

        await notifier.Harness.Bus.Publish(message);
        var first = await notifier.SentAsync(message.MessageId);
        await notifier.Harness.Bus.Publish(message);
        await NotifierHost.EventuallyAsync(
            () => notifier.PublishedSoFar<SmsSent>(sent => sent.MessageId == message.MessageId).Count == 2,
            "The redelivered message was not handled.");

        Assert.Equal(1, _twilio.Calls);
        var sentEvents = notifier.PublishedSoFar<SmsSent>(sent => sent.MessageId == message.MessageId);
        Assert.Equal(2, sentEvents.Count);
        Assert.All(sentEvents, sent => Assert.Equal(first.ProviderMessageId, sent.ProviderMessageId));
    }

    [Fact]
    public async Task A_copy_of_a_given_up_message_is_not_sent_and_goes_to_the_error_queue_without_a_second_SmsFailed()
    {
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms();
        // What the fault consumer records when it gives a message up; a Notifier killed before
        // MassTransit moved that message to the error queue leaves a copy in send-sms.
        var idempotency = notifier.Services.GetRequiredService<SmsIdempotency>();
        var faultClaim = await idempotency.ClaimToGiveUpAsync(message.MessageId);
        Assert.Null(await idempotency.GiveUpAsync(message.MessageId, faultClaim.Token!));

        await notifier.Harness.Bus.Publish(message);
        await NotifierHost.EventuallyAsync(() => FaultConsumed(notifier, message.MessageId),
            "The copy was not faulted to the error queue.");
        var dead = await WaitInErrorQueueAsync(message.MessageId);
        Assert.Contains($"MT-Fault-ExceptionType={typeof(SmsGivenUpException).FullName}", dead);
        // Never retried: one delivery of the copy, no call to the provider.
        Assert.Single(notifier.Harness.Consumed.Select<SendSms>(consumed => consumed.Context.Message.MessageId == message.MessageId));
        Assert.Equal(0, _twilio.Calls);
        // The SmsFailed came with the fault that gave the message up; the copy does not report it again.
        Assert.False(await notifier.Harness.Published.Any<SmsFailed>(failed => failed.Context.Message.MessageId == message.MessageId));
        Assert.False(await notifier.Harness.Published.Any<SmsSent>(sent => sent.Context.Message.MessageId == message.MessageId));
    }

    [Fact]
    public async Task A_fault_that_meets_a_copy_of_its_message_being_sent_waits_for_it_and_reports_no_failure()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _replies.Script(new FakeReply.AcceptOnceReleased(release.Task));
        await using var notifier = await StartNotifierAsync(settings =>
        {
            // The held send must outlast the test's wait, not end in a timeout and a second send.
            settings["Notifier:SmsResilience:AttemptTimeout"] = "00:00:20";
            settings["Notifier:Sending:ClaimTtl"] = "00:01:30";
        });
        var message = NotifierHost.NewSendSms();

        // A Notifier killed after MassTransit published the fault of a message whose retries were used up,
        // before the message left send-sms: the next Notifier gets the copy and the fault at once.
        await notifier.Harness.Bus.Publish(message);
        await NotifierHost.EventuallyAsync(() => _twilio.Calls == 1, "The copy did not reach Twilio.");
        var lookupRefused = new Providers.SmsSendException("twilio_20429_lookup", permanent: false);
        await notifier.Harness.Bus.Publish<Fault<SendSms>>(new MassTransit.Events.FaultEvent<SendSms>(
            message, NewId.NextGuid(), MassTransit.Metadata.HostMetadataCache.Host, lookupRefused, []));
        // Twilio answers once the fault consumer has decided without the sender, or waits for it.
        await NotifierHost.EventuallyAsync(() => FaultConsumed(notifier, message.MessageId) || notifier.Logs.GetSnapshot().Any(log =>
                log.Message.Contains($"SMS {message.MessageId} is being sent by another consumer; its fault waits for the outcome")),
            "The fault was not handled.");
        release.SetResult();

        var sent = await notifier.SentAsync(message.MessageId);
        await NotifierHost.EventuallyAsync(() => FaultConsumed(notifier, message.MessageId), "The fault was not consumed.");
        Assert.False(await notifier.Harness.Published.Any<SmsFailed>(failed => failed.Context.Message.MessageId == message.MessageId),
            "The SMS was delivered and reported failed.");
        Assert.Equal(1, _twilio.Calls);
        Assert.Equal(sent.ProviderMessageId, Assert.Single(_twilio.AcceptedSids));
        var redis = notifier.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        Assert.False(await redis.KeyExistsAsync(NotifierKeys.GaveUp(message.MessageId)), "A sent message was recorded as given up.");
    }

    private static bool FaultConsumed(NotifierHost notifier, Guid messageId) =>
        notifier.ConsumedSoFar<Fault<SendSms>>(fault => fault.Message.MessageId == messageId).Count > 0;

    [Fact]
    public async Task Two_notifier_replicas_racing_on_the_same_message_send_one_sms()
    {
        _replies.AcceptDelay = TimeSpan.FromMilliseconds(800);
        await using var first = await StartNotifierAsync();
        await using var second = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms();

        // The same message twice at once: the broker hands one copy to each replica.
        await Task.WhenAll(first.Harness.Bus.Publish(message), second.Harness.Bus.Publish(message));
        await first.SentAsync(message.MessageId);
        await second.SentAsync(message.MessageId);

        Assert.Equal(1, _twilio.Calls);
        Assert.False(await first.Harness.Published.Any<SmsFailed>(failed => failed.Context.Message.MessageId == message.MessageId));
    }

    [Fact]
    public async Task A_message_whose_sender_died_after_twilio_accepted_it_is_not_sent_again()
    {
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms();
        await notifier.Harness.Bus.Publish(message);
        var first = await notifier.SentAsync(message.MessageId);

        // What a SIGKILL between Twilio's answer and the sent record leaves behind: the attempt, no outcome.
        var redis = notifier.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        await redis.KeyDeleteAsync(NotifierKeys.Sent(message.MessageId));
        await redis.StringSetAsync(NotifierKeys.Attempt(message.MessageId), "1", TimeSpan.FromMinutes(1));
        await notifier.Harness.Bus.Publish(message);

        await NotifierHost.EventuallyAsync(
            () => notifier.PublishedSoFar<SmsSent>(sent => sent.MessageId == message.MessageId).Count == 2,
            "The redelivered message was not reported as sent.");
        Assert.Equal(1, _twilio.Calls);
        Assert.Equal(1, _twilio.Lookups);
        Assert.All(notifier.PublishedSoFar<SmsSent>(sent => sent.MessageId == message.MessageId),
            sent => Assert.Equal(first.ProviderMessageId, sent.ProviderMessageId));
        Assert.Equal(first.ProviderMessageId, (string?)await redis.StringGetAsync(NotifierKeys.Sent(message.MessageId)));
    }

    [Fact]
    public async Task A_message_twilio_accepted_is_reported_sent_not_failed_when_every_lookup_of_its_sender_failed()
    {
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms();
        await notifier.Harness.Bus.Publish(message);
        var first = await notifier.SentAsync(message.MessageId);
        var redis = notifier.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        await redis.KeyDeleteAsync(NotifierKeys.Sent(message.MessageId));
        await redis.StringSetAsync(NotifierKeys.Attempt(message.MessageId), "1", TimeSpan.FromMinutes(1));
        // Two consumer attempts (RetryLimit 1) of three calls each (MaxRetryAttempts 2): the fault consumer's lookup is the seventh.
        _replies.FailLookups = 6;

        await notifier.Harness.Bus.Publish(message);

        await NotifierHost.EventuallyAsync(
            () => notifier.PublishedSoFar<SmsSent>(sent => sent.MessageId == message.MessageId).Count == 2,
            "The message was not reported as sent after its sender gave up.");
        Assert.Equal(1, _twilio.Calls);
        Assert.Equal(7, _twilio.Lookups);
        Assert.False(await notifier.Harness.Published.Any<SmsFailed>(failed => failed.Context.Message.MessageId == message.MessageId));
        Assert.Equal(first.ProviderMessageId, (string?)await redis.StringGetAsync(NotifierKeys.Sent(message.MessageId)));
    }

    [Fact]
    public async Task A_message_whose_sender_died_before_twilio_had_it_is_sent_after_the_lookup()
    {
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms();
        var redis = notifier.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        await redis.StringSetAsync(NotifierKeys.Attempt(message.MessageId), "1", TimeSpan.FromMinutes(1));

        await notifier.Harness.Bus.Publish(message);
        var sent = await notifier.SentAsync(message.MessageId);

        Assert.Equal(1, _twilio.Lookups);
        Assert.Equal(1, _twilio.Calls);
        Assert.Equal(_twilio.AcceptedSids.Single(), sent.ProviderMessageId);
        Assert.False(await redis.KeyExistsAsync(NotifierKeys.Attempt(message.MessageId)), "The attempt record outlived the sent record.");
    }

    [Fact]
    public async Task Queues_sends_beyond_the_rate_limit_instead_of_failing_them()
    {
        await using var notifier = await StartNotifierAsync(settings =>
        {
            settings["Notifier:SmsResilience:MessagesPerSecond"] = "2";
            // A slower limiter means a longer possible wait, so a longer claim (checked at start).
            settings["Notifier:Sending:ClaimTtl"] = "00:00:30";
        });
        // Each with its own code, as sign-ins have. After an attempt without an outcome (one that timed out on a slow machine) the
        // Notifier asks the provider for a message to the number with the same code. With one code for all six that finds a
        // sibling's SMS (which carries the code the user needs), the one way a new message is reported sent without a call of its
        // own: a clean-clone run on 2026-12-01 saw five calls for six messages.
        var messages = Enumerable.Range(0, 6).Select(i => NotifierHost.NewSendSms() with { Code = $"49381{i}" }).ToList();

        await Task.WhenAll(messages.Select(message => notifier.Harness.Bus.Publish(message)));
        foreach (var message in messages) await notifier.SentAsync(message.MessageId);

        Assert.Equal(6, _twilio.Calls);
        var times = _twilio.Requests.Select(request => request.ReceivedAt).Order().ToList();
        // Two tokens a second, two in the bucket at the start: the sixth send waits about two seconds.
        Assert.True(times[^1] - times[0] >= TimeSpan.FromSeconds(1.5),
            $"Six sends took {(times[^1] - times[0]).TotalMilliseconds} ms at two a second.");
        Assert.False(await notifier.Harness.Published.Any<SmsFailed>());
    }

    [Fact]
    public async Task Drops_a_message_whose_code_has_expired_without_calling_twilio()
    {
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms(TimeSpan.FromSeconds(-1));

        await notifier.Harness.Bus.Publish(message);
        var failed = await notifier.FailedAsync(message.MessageId);

        Assert.Equal("code_expired", failed.Reason);
        Assert.Equal(0, _twilio.Calls);
    }

    [Fact]
    public async Task Logs_carry_the_masked_number_and_never_the_full_number_or_the_code()
    {
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendSms();

        await notifier.Harness.Bus.Publish(message);
        await notifier.SentAsync(message.MessageId);

        var logs = notifier.Logs.GetSnapshot();
        Assert.Contains(logs, record => record.Message.Contains(message.MaskedDestination)
            && record.Message.Contains(message.MessageId.ToString()));
        Assert.DoesNotContain(logs, record => record.Message.Contains("612345678") || record.Message.Contains(message.Code));
        Assert.DoesNotContain(logs, record =>
            record.StructuredState?.Any(pair => pair.Value?.Contains("612345678") == true
            || pair.Value?.Contains(message.Code) == true) == true);
    }

    private Task<string> WaitInErrorQueueAsync(Guid messageId) => ErrorQueues.WaitForAsync(rabbitMq, "send-sms_error", messageId);

    private Task<string?> FindInErrorQueueAsync(Guid messageId) => ErrorQueues.FindAsync(rabbitMq, "send-sms_error", messageId);
}

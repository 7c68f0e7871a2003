using FlexWhere.Notifier.Sending;
using FlexWhere.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>The claim and the sent record, each one Redis round trip, on a real Redis.</summary>
[Collection(ServersCollection.Name)]
public sealed class SmsIdempotencyTests(RedisServer redis)
{
    [Fact]
    public async Task A_message_is_claimed_once_and_once_sent_every_claim_names_the_provider_id_instead()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var idempotency = new SmsIdempotency(connection, Options.Create(new SendingOptions()));
        var messageId = Guid.NewGuid();
        var providerMessageId = $"SM{Guid.NewGuid():N}";

        var first = await idempotency.ClaimAsync(messageId);
        var whileHeld = await idempotency.ClaimAsync(messageId);
        await idempotency.MarkSentAsync(messageId, first.Token!, providerMessageId, "challenge-1");
        var afterSent = await idempotency.ClaimAsync(messageId);

        Assert.NotNull(first.Token);
        Assert.Null(first.AlreadySentAs);
        Assert.False(first.HadEarlierAttempt);
        Assert.Equal(new SmsClaim(AlreadySentAs: null, Token: null, HadEarlierAttempt: false), whileHeld);
        Assert.Equal(new SmsClaim(AlreadySentAs: providerMessageId, Token: null, HadEarlierAttempt: false), afterSent);
        var db = connection.GetDatabase();
        Assert.False(await db.KeyExistsAsync(NotifierKeys.Attempt(messageId)));
        Assert.False(await db.KeyExistsAsync(NotifierKeys.Claim(messageId)));
        Assert.NotNull(await db.KeyTimeToLiveAsync(NotifierKeys.Sent(messageId)));
        Assert.NotNull(await db.KeyTimeToLiveAsync(NotifierKeys.ProviderMessage(providerMessageId)));
        Assert.Equal("challenge-1", await idempotency.FindChallengeAsync(providerMessageId));
    }

    [Fact]
    public async Task A_message_given_up_is_never_claimed_again_so_a_copy_that_comes_back_is_not_sent()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var idempotency = new SmsIdempotency(connection, Options.Create(new SendingOptions()));
        var messageId = Guid.NewGuid();

        var attempt = await idempotency.ClaimAsync(messageId);
        await idempotency.ReleaseAsync(messageId, attempt.Token!); // the provider refused; retries used up
        var gaveUp = await idempotency.GiveUpAsync(messageId);
        var copy = await idempotency.ClaimAsync(messageId);

        Assert.Null(gaveUp);
        Assert.Equal(new SmsClaim(AlreadySentAs: null, Token: null, HadEarlierAttempt: false, GaveUp: true), copy);
        Assert.NotNull(await connection.GetDatabase().KeyTimeToLiveAsync(NotifierKeys.GaveUp(messageId)));
    }

    [Fact]
    public async Task A_message_sent_before_it_is_given_up_stays_sent_and_is_no_failure()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var idempotency = new SmsIdempotency(connection, Options.Create(new SendingOptions()));
        var messageId = Guid.NewGuid();
        var providerMessageId = $"SM{Guid.NewGuid():N}";

        var claim = await idempotency.ClaimAsync(messageId);
        await idempotency.MarkSentAsync(messageId, claim.Token!, providerMessageId, "challenge-1");
        var gaveUp = await idempotency.GiveUpAsync(messageId);

        Assert.Equal(providerMessageId, gaveUp);
        Assert.False(await connection.GetDatabase().KeyExistsAsync(NotifierKeys.GaveUp(messageId)));
        Assert.Equal(providerMessageId, (await idempotency.ClaimAsync(messageId)).AlreadySentAs);
    }

    [Fact]
    public async Task A_claim_after_an_attempt_without_outcome_says_so()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var idempotency = new SmsIdempotency(connection, Options.Create(new SendingOptions()));
        var messageId = Guid.NewGuid();

        var crashed = await idempotency.ClaimAsync(messageId);
        await connection.GetDatabase().KeyDeleteAsync(NotifierKeys.Claim(messageId)); // its holder died; the claim expired
        var next = await idempotency.ClaimAsync(messageId);

        Assert.False(crashed.HadEarlierAttempt);
        Assert.NotNull(next.Token);
        Assert.True(next.HadEarlierAttempt);
    }

    [Fact]
    public async Task Marking_sent_leaves_alone_a_claim_another_replica_took_after_ours_expired()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var idempotency = new SmsIdempotency(connection, Options.Create(new SendingOptions()));
        var db = connection.GetDatabase();
        var messageId = Guid.NewGuid();

        var ours = await idempotency.ClaimAsync(messageId);
        await db.KeyDeleteAsync(NotifierKeys.Claim(messageId)); // our claim's TTL ran out
        var theirs = await idempotency.ClaimAsync(messageId);
        await idempotency.MarkSentAsync(messageId, ours.Token!, $"SM{Guid.NewGuid():N}", "challenge-2");

        Assert.NotNull(theirs.Token);
        Assert.NotEqual(ours.Token, theirs.Token);
        Assert.Equal(theirs.Token, (string?)await db.StringGetAsync(NotifierKeys.Claim(messageId)));
    }
}

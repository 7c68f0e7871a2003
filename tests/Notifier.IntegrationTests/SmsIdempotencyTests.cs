using FlexWhere.Notifier.Sending;
using FlexWhere.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>The claim and the sent record, each one Redis round trip, on a real Redis.</summary>
[Collection(ServersCollection.Name)]
public class SmsIdempotencyTests(RedisServer redis) : IAsyncLifetime
{
    private ConnectionMultiplexer _connection = null!;
    private SmsIdempotency _idempotency = null!;

    public async Task InitializeAsync()
    {
        _connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        _idempotency = new SmsIdempotency(_connection, Options.Create(new SendingOptions()), TimeProvider.System);
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task A_message_is_claimed_once_and_once_sent_every_claim_names_the_provider_id_instead()
    {
        var messageId = Guid.NewGuid();
        var providerMessageId = $"SM{Guid.NewGuid():N}";

        var first = await _idempotency.ClaimAsync(messageId);
        var whileHeld = await _idempotency.ClaimAsync(messageId);
        await _idempotency.MarkSentAsync(messageId, first.Token!, providerMessageId, "challenge-1");
        var afterSent = await _idempotency.ClaimAsync(messageId);

        Assert.NotNull(first.Token);
        Assert.Null(first.AlreadySentAs);
        Assert.False(first.HadEarlierAttempt);
        Assert.Equal(new SendClaim(AlreadySentAs: null, Token: null, HadEarlierAttempt: false), whileHeld);
        Assert.Equal(new SendClaim(AlreadySentAs: providerMessageId, Token: null, HadEarlierAttempt: false), afterSent);
        var db = _connection.GetDatabase();
        Assert.False(await db.KeyExistsAsync(NotifierKeys.Attempt(messageId)));
        Assert.False(await db.KeyExistsAsync(NotifierKeys.Claim(messageId)));
        Assert.NotNull(await db.KeyTimeToLiveAsync(NotifierKeys.Sent(messageId)));
        Assert.NotNull(await db.KeyTimeToLiveAsync(NotifierKeys.ProviderMessage(providerMessageId)));
        Assert.Equal("challenge-1", await _idempotency.FindChallengeAsync(providerMessageId));
    }

    [Fact]
    public async Task A_message_given_up_is_never_claimed_again_so_a_copy_that_comes_back_is_not_sent()
    {
        var messageId = Guid.NewGuid();

        var attempt = await _idempotency.ClaimAsync(messageId);
        await _idempotency.ReleaseAsync(messageId, attempt.Token!); // the provider refused; retries used up
        var faultClaim = await _idempotency.ClaimToGiveUpAsync(messageId);
        var gaveUp = await _idempotency.GiveUpAsync(messageId, faultClaim.Token!);
        var copy = await _idempotency.ClaimAsync(messageId);

        Assert.True(faultClaim.HadEarlierAttempt);
        Assert.Null(gaveUp);
        Assert.Equal(new SendClaim(AlreadySentAs: null, Token: null, HadEarlierAttempt: false, GaveUp: true), copy);
        Assert.NotNull(await _connection.GetDatabase().KeyTimeToLiveAsync(NotifierKeys.GaveUp(messageId)));
    }

    [Fact]
    public async Task A_message_sent_before_it_is_given_up_stays_sent_and_is_no_failure()
    {
        var messageId = Guid.NewGuid();
        var providerMessageId = $"SM{Guid.NewGuid():N}";

        var claim = await _idempotency.ClaimAsync(messageId);
        await _idempotency.MarkSentAsync(messageId, claim.Token!, providerMessageId, "challenge-1");
        var gaveUp = await _idempotency.GiveUpAsync(messageId, claimToken: "");

        Assert.Equal(providerMessageId, gaveUp);
        Assert.False(await _connection.GetDatabase().KeyExistsAsync(NotifierKeys.GaveUp(messageId)));
        Assert.Equal(providerMessageId, (await _idempotency.ClaimAsync(messageId)).AlreadySentAs);
    }

    [Fact]
    public async Task A_message_being_sent_cannot_be_given_up_until_its_sender_is_done()
    {
        var db = _connection.GetDatabase();
        var messageId = Guid.NewGuid();

        var sender = await _idempotency.ClaimAsync(messageId);
        var faultWhileSending = await _idempotency.ClaimToGiveUpAsync(messageId);
        // Even a fault consumer that skipped the claim cannot give the message up under the sender's feet.
        await Assert.ThrowsAsync<SendInProgressException>(() => _idempotency.GiveUpAsync(messageId, claimToken: "not-the-holder"));
        await _idempotency.ReleaseAsync(messageId, sender.Token!); // the send failed; the message is free
        var fault = await _idempotency.ClaimToGiveUpAsync(messageId);
        var copyWhileGivingUp = await _idempotency.ClaimAsync(messageId);
        var gaveUp = await _idempotency.GiveUpAsync(messageId, fault.Token!);
        var copyAfter = await _idempotency.ClaimAsync(messageId);

        Assert.True(faultWhileSending.IsHeldElsewhere);
        Assert.NotNull(fault.Token);
        Assert.True(fault.HadEarlierAttempt);
        Assert.True(copyWhileGivingUp.IsHeldElsewhere);
        Assert.Null(gaveUp);
        Assert.True(copyAfter.GaveUp);
        Assert.False(await db.KeyExistsAsync(NotifierKeys.Claim(messageId)), "Giving up did not let the claim go.");
    }

    [Fact]
    public async Task A_claim_after_an_attempt_without_outcome_says_so()
    {
        var messageId = Guid.NewGuid();

        var crashed = await _idempotency.ClaimAsync(messageId);
        await _connection.GetDatabase().KeyDeleteAsync(NotifierKeys.Claim(messageId)); // its holder died; the claim expired
        var next = await _idempotency.ClaimAsync(messageId);

        Assert.False(crashed.HadEarlierAttempt);
        Assert.NotNull(next.Token);
        Assert.True(next.HadEarlierAttempt);
    }

    [Fact]
    public async Task Marking_sent_leaves_alone_a_claim_another_replica_took_after_ours_expired()
    {
        var db = _connection.GetDatabase();
        var messageId = Guid.NewGuid();

        var ours = await _idempotency.ClaimAsync(messageId);
        await db.KeyDeleteAsync(NotifierKeys.Claim(messageId)); // our claim's TTL ran out
        var theirs = await _idempotency.ClaimAsync(messageId);
        await _idempotency.MarkSentAsync(messageId, ours.Token!, $"SM{Guid.NewGuid():N}", "challenge-2");

        Assert.NotNull(theirs.Token);
        Assert.NotEqual(ours.Token, theirs.Token);
        Assert.Equal(theirs.Token, (string?)await db.StringGetAsync(NotifierKeys.Claim(messageId)));
    }
}

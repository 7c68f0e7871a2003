using FlexWhere.Accounts.Lifecycle;

namespace FlexWhere.Accounts.UnitTests;

/// <summary>How long the outbox waits before it hands a message on again after a failure.</summary>
public sealed class OutboxRetryTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(4, 15)]
    [InlineData(12, 15)]
    [InlineData(1_000, 15)]
    public void An_email_waits_longer_each_time_but_never_over_15_seconds_so_it_leaves_soon_after_the_broker_is_back(int attempts,
        int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), OutboxDispatcher.RetryWait(Outbox.EmailKind, attempts));

    [Theory]
    [InlineData(1, 2)]
    [InlineData(8, 256)]
    [InlineData(9, 300)]
    [InlineData(1_000, 300)]
    public void A_notice_Challenges_refused_waits_up_to_five_minutes_as_budgets_and_limits_last_that_long(int attempts, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), OutboxDispatcher.RetryWait(Outbox.SmsNoticeKind, attempts));
}

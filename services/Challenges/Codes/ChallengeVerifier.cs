using System.Security.Cryptography;

namespace FlexWhere.Challenges.Codes;

/// <summary>Checks codes and reads a challenge's state. Refusals are <see cref="ChallengeRefusal"/>
/// values; the API turns them into answers.</summary>
public sealed class ChallengeVerifier(ChallengeStore store, CodeHasher hasher, TimeProvider time)
{
    private static readonly ChallengeRefusal NotFound = new(ChallengeRefusalCode.NotFound);

    /// <param name="code">Six digits, <paramref name="purpose"/> a known purpose: the API checked both.</param>
    public async Task<(VerifiedChallenge? Verified, ChallengeRefusal? Refused)> VerifyAsync(string challengeId, string code, string purpose)
    {
        if (!CodeHasher.IsChallengeId(challengeId)) return (null, NotFound);
        var candidate = hasher.Hash(challengeId, purpose, code);
        VerifyResult result;
        var tries = 0;
        do
        {
            var stored = await store.ReadCodeHashAsync(challengeId);
            var matched = !stored.IsNull && CryptographicOperations.FixedTimeEquals(candidate, (byte[])stored!);
            result = await store.ConsumeAsync(challengeId, purpose, stored, matched, time.GetUtcNow());
        }
        while (result.Outcome == VerifyOutcome.Stale && ++tries < 3);

        if (result.Outcome == VerifyOutcome.Verified)
        {
            return (new VerifiedChallenge(true, result.UserId!.Value, result.OrganisationId!.Value, result.Destination!), null);
        }

        return (null, result.Outcome switch
        {
            VerifyOutcome.Invalid => new ChallengeRefusal(ChallengeRefusalCode.InvalidCode) { AttemptsLeft = result.AttemptsLeft },
            VerifyOutcome.Locked => new ChallengeRefusal(ChallengeRefusalCode.TooManyAttempts),
            VerifyOutcome.Expired => new ChallengeRefusal(ChallengeRefusalCode.Expired),
            VerifyOutcome.Used => new ChallengeRefusal(ChallengeRefusalCode.AlreadyUsed),
            VerifyOutcome.NoCode => new ChallengeRefusal(ChallengeRefusalCode.CodeNotSent),
            VerifyOutcome.Stale => new ChallengeRefusal(ChallengeRefusalCode.Busy),
            _ => NotFound,
        });
    }

    /// <summary>The challenge as its user may see it: state, tries left and the SMS's delivery.</summary>
    public async Task<(ChallengeStatus? Status, ChallengeRefusal? Refused)> StatusAsync(string challengeId)
    {
        if (!CodeHasher.IsChallengeId(challengeId)) return (null, NotFound);
        var challenge = await store.FindAsync(challengeId);
        if (challenge is null) return (null, NotFound);

        var lapsed = challenge.State == ChallengeStates.Pending && time.GetUtcNow() >= challenge.ExpiresAt;
        var status = lapsed ? ChallengeStates.Expired : challenge.State;
        var attemptsLeft = status == ChallengeStates.Pending ? Math.Max(0, challenge.MaxAttempts - challenge.Attempts) : 0;
        return (new ChallengeStatus(
            challengeId,
            status,
            Destination.Parse(challenge.Destination)?.Masked ?? "",
            challenge.ExpiresAt,
            attemptsLeft,
            challenge.ResendAfter,
            new DeliveryStatus(challenge.Delivery, challenge.DeliveryAt, challenge.DeliveryReason)), null);
    }
}

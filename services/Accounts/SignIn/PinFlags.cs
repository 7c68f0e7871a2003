using System.Text.Json.Serialization;

namespace FlexWhere.Accounts.Auth
{
    /// <summary>Members only mobile answers carry, and only when the organisation requires a PIN.</summary>
    public sealed partial record SignedIn
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public bool? PinRequired { get; init; }

        /// <summary>True until this session has a PIN: the app asks for one before it opens.</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public bool? PinSetupRequired { get; init; }
    }
}

namespace FlexWhere.Accounts.Mobile
{
    public static class PinFlags
    {
        public static async Task<SignedIn> WithPinFlagsAsync(this SignedIn signedIn, AccountsDbContext db, Guid organisationId,
            Guid sessionId, string client,
            CancellationToken cancellationToken)
        {
            if (client != Clients.Mobile) return signedIn;
            var required = await db.Organisations.Where(o => o.Id == organisationId).Select(o => o.MobilePinRequired)
                .SingleAsync(cancellationToken);
            if (!required) return signedIn;
            var hasPin = await db.MobilePins.AnyAsync(p => p.SessionId == sessionId, cancellationToken);
            return signedIn with { PinRequired = true, PinSetupRequired = !hasPin };
        }
    }
}

using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Exceptions;
using Fido2NetLib.Objects;

namespace FlexWhere.Accounts.Mfa;

/// <summary>Where passkeys work: the relying party (this site's domain) and the origins a browser may sign from.</summary>
public sealed class WebAuthnOptions
{
    public const string Section = "WebAuthn";

    /// <summary>The RP ID: the Control Centre's host name. Absent: the host of <c>AccountLinks:PublicBaseUrl</c>.</summary>
    public string? RelyingPartyId { get; set; }

    public string RelyingPartyName { get; set; } = "FlexWhere";

    /// <summary>Origins the browser may answer from (scheme, host, port). Absent: the origin of <c>AccountLinks:PublicBaseUrl</c>.</summary>
    public List<string> Origins { get; set; } = [];

    /// <summary>How long a browser has to answer a passkey prompt.</summary>
    [SettingRange("00:00:30", "00:10:00")]
    public TimeSpan CeremonyLifetime { get; set; } = TimeSpan.FromMinutes(5);

    public static Fido2Configuration Configure(WebAuthnOptions options, AccountLinkOptions links)
    {
        var site = new Uri(links.PublicBaseUrl);
        return new Fido2Configuration
        {
            RPID = options.RelyingPartyId ?? site.Host,
            RPName = options.RelyingPartyName,
            Origins = options.Origins.Count > 0 ? new HashSet<string>(options.Origins) : new HashSet<string> { site.GetLeftPart(UriPartial.Authority) },
            Timeout = (uint)options.CeremonyLifetime.TotalMilliseconds,
        };
    }
}

/// <summary>What a browser needs for a passkey prompt: the ceremony to answer to, and the options for
/// <c>navigator.credentials.create()</c> or <c>.get()</c> (WebAuthn JSON, base64url).</summary>
public sealed record PasskeyPrompt(Guid CeremonyId, JsonElement Options);

public sealed record PasskeyDto(Guid Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, bool Synced)
{
    public static PasskeyDto From(Passkey passkey) =>
        new(passkey.Id, passkey.Name, passkey.CreatedAt, passkey.LastUsedAt, passkey.BackupEligible);
}

/// <summary>
/// WebAuthn ceremonies with the Fido2 library: a challenge is stored with what it is bound to (a session for a
/// registration, a login ticket for a second factor, nothing for a passwordless sign-in), answered once (the
/// ceremony is claimed before the answer is checked, so a replay or a race finds it used), and a signature
/// counter that goes backwards (a cloned authenticator) is refused and audited.
/// </summary>
public sealed class PasskeyCeremonies(AccountsDbContext db, IFido2 fido2, TimeProvider time, AuditLog audit,
    IOptions<WebAuthnOptions> options, ILogger<PasskeyCeremonies> logger)
{
    public static byte[] UserHandle(Guid userId) => userId.ToByteArray();

    /// <summary>Options to register a new passkey for <paramref name="user"/> in the session <paramref name="sessionId"/>.</summary>
    public async Task<PasskeyPrompt> StartRegistrationAsync(User user, Guid sessionId, CancellationToken cancellationToken)
    {
        var existing = await db.Passkeys.Where(p => p.UserId == user.Id).Select(p => p.CredentialId).ToListAsync(cancellationToken);
        var created = fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = UserHandle(user.Id), Name = user.Email, DisplayName = user.DisplayName },
            ExcludeCredentials = [.. existing.Select(id => new PublicKeyCredentialDescriptor(id))],
            AuthenticatorSelection = new AuthenticatorSelection
            {
                // Discoverable where the organisation signs in without a password: the passkey must name its user.
                ResidentKey = user.Organisation.PasswordlessSignIn ? ResidentKeyRequirement.Required : ResidentKeyRequirement.Preferred,
                UserVerification = UserVerificationRequirement.Preferred,
            },
            AttestationPreference = AttestationConveyancePreference.None,
        });
        return await StoreAsync(WebAuthnPurposes.Register, user.Id, sessionId, created.ToJson(), cancellationToken);
    }

    /// <summary>Checks the browser's answer to a registration and keeps the passkey; null with a refusal when it does not hold.</summary>
    public async Task<(Passkey? Passkey, ApiProblem? Refusal)> FinishRegistrationAsync(User user, Guid sessionId, Guid ceremonyId,
        JsonElement credential, string name, CancellationToken cancellationToken)
    {
        var ceremony = await ClaimAsync(ceremonyId, WebAuthnPurposes.Register, sessionId, cancellationToken);
        if (ceremony is null || ceremony.UserId != user.Id) return (null, CeremonyOver());
        var response = Parse<AuthenticatorAttestationRawResponse>(credential);
        if (response is null) return (null, NotAccepted("The answer is not a WebAuthn registration (navigator.credentials.create())."));

        RegisteredPublicKeyCredential registered;
        try
        {
            registered = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = response,
                OriginalOptions = CredentialCreateOptions.FromJson(ceremony.OptionsJson),
                IsCredentialIdUniqueToUserCallback = async (args, token) =>
                    !await db.Passkeys.AnyAsync(p => p.CredentialId == args.CredentialId, token),
            }, cancellationToken);
        }
        catch (Exception failure) when (failure is Fido2VerificationException or FormatException or JsonException)
        {
            logger.LogWarning("Passkey registration refused for user {UserId}: {Reason}", user.Id, failure.Message);
            audit.BySelf(user, AuditEvents.PasskeyRefused, $"registration: {Code(failure)}");
            await db.SaveChangesAsync(cancellationToken);
            return (null, NotAccepted("Your browser's answer did not check out (wrong site, an old prompt, or a key already added). " +
                "Try again."));
        }

        var passkey = new Passkey
        {
            CredentialId = registered.Id,
            PublicKey = registered.PublicKey,
            SignCount = registered.SignCount,
            AaGuid = registered.AaGuid,
            BackupEligible = registered.IsBackupEligible,
            BackedUp = registered.IsBackedUp,
            Transports = [.. (registered.Transports ?? []).Select(t => t.ToString().ToLowerInvariant())],
            Name = name,
        }.BelongingTo(user, time.GetUtcNow());
        db.Passkeys.Add(passkey);
        return (passkey, null);
    }

    /// <summary>Options to sign in with one of <paramref name="user"/>'s passkeys (a second factor), or with any discoverable
    /// passkey (a passwordless sign-in: <paramref name="user"/> null, user verification required).</summary>
    /// <param name="boundTo">The login ticket (a second factor) or the session (a step-up, <paramref name="purpose"/>
    /// <see cref="WebAuthnPurposes.StepUp"/>) the answer counts for.</param>
    public async Task<PasskeyPrompt> StartAssertionAsync(User? user, Guid? boundTo, CancellationToken cancellationToken,
        string purpose = WebAuthnPurposes.SecondFactor)
    {
        var allowed = user is null ? []
            : await db.Passkeys.Where(p => p.UserId == user.Id).Select(p => p.CredentialId).ToListAsync(cancellationToken);
        var assertion = fido2.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = [.. allowed.Select(id => new PublicKeyCredentialDescriptor(id))],
            UserVerification = user is null ? UserVerificationRequirement.Required : UserVerificationRequirement.Preferred,
        });
        return await StoreAsync(user is null ? WebAuthnPurposes.Passwordless : purpose, user?.Id, boundTo, assertion.ToJson(),
            cancellationToken);
    }

    /// <summary>Checks a signed answer to an assertion ceremony: the passkey that signed, or a refusal. With
    /// <paramref name="user"/>, only that user's passkeys count.</summary>
    public async Task<(Passkey? Passkey, ApiProblem? Refusal)> FinishAssertionAsync(Guid ceremonyId, string purpose, Guid? boundTo,
        User? user, JsonElement credential, CancellationToken cancellationToken)
    {
        var ceremony = await ClaimAsync(ceremonyId, purpose, boundTo, cancellationToken);
        if (ceremony is null || ceremony.UserId != user?.Id) return (null, CeremonyOver());
        var response = Parse<AuthenticatorAssertionRawResponse>(credential);
        if (response?.RawId is not { Length: > 0 } rawId) return (null, NotAccepted("The answer is not a WebAuthn sign-in (navigator.credentials.get())."));

        var passkey = await db.Passkeys.SingleOrDefaultAsync(p => p.CredentialId == rawId, cancellationToken);
        if (passkey is null || user is not null && passkey.UserId != user.Id) return (null, UnknownPasskey());

        VerifyAssertionResult verified;
        try
        {
            verified = await fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = response,
                OriginalOptions = AssertionOptions.FromJson(ceremony.OptionsJson),
                StoredPublicKey = passkey.PublicKey,
                StoredSignatureCounter = (uint)passkey.SignCount,
                // A discoverable passkey names its user: it must be the one the passkey was registered to.
                IsUserHandleOwnerOfCredentialIdCallback = (args, _) =>
                    Task.FromResult(args.UserHandle is not { Length: > 0 } handle || handle.AsSpan().SequenceEqual(UserHandle(passkey.UserId))),
            }, cancellationToken);
        }
        catch (Exception failure) when (failure is Fido2VerificationException or FormatException or JsonException)
        {
            var cloned = failure is Fido2VerificationException { Code: Fido2ErrorCode.InvalidSignCount };
            logger.LogWarning("Passkey {PasskeyId} refused: {Reason}", passkey.Id, failure.Message);
            audit.Record(passkey.OrganisationId, cloned ? AuditEvents.PasskeyCounterAnomaly : AuditEvents.PasskeyRefused, subject: passkey.UserId,
                details: cloned
                    ? $"passkey {passkey.Id} ({passkey.Name}): its signature counter went backwards (stored {passkey.SignCount}); a copy of " +
                        "the key may exist"
                    : $"passkey {passkey.Id}: {Code(failure)}");
            await db.SaveChangesAsync(cancellationToken);
            return (null, NotAccepted(cloned
                ? "This passkey's answer repeats an earlier one. Use another passkey or way to sign in, and tell your administrator."
                : "Your passkey's answer did not check out for this site. Try again."));
        }

        // Conditional on the counter read: of two answers racing with one counter value only one gets in.
        var now = time.GetUtcNow();
        var updated = await db.Passkeys.Where(p => p.Id == passkey.Id && p.SignCount == passkey.SignCount)
            .ExecuteUpdateAsync(set => set.SetProperty(p => p.SignCount, (long)verified.SignCount).SetProperty(p => p.LastUsedAt, now)
                .SetProperty(p => p.BackedUp, verified.IsBackedUp), cancellationToken) == 1;
        if (!updated) return (null, CeremonyOver());
        passkey.SignCount = verified.SignCount;
        passkey.LastUsedAt = now;
        return (passkey, null);
    }

    /// <summary>The amr value a passkey proves: a key bound to its device, or one that syncs.</summary>
    public static string MethodOf(Passkey passkey) => passkey.BackupEligible ? AuthMethods.SoftwareKey : AuthMethods.HardwareKey;

    private async Task<PasskeyPrompt> StoreAsync(string purpose, Guid? userId, Guid? boundTo, string optionsJson,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ceremony = new WebAuthnCeremony
        {
            Id = Guid.CreateVersion7(now),
            Purpose = purpose,
            UserId = userId,
            BoundTo = boundTo,
            OptionsJson = optionsJson,
            CreatedAt = now,
            ExpiresAt = now + options.Value.CeremonyLifetime,
        };
        db.WebAuthnCeremonies.Add(ceremony);
        await db.SaveChangesAsync(cancellationToken);
        return new PasskeyPrompt(ceremony.Id, JsonDocument.Parse(optionsJson).RootElement.Clone());
    }

    /// <summary>The ceremony, once: marked used in one conditional UPDATE before its answer is looked at.</summary>
    private async Task<WebAuthnCeremony?> ClaimAsync(Guid ceremonyId, string purpose, Guid? boundTo, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var claimed = await db.WebAuthnCeremonies
            .Where(c => c.Id == ceremonyId && c.Purpose == purpose && c.BoundTo == boundTo && c.UsedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.UsedAt, now), cancellationToken) == 1;
        return claimed ? await db.WebAuthnCeremonies.AsNoTracking().SingleAsync(c => c.Id == ceremonyId, cancellationToken) : null;
    }

    private static T? Parse<T>(JsonElement credential) where T : class
    {
        try
        {
            return credential.ValueKind == JsonValueKind.Object ? credential.Deserialize<T>() : null;
        }
        catch (Exception failure) when (failure is JsonException or FormatException or NotSupportedException)
        {
            return null;
        }
    }

    private static string Code(Exception failure) => failure is Fido2VerificationException fido ? fido.Code.ToString() : "malformed";

    public static ApiProblem CeremonyOver() =>
        new(StatusCodes.Status409Conflict, ProblemCodes.PasskeyPromptExpired, "This passkey prompt is over.",
            "Each passkey prompt can be answered once, within five minutes. Ask for a new one and try again.");

    private static ApiProblem NotAccepted(string detail) =>
        new(StatusCodes.Status400BadRequest, ProblemCodes.PasskeyNotAccepted, "The passkey was not accepted.", detail);

    public static ApiProblem UnknownPasskey() =>
        new(StatusCodes.Status401Unauthorized, ProblemCodes.PasskeyNotAccepted, "This passkey is not known here.",
            "This passkey is not registered to your account on this site. Use another passkey or way to sign in.");
}

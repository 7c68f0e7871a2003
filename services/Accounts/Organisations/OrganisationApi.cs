namespace FlexWhere.Accounts.Organisations;

/// <summary>SMS MFA for Control Centre admins and managers is always on: it is not a setting, and
/// <see cref="SmsMfaForControlCentre"/> is in the document only so a client can show it (and may not send false).</summary>
/// <param name="ControlCentreFactors">Second factors admins and managers may use in the Control Centre: <c>sms</c> (always),
/// <c>totp</c>, <c>passkey</c>.</param>
/// <param name="AdminsNeedPasskey">Admins sign in to the Control Centre with a passkey only (phishing-resistant).</param>
/// <param name="PasswordlessSignIn">A passkey with user verification signs in without the password.</param>
public sealed record OrganisationSettings(
    string Name, string Country, bool SmsMfaForControlCentre, bool MobileTotpRequired, bool MobilePinRequired, int PinLength,
    IReadOnlyList<string> AllowedSmsCountries, int TrustedDevicePeriodDays, bool LinkedDatabase, IReadOnlyList<string> ControlCentreFactors,
    bool AdminsNeedPasskey, bool PasswordlessSignIn)
{
    public static OrganisationSettings From(Organisation o) => new(
        o.Name, o.Country, true, o.MobileTotpRequired, o.MobilePinRequired, o.PinLength, o.AllowedSmsCountries, o.TrustedDevicePeriodDays,
            o.LinkedDatabase, o.ControlCentreFactors, o.AdminsNeedPasskey, o.PasswordlessSignIn);
}

/// <summary>Fields left out (null) keep their value.</summary>
public sealed record UpdateSettingsRequest(
    bool? SmsMfaForControlCentre, bool? MobileTotpRequired, bool? MobilePinRequired, int? PinLength,
    IReadOnlyList<string>? AllowedSmsCountries, int? TrustedDevicePeriodDays, bool? LinkedDatabase,
    IReadOnlyList<string>? ControlCentreFactors = null, bool? AdminsNeedPasskey = null, bool? PasswordlessSignIn = null);

public sealed record MfaReadinessEntry(Guid Id, string Email, string DisplayName, string Role, string Reason, string? PhoneHint);

/// <summary>Admins and managers whom mandatory SMS MFA (or, when it is on, the passkey rule for admins) would lock out of the
/// Control Centre; and the admins without a passkey, whom that rule would lock out if it were switched on.</summary>
public sealed record MfaReadinessReport(int AdminsAndManagers, int Ready, IReadOnlyList<MfaReadinessEntry> NotReady)
{
    public IReadOnlyList<MfaReadinessEntry> AdminsWithoutPasskey { get; init; } = [];

    /// <summary>Admins and managers whose number no code has proved yet (set by an admin or imported): a typo shows only at their
    /// first sign-in, so ask them to check it now.</summary>
    public IReadOnlyList<MfaReadinessEntry> UnverifiedNumbers { get; init; } = [];
}

public static class OrganisationApi
{
    public const int MaxAllowedCountries = 50;

    public static IEndpointRouteBuilder MapOrganisationApi(this IEndpointRouteBuilder app)
    {
        var organisation = app.MapGroup("/api/organisation").WithTags("Organisation").RequireAuthorization(Policies.AdminOrManager);
        organisation.MapGet("/settings", GetSettings).WithName("GetOrganisationSettings");
        organisation.MapPut("/settings", UpdateSettings).RequireAuthorization(Policies.Admin).RequireStepUp()
            .WithName("UpdateOrganisationSettings")
            .WithSummary("Change the MFA policy. SMS MFA for admins and managers cannot be switched off; the trusted-device period is at " +
                "most 30 days.");
        organisation.MapGet("/mfa-readiness", MfaReadiness).WithName("MfaReadiness")
            .WithSummary("Admins and managers without a usable phone number: whom mandatory SMS MFA would lock out.");
        organisation.MapGet("/mfa-readiness.csv", MfaReadinessCsv).WithName("MfaReadinessCsv").Produces<string>(contentType: "text/csv")
            .WithSummary("Every admin and manager with their readiness and masked number, as a CSV file for a spreadsheet.");
        return app;
    }

    public static async Task<Ok<OrganisationSettings>> GetSettings(ClaimsPrincipal principal, AccountsDbContext db,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var organisation = await db.Organisations.SingleAsync(o => o.Id == caller.OrganisationId, cancellationToken);
        return TypedResults.Ok(OrganisationSettings.From(organisation));
    }

    public static async Task<Results<Ok<OrganisationSettings>, ApiProblem>> UpdateSettings(
        UpdateSettingsRequest? request, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit,
            CancellationToken cancellationToken)
    {
        if (request is null) return ApiProblem.Validation("body", "Send the settings to change.");
        if (request.SmsMfaForControlCentre == false)
        {
            return new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.SmsMfaRequired, "SMS MFA cannot be switched off.",
                "A code by SMS for Control Centre admins and managers is the minimum requirement and cannot be switched off.");
        }

        if (request.PinLength is < Organisation.MinPinLength or > Organisation.MaxPinLength)
        {
            return new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.PinLengthOutOfRange, "PIN length out of range.",
                $"A PIN has {Organisation.MinPinLength} to {Organisation.MaxPinLength} digits.");
        }

        if (request.TrustedDevicePeriodDays is < 1 or > Organisation.MaxTrustedDevicePeriodDays)
        {
            return new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.TrustedDevicePeriodOutOfRange,
                "Trusted-device period out of range.",
                $"A device stays trusted for 1 to {Organisation.MaxTrustedDevicePeriodDays} days; " +
                    $"{Organisation.MaxTrustedDevicePeriodDays} is the maximum.");
        }

        List<string>? countries = null;
        if (request.AllowedSmsCountries is not null)
        {
            countries = [.. request.AllowedSmsCountries.Select(c => (c ?? "").Trim().ToUpperInvariant()).Distinct()];
            if (countries.Count is 0 or > MaxAllowedCountries || countries.Any(c => c.Length != 2 || !Phones.IsKnownRegion(c)))
            {
                return new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.CountryUnknown, "Unknown SMS country.",
                    $"List 1 to {MaxAllowedCountries} countries as ISO 3166 codes, e.g. [\"NL\", \"BE\"].");
            }
        }

        List<string>? factors = null;
        if (request.ControlCentreFactors is not null)
        {
            factors = [.. SecondFactors.ControlCentre.Where(f => request.ControlCentreFactors.Contains(f))];
            if (request.ControlCentreFactors.Any(f => !SecondFactors.ControlCentre.Contains(f)) || !factors.Contains(SecondFactors.Sms))
            {
                return ApiProblem.Validation("controlCentreFactors",
                    "List the factors from sms, totp and passkey; sms is the minimum and always stays allowed.");
            }
        }

        var caller = Caller.From(principal);
        var organisation = await db.Organisations.SingleAsync(o => o.Id == caller.OrganisationId, cancellationToken);
        var passkeyRuleNow = request.AdminsNeedPasskey == true && !organisation.AdminsNeedPasskey;
        if (passkeyRuleNow || (request.AdminsNeedPasskey ?? organisation.AdminsNeedPasskey))
        {
            if (factors is not null && !factors.Contains(SecondFactors.Passkey))
            {
                return ApiProblem.Validation("controlCentreFactors", "Admins must use passkeys under the rule: keep passkey allowed.");
            }

            // Switching the rule on never locks out the admin who does it.
            if (passkeyRuleNow && !await db.Passkeys.AnyAsync(p => p.UserId == caller.UserId, cancellationToken))
            {
                return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.PasskeyRequiredFirst, "Add a passkey first.",
                    "Under this rule administrators sign in only with a passkey: add one to your own account before you switch it on. "
                    + "The MFA readiness report lists the administrators who have none.");
            }
        }

        var changes = new List<string>();
        void Change<T>(string name, T? value, T current, Action<T> set) where T : struct
        {
            if (value is { } v && !v.Equals(current))
            {
                changes.Add($"{name} {current} → {v}");
                set(v);
            }
        }

        // Stricter rules end every trusted device of the organisation: trust granted under the old rules
        // must not outlive them.
        var totpNowRequired = request.MobileTotpRequired == true && !organisation.MobileTotpRequired;
        var pinTightened = request.MobilePinRequired == true && !organisation.MobilePinRequired
            || request.PinLength > organisation.PinLength;
        var factorsDropped = factors is not null && organisation.ControlCentreFactors.Except(factors).Any();
        var tightened = request.TrustedDevicePeriodDays < organisation.TrustedDevicePeriodDays || totpNowRequired || pinTightened
            || countries is not null && organisation.AllowedSmsCountries.Except(countries).Any() || passkeyRuleNow || factorsDropped;

        Change("mobileTotpRequired", request.MobileTotpRequired, organisation.MobileTotpRequired, v => organisation.MobileTotpRequired = v);
        Change("mobilePinRequired", request.MobilePinRequired, organisation.MobilePinRequired, v => organisation.MobilePinRequired = v);
        Change("pinLength", request.PinLength, organisation.PinLength, v => organisation.PinLength = v);
        Change("trustedDevicePeriodDays", request.TrustedDevicePeriodDays, organisation.TrustedDevicePeriodDays, v =>
            organisation.TrustedDevicePeriodDays = v);
        Change("linkedDatabase", request.LinkedDatabase, organisation.LinkedDatabase, v => organisation.LinkedDatabase = v);
        Change("adminsNeedPasskey", request.AdminsNeedPasskey, organisation.AdminsNeedPasskey, v => organisation.AdminsNeedPasskey = v);
        Change("passwordlessSignIn", request.PasswordlessSignIn, organisation.PasswordlessSignIn, v => organisation.PasswordlessSignIn = v);
        if (factors is not null && !factors.SequenceEqual(organisation.ControlCentreFactors))
        {
            changes.Add($"controlCentreFactors {string.Join(",", organisation.ControlCentreFactors)} → {string.Join(",", factors)}");
            organisation.ControlCentreFactors = factors;
        }
        if (countries is not null && !countries.Order().SequenceEqual(organisation.AllowedSmsCountries.Order()))
        {
            changes.Add($"allowedSmsCountries {string.Join(",", organisation.AllowedSmsCountries)} → {string.Join(",", countries)}");
            organisation.AllowedSmsCountries = countries;
        }

        if (changes.Count > 0)
        {
            audit.ByCaller(AuditEvents.SettingsChanged, details: string.Join("; ", changes));
            if (tightened)
            {
                var now = time.GetUtcNow();
                var revoked = await TrustedDevices.RevokeForOrganisationAsync(db, organisation.Id, now,
                    RevocationReasons.PolicyTightened, cancellationToken);
                audit.ByCaller(AuditEvents.TrustedDevicesRevoked, details: $"{revoked} trusted devices: policy tightened");
                // The sessions the old rules let in end with them: those a trusted device opened, mobile
                // sessions without an authenticator once one is required, and mobile sessions whose PIN
                // no longer meets the rule.
                var orgId = organisation.Id;
                var ended = await Sessions.EndAsync(db, s => s.OrganisationId == orgId && (
                        s.TrustedDeviceId != null
                        || totpNowRequired && s.Client == Clients.Mobile && !s.Amr.Contains(AuthMethods.Otp)
                        || pinTightened && s.Client == Clients.Mobile
                        // Admins' Control Centre sessions earned without a passkey end with the rule; the caller's own went on a
                        // passkey or ends too (it is asked to sign in with the passkey it has).
                        || passkeyRuleNow && s.Role == UserRole.Admin && s.Client == Clients.ControlCentre
                            && s.Acr != Assurance.PhishingResistant),
                    now, RevocationReasons.PolicyTightened, cancellationToken);
                if (pinTightened) await db.MobilePins.Where(p => p.OrganisationId == orgId).ExecuteDeleteAsync(cancellationToken);
                audit.ByCaller(AuditEvents.SessionsEnded, details: $"{ended} sessions: policy tightened");
            }

            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.Ok(OrganisationSettings.From(organisation));
    }

    public static async Task<Ok<MfaReadinessReport>> MfaReadiness(ClaimsPrincipal principal, AccountsDbContext db,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var organisation = await db.Organisations.SingleAsync(o => o.Id == caller.OrganisationId, cancellationToken);
        var staff = await db.Users
            .Where(u => u.OrganisationId == caller.OrganisationId && u.Active && (u.Role == UserRole.Admin || u.Role == UserRole.Manager))
            .OrderBy(u => u.NormalizedEmail)
            .ToListAsync(cancellationToken);

        var notReady = new List<MfaReadinessEntry>();
        foreach (var user in staff)
        {
            var reason = user.PhoneNumber is null ? "phone_number_missing"
                : !Phones.Check(user.PhoneNumber).IsValid ? "phone_number_unusable"
                : !Phones.CountryAllowed(user.PhoneNumber, organisation.AllowedSmsCountries) ? ProblemCodes.CountryNotAllowed
                : null;
            if (reason is null) continue;

            var hint = user.PhoneNumber is null ? null : Phones.Mask(user.PhoneNumber);
            notReady.Add(new(user.Id, user.Email, user.DisplayName, user.Role.ToString(), reason, hint));
        }

        var withPasskey = await db.Passkeys.Where(p => p.OrganisationId == caller.OrganisationId).Select(p => p.UserId).Distinct()
            .ToListAsync(cancellationToken);
        var withoutPasskey = staff.Where(u => u.Role == UserRole.Admin && !withPasskey.Contains(u.Id))
            .Select(u => new MfaReadinessEntry(u.Id, u.Email, u.DisplayName, u.Role.ToString(), "passkey_missing", null)).ToList();
        if (organisation.AdminsNeedPasskey)
        {
            // Under the rule an admin without a passkey cannot sign in, whatever their number.
            notReady.RemoveAll(entry => withoutPasskey.Any(admin => admin.Id == entry.Id));
            notReady.AddRange(withoutPasskey);
        }

        var unverified = staff.Where(u => u.PhoneNumber is not null && !u.PhoneVerified && notReady.All(entry => entry.Id != u.Id))
            .Select(u => new MfaReadinessEntry(u.Id, u.Email, u.DisplayName, u.Role.ToString(), "phone_unverified",
                Phones.Mask(u.PhoneNumber!)))
            .ToList();
        return TypedResults.Ok(new MfaReadinessReport(staff.Count, staff.Count - notReady.Count, notReady)
        {
            AdminsWithoutPasskey = withoutPasskey,
            UnverifiedNumbers = unverified,
        });
    }

    public static async Task<FileContentHttpResult> MfaReadinessCsv(ClaimsPrincipal principal, AccountsDbContext db,
        CancellationToken cancellationToken)
    {
        var report = (await MfaReadiness(principal, db, cancellationToken)).Value!;
        var caller = Caller.From(principal);
        var staff = await db.Users
            .Where(u => u.OrganisationId == caller.OrganisationId && u.Active && (u.Role == UserRole.Admin || u.Role == UserRole.Manager))
            .OrderBy(u => u.NormalizedEmail).ToListAsync(cancellationToken);
        var reasons = report.NotReady.Concat(report.UnverifiedNumbers).ToDictionary(entry => entry.Id, entry => entry.Reason);
        var rows = staff.Select(u => new[]
        {
            u.Email, u.DisplayName, u.Role.ToString(), reasons.GetValueOrDefault(u.Id, "ready"),
            u.PhoneNumber is null ? "" : Phones.Mask(u.PhoneNumber),
        });
        return Csv.File(Csv.Write(rows.Prepend(["email", "name", "role", "status", "phone"])), "mfa-readiness.csv");
    }
}

namespace FlexWhere.Accounts.Mfa;

public sealed record TrustedDeviceDto(Guid Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset LastSignInAt,
    DateTimeOffset TrustedUntil, bool Current)
{
    public static TrustedDeviceDto From(TrustedDevice device, Guid? currentSession) =>
        new(device.Id, device.Name, device.CreatedAt, device.LastSignInAt, device.TrustedUntil, currentSession is not null
            && device.LastSessionId == currentSession);
}

public static class TrustedDevices
{
    /// <summary>The device this token names, when it still vouches for this user in this organisation and role.</summary>
    public static async Task<TrustedDevice?> FindTrustedAsync(AccountsDbContext db, User user, string? token, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.LooksValid(token)) return null;
        var hash = OpaqueTokens.Hash(token!);
        var device = await db.TrustedDevices.SingleOrDefaultAsync(d => d.TokenHash == hash, cancellationToken);
        return device is not null && device.UserId == user.Id && device.OrganisationId == user.OrganisationId && device.Role == user.Role
            && device.IsTrusted(now)
            ? device
            : null;
    }

    /// <summary>Every sign-in on the device restarts its trusted period.</summary>
    public static void Slide(TrustedDevice device, Guid sessionId, DateTimeOffset now, int periodDays)
    {
        device.LastSessionId = sessionId;
        device.LastSignInAt = now;
        device.TrustedUntil = now.AddDays(periodDays);
    }

    /// <summary>Adds a device to the context and returns the token for the client (shown once).</summary>
    public static (TrustedDevice Device, string Token) Add(AccountsDbContext db, User user, string? name, Guid sessionId,
        DateTimeOffset now, int periodDays)
    {
        var token = OpaqueTokens.New();
        var device = new TrustedDevice
        {
            Role = user.Role,
            TokenHash = OpaqueTokens.Hash(token),
            Name = DeviceName(name),
        }.BelongingTo(user, now);
        Slide(device, sessionId, now, periodDays);
        db.TrustedDevices.Add(device);
        return (device, token);
    }

    public static Task<int> RevokeForUserAsync(AccountsDbContext db, Guid userId, DateTimeOffset now, string reason,
        CancellationToken cancellationToken) =>
        db.TrustedDevices.Where(d => d.UserId == userId && d.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(d => d.RevokedAt, now).SetProperty(d => d.RevokedReason, reason), cancellationToken);

    public static Task<int> RevokeForOrganisationAsync(AccountsDbContext db, Guid organisationId, DateTimeOffset now, string reason,
        CancellationToken cancellationToken) =>
        db.TrustedDevices.Where(d => d.OrganisationId == organisationId && d.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(d => d.RevokedAt, now).SetProperty(d => d.RevokedReason, reason), cancellationToken);

    private static string DeviceName(string? name)
    {
        var clean = new string((name ?? "").Where(c => !char.IsControl(c)).ToArray()).Trim();
        if (clean.Length == 0) return "Browser";
        return clean.Length <= TrustedDevice.MaxNameLength ? clean : clean[..TrustedDevice.MaxNameLength];
    }
}

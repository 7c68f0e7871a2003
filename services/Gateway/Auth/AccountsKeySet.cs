using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace FlexWhere.Gateway.Auth;

/// <summary>
/// Accounts' public keys (its JWKS) as the Gateway knows them. Fetched at the first token; after
/// <see cref="JwtOptions.KeySetMaxAgeSeconds"/> fetched again in the background while the known keys keep
/// serving (an Accounts outage does not stop validation); and fetched at once, within the request, when a
/// token names a key the Gateway does not know (<see cref="KeysWithAsync"/>) — at most once per
/// <see cref="JwtOptions.KeyRefreshSeconds"/>, so tokens with made-up key ids cannot make it hammer Accounts.
/// Concurrent callers share one fetch.
/// </summary>
public sealed class AccountsKeySet(IOptions<GatewayOptions> options, IHttpClientFactory httpClients, TimeProvider time,
    ILogger<AccountsKeySet> logger) : IConfigurationManager<OpenIdConnectConfiguration>
{
    private readonly Lock _gate = new();
    private Snapshot? _current;
    private Task<Snapshot?>? _fetch;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;

    private JwtOptions Settings => options.Value.Jwt;

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var current = Volatile.Read(ref _current);
        if (current is null)
        {
            // Throttled too: while Accounts cannot be reached, requests fail at once instead of each asking again.
            return (await StartOrJoinFetch(throttled: true).WaitAsync(cancel))?.Configuration
                ?? throw new InvalidOperationException($"Accounts' key set could not be fetched from {Settings.JwksUrl}.");
        }

        if (time.GetUtcNow() - current.FetchedAt >= TimeSpan.FromSeconds(Settings.KeySetMaxAgeSeconds))
        {
            _ = StartOrJoinFetch(throttled: true);
        }

        return current.Configuration;
    }

    /// <summary>A key set that has the key <paramref name="keyId"/> of a token that failed for want of it: the one another
    /// request fetched meanwhile, or one fetched now. Null when Accounts has no such key, or when the set was fetched
    /// too recently to ask again.</summary>
    public async Task<OpenIdConnectConfiguration?> KeysWithAsync(string keyId, CancellationToken cancel)
    {
        if (Volatile.Read(ref _current) is { } current && current.Has(keyId)) return current.Configuration;
        var fetched = await StartOrJoinFetch(throttled: true).WaitAsync(cancel);
        return fetched is not null && fetched.Has(keyId) ? fetched.Configuration : null;
    }

    /// <summary>The bearer handler asks for this on an unknown key; <see cref="KeysWithAsync"/> does it
    /// within the request instead, so the request that brought the new key is not refused.</summary>
    public void RequestRefresh()
    {
    }

    private Task<Snapshot?> StartOrJoinFetch(bool throttled)
    {
        lock (_gate)
        {
            if (_fetch is { IsCompleted: false }) return _fetch;
            if (throttled && time.GetUtcNow() - _lastAttempt < TimeSpan.FromSeconds(Settings.KeyRefreshSeconds))
            {
                return Task.FromResult(_current);
            }

            _lastAttempt = time.GetUtcNow();
            return _fetch = FetchAsync();
        }
    }

    private async Task<Snapshot?> FetchAsync()
    {
        try
        {
            using var http = httpClients.CreateClient(GatewayAuthentication.JwksHttpClient);
            var keys = new JsonWebKeySet(await http.GetStringAsync(Settings.JwksUrl));
            var configuration = new OpenIdConnectConfiguration();
            foreach (var key in keys.GetSigningKeys()) configuration.SigningKeys.Add(key);
            var fetched = new Snapshot(configuration, time.GetUtcNow());
            Volatile.Write(ref _current, fetched);
            logger.LogInformation("Fetched Accounts' key set: {KeyIds}", string.Join(", ", keys.Keys.Select(key => key.Kid)));
            return fetched;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ArgumentException)
        {
            // The keys known so far keep serving; the next attempt comes after KeyRefreshSeconds.
            logger.LogWarning(e, "Could not fetch Accounts' key set from {JwksUrl}", Settings.JwksUrl);
            return Volatile.Read(ref _current);
        }
    }

    private sealed record Snapshot(OpenIdConnectConfiguration Configuration, DateTimeOffset FetchedAt)
    {
        public bool Has(string keyId) => Configuration.SigningKeys.Any(key => key.KeyId == keyId);
    }
}

using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace FlexWhere.Gateway.Auth;

public static class GatewayAuthentication
{
    /// <summary>YARP's reserved route policy for what anyone may call: sign-in, MFA, refresh, signed callbacks.</summary>
    public const string AnonymousPolicy = "anonymous";
    public const string JwksHttpClient = "accounts-jwks";

    /// <summary>
    /// Validates Accounts' access tokens with the keys from its JWKS (cached for an hour; fetched
    /// again when a token names an unknown key, at most once per KeyRefreshSeconds, so a key rotation
    /// needs no restart). Every route needs a valid token unless its configuration names the
    /// anonymous policy (see <see cref="SecureRouteDefaults"/>).
    /// </summary>
    public static void AddGatewayAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(JwksHttpClient);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<GatewayOptions>, IHttpClientFactory>((bearer, gateway, httpClients) =>
            {
                var jwt = gateway.Value.Jwt;
                bearer.MapInboundClaims = false;
                bearer.RequireHttpsMetadata = false;
                bearer.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                    jwt.JwksUrl,
                    new JwksRetriever(),
                    new HttpDocumentRetriever(httpClients.CreateClient(JwksHttpClient)) { RequireHttps = false })
                {
                    AutomaticRefreshInterval = TimeSpan.FromHours(1),
                    RefreshInterval = TimeSpan.FromSeconds(jwt.KeyRefreshSeconds),
                };
                bearer.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = jwt.Issuer,
                    ValidAudience = jwt.Audience,
                    ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = "sub",
                    RoleClaimType = "role",
                };
                bearer.Events = new JwtBearerEvents { OnChallenge = WriteUnauthorizedAsync };
            });

        builder.Services.AddAuthorization();
    }

    /// <summary>The 401 says whether the token is missing, expired or otherwise not valid.</summary>
    private static Task WriteUnauthorizedAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var (code, detail) = context.AuthenticateFailure switch
        {
            SecurityTokenExpiredException =>
                (ProblemCodes.TokenExpired, "Your session has expired: refresh the access token or sign in again."),
            not null => (ProblemCodes.InvalidToken, "The access token is not valid: sign in again."),
            _ => (ProblemCodes.AuthenticationRequired, "Sign in first: this request needs an access token (Authorization: Bearer …)."),
        };
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return new ApiProblem(StatusCodes.Status401Unauthorized, code, "Unauthorized", detail).WriteAsync(context.HttpContext);
    }
}

/// <summary>Reads a bare JWKS document (Accounts publishes no OpenID discovery document).</summary>
internal sealed class JwksRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
{
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever,
        CancellationToken cancel)
    {
        var keys = new JsonWebKeySet(await retriever.GetDocumentAsync(address, cancel));
        var configuration = new OpenIdConnectConfiguration();
        foreach (var key in keys.GetSigningKeys()) configuration.SigningKeys.Add(key);
        return configuration;
    }
}

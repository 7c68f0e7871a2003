using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.IdentityModel.Tokens;

namespace FlexWhere.Gateway.Auth;

public static class GatewayAuthentication
{
    /// <summary>YARP's reserved route policy for what anyone may call: sign-in, MFA, refresh, signed callbacks.</summary>
    public const string AnonymousPolicy = "anonymous";
    public const string JwksHttpClient = "accounts-jwks";

    private static readonly Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler KeyIdReader = new();

    /// <summary>
    /// Validates Accounts' access tokens with the keys of its JWKS (<see cref="AccountsKeySet"/>). A token whose key
    /// the Gateway does not know yet makes it fetch the key set within the request and validate again, so the first
    /// token of a new key is accepted, not refused: a key rotation needs no restart and fails no request. Every route
    /// needs a valid token unless its configuration names the anonymous policy (see <see cref="SecureRouteDefaults"/>).
    /// </summary>
    public static void AddGatewayAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(JwksHttpClient);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AccountsKeySet>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<GatewayOptions>, AccountsKeySet>((bearer, gateway, keySet) =>
            {
                var jwt = gateway.Value.Jwt;
                bearer.MapInboundClaims = false;
                bearer.RequireHttpsMetadata = false;
                bearer.ConfigurationManager = keySet;
                bearer.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = jwt.Issuer,
                    ValidAudience = jwt.Audience,
                    ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = "sub",
                    RoleClaimType = "role",
                };
                bearer.Events = new JwtBearerEvents { OnAuthenticationFailed = RetryWithFreshKeysAsync, OnChallenge = WriteUnauthorizedAsync };
            });

        builder.Services.AddAuthorization();
    }

    /// <summary>A token signed with a key the Gateway does not know: fetch Accounts' keys now and validate once more.</summary>
    private static async Task RetryWithFreshKeysAsync(AuthenticationFailedContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (context.Exception is not SecurityTokenSignatureKeyNotFoundException
            || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return;
        var token = header["Bearer ".Length..].Trim();
        if (!KeyIdReader.CanReadToken(token) || KeyIdReader.ReadJsonWebToken(token).Kid is not { Length: > 0 } keyId) return;
        var keys = await context.HttpContext.RequestServices.GetRequiredService<AccountsKeySet>()
            .KeysWithAsync(keyId, context.HttpContext.RequestAborted);
        if (keys is null) return;

        var parameters = context.Options.TokenValidationParameters.Clone();
        parameters.IssuerSigningKeys = keys.SigningKeys;
        var result = await context.Options.TokenHandlers[0].ValidateTokenAsync(token, parameters);
        if (result.IsValid)
        {
            context.Principal = new System.Security.Claims.ClaimsPrincipal(result.ClaimsIdentity);
            context.Success();
        }
        else
        {
            context.Fail(result.Exception);
        }
    }

    /// <summary>The 401 says whether the token is missing, expired or otherwise not valid.</summary>
    private static Task WriteUnauthorizedAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var (code, detail) = context.AuthenticateFailure switch
        {
            SecurityTokenExpiredException =>
                (ProblemCodes.TokenExpired, "Your session has expired: refresh the access token or sign in again."),
            SecurityTokenSignatureKeyNotFoundException => (ProblemCodes.InvalidToken,
                "The access token is signed with a key that is unknown or no longer accepted (keys are rotated): sign in again."),
            not null => (ProblemCodes.InvalidToken, "The access token is not valid: sign in again."),
            _ => (ProblemCodes.AuthenticationRequired, "Sign in first: this request needs an access token (Authorization: Bearer …)."),
        };
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return new ApiProblem(StatusCodes.Status401Unauthorized, code, "Unauthorized", detail).WriteAsync(context.HttpContext);
    }
}

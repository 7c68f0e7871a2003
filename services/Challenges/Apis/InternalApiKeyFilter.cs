using System.Security.Cryptography;
using System.Text;

namespace FlexWhere.Challenges.Apis;

/// <summary>
/// The service keys the internal API accepts: <c>InternalApi:Key</c> (the one Accounts is given too) and, while a key
/// is rotated, more in <c>InternalApi:AcceptedKeys</c>. A rotation adds the new key here, then switches Accounts to it,
/// then removes the old one (docs/security.md, "Key rotation"), so no call is refused on the way.
/// </summary>
public sealed class InternalApiKeys
{
    public const int MinLength = 32;

    public string? Key { get; set; }

    public List<string> AcceptedKeys { get; set; } = [];

    public IEnumerable<string> All => AcceptedKeys.Prepend(Key ?? "").Where(key => key.Length > 0);
}

public sealed class InternalApiKeysValidator : IValidateOptions<InternalApiKeys>
{
    public ValidateOptionsResult Validate(string? name, InternalApiKeys options)
    {
        var section = InternalApiOptions.SectionName;
        var failures = new List<string>();
        if (string.IsNullOrEmpty(options.Key) && options.AcceptedKeys.Count == 0)
        {
            failures.Add($"{section}:Key is not set: give Challenges the service key Accounts sends, of at least {InternalApiKeys.MinLength} " +
                $"characters (the AppHost parameter internal-api-key); during a rotation {section}:AcceptedKeys lists more.");
        }
        else if (options.Key is { Length: > 0 and < InternalApiKeys.MinLength })
        {
            failures.Add($"{section}:Key must be at least {InternalApiKeys.MinLength} characters long.");
        }

        for (var i = 0; i < options.AcceptedKeys.Count; i++)
        {
            if (options.AcceptedKeys[i] is not { Length: >= InternalApiKeys.MinLength })
            {
                failures.Add($"{section}:AcceptedKeys:{i} must be at least {InternalApiKeys.MinLength} characters long (it is empty or shorter).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Only services holding one of the accepted keys reach the internal API.</summary>
public sealed class InternalApiKeyFilter(IOptions<InternalApiKeys> options) : IEndpointFilter
{
    // Comparing fixed-length digests keeps each comparison constant-time even in the key's length; every key is
    // compared, so the time does not tell which one matched either.
    private readonly byte[][] _accepted = [.. options.Value.All.Select(key => SHA256.HashData(Encoding.UTF8.GetBytes(key)))];

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var presented = context.HttpContext.Request.Headers[InternalApiOptions.HeaderName].ToString();
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var matched = false;
        foreach (var accepted in _accepted) matched |= CryptographicOperations.FixedTimeEquals(digest, accepted);
        if (presented.Length > 0 && matched) return next(context);

        return ValueTask.FromResult<object?>(new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.UnauthorizedService,
            "Service not authenticated", $"Internal endpoints need the service key in the {InternalApiOptions.HeaderName} header."));
    }
}

public static class InternalApiGroups
{
    /// <summary>A group of the internal API: behind the service key, and out of the OpenAPI document.</summary>
    public static RouteGroupBuilder MapInternalGroup(this IEndpointRouteBuilder app, string prefix, string tag) =>
        app.MapGroup(prefix).WithTags(tag).AddEndpointFilter<InternalApiKeyFilter>().ExcludeFromDescription();
}

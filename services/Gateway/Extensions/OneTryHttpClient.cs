using Microsoft.Extensions.Http.Resilience;

namespace FlexWhere.Gateway;

public static class OneTryHttpClient
{
    /// <summary>
    /// A named client that tries once within <paramref name="timeout"/>: ServiceDefaults gives every client the standard
    /// resilience handler (retries, its own timeouts), which would let a probe or a document fetch run far past its own bound.
    /// </summary>
    public static void AddOneTryHttpClient(this IServiceCollection services, string name, TimeSpan timeout)
    {
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt out.
        services.AddHttpClient(name, client => client.Timeout = timeout).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
    }
}

using Microsoft.AspNetCore.Mvc.Testing;

namespace FlexWhere.Testing;

/// <summary>Starts a service that is expected to refuse to start, so the test can assert on what it threw.</summary>
public static class ServiceStart
{
    /// <summary>WebApplicationFactory runs a minimal-hosting app's entry point on a thread of its own; when
    /// the app stops at start (a setting fails validation) it may dispose its services before the
    /// factory's deferred host reads them, and the factory then reports ObjectDisposedException instead
    /// of the app's own exception; a slow, loaded machine makes that more likely. A new factory tries again.</summary>
    public static void Start<TEntryPoint>(Func<WebApplicationFactory<TEntryPoint>> create) where TEntryPoint : class
    {
        for (var attempt = 1; ; attempt++)
        {
            using var factory = create();
            try
            {
                factory.CreateClient().Dispose();
                return;
            }
            catch (ObjectDisposedException) when (attempt < 5)
            {
            }
        }
    }
}

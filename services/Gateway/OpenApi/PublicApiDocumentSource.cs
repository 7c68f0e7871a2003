using System.Text.Json;
using System.Text.Json.Nodes;
using Yarp.ReverseProxy;

namespace FlexWhere.Gateway.OpenApi;

/// <summary>
/// Fetches every routed service's own <c>/openapi/v1.json</c> (by service discovery, the cluster's
/// destination) and keeps the merged document briefly: a complete one for a minute, one with a service
/// missing for five seconds, so it fills in soon after that service answers again. A service that does
/// not answer, answers an error or something that is not an OpenAPI document leaves its paths out and is
/// named in the document; the document itself is always served.
/// </summary>
internal sealed class PublicApiDocumentSource(
    IHttpClientFactory httpClients, IProxyStateLookup proxy, TimeProvider time, ILogger<PublicApiDocumentSource> logger)
{
    public const string ServiceDocumentPath = "/openapi/v1.json";

    /// <summary>
    /// The client the documents are fetched with: one try, no retries, within <see cref="FetchTimeout"/>.
    /// </summary>
    public const string HttpClientName = "service-openapi-documents";

    /// <summary>
    /// Longer than a readiness probe's five seconds: a service builds its document on the first request,
    /// which compiles much of its code (Accounts: about 0.6 s on a quiet 2-core machine; on a busy one
    /// it passed five seconds and the document came out without Accounts' paths).
    /// </summary>
    public static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan CompleteFor = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan IncompleteFor = TimeSpan.FromSeconds(5);
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile CachedDocument? _cached;

    public async Task<string> GetJsonAsync(CancellationToken cancel)
    {
        if (_cached is { } cached && time.GetUtcNow() < cached.Until) return cached.Json;

        await _refresh.WaitAsync(cancel);
        try
        {
            if (_cached is { } fresh && time.GetUtcNow() < fresh.Until) return fresh.Json;

            var routes = proxy.GetRoutes().Select(route => route.Config).ToList();
            var services = proxy.GetClusters()
                .Where(cluster => routes.Any(route => route.ClusterId == cluster.ClusterId))
                .Select(cluster => (cluster.ClusterId, Address: cluster.Model.Config.Destinations?.Values
                    .Select(destination => destination.Address).FirstOrDefault(address => !string.IsNullOrWhiteSpace(address))))
                .Where(service => service.Address is not null)
                .OrderBy(service => service.ClusterId, StringComparer.Ordinal)
                .ToList();
            var fetched = await Task.WhenAll(services.Select(service => FetchAsync(service.ClusterId, service.Address!, cancel)));

            var documents = fetched.OfType<ServiceDocument>().ToList();
            var unavailable = services.Where((_, index) => fetched[index] is null).Select(service => service.ClusterId).ToList();
            var json = PublicApiDocument.Merge(documents, unavailable, routes).ToJsonString(Indented);
            _cached = new CachedDocument(json, time.GetUtcNow() + (unavailable.Count == 0 ? CompleteFor : IncompleteFor));
            return json;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task<ServiceDocument?> FetchAsync(string service, string address, CancellationToken cancel)
    {
        try
        {
            // One try: a service that refuses the connection costs the reader nothing, one that hangs
            // costs it FetchTimeout at most, not the standard handler's retries.
            using var client = httpClients.CreateClient(HttpClientName);
            using var response = await client.GetAsync(new Uri(new Uri(address), ServiceDocumentPath), cancel);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("The OpenAPI document of {Service} is left out: it answered {Status}", service, (int)response.StatusCode);
                return null;
            }

            var document = await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancel), cancellationToken: cancel);
            if (document is JsonObject root && root["openapi"] is JsonValue) return new ServiceDocument(service, root);

            logger.LogWarning("The OpenAPI document of {Service} is left out: it is not an OpenAPI document", service);
            return null;
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or InvalidOperationException
                                          || (exception is TaskCanceledException && !cancel.IsCancellationRequested))
        {
            logger.LogWarning("The OpenAPI document of {Service} is left out: {Error}", service, exception.GetType().Name);
            return null;
        }
    }

    private sealed record CachedDocument(string Json, DateTimeOffset Until);
}

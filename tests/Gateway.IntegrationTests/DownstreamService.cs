using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FlexWhere.Gateway.IntegrationTests;

/// <summary>
/// A service behind the Gateway on a real Kestrel port: it answers every path with its own name,
/// /health as told, a key set when given one, and records what reached it. The real services stand
/// behind the Gateway in the end-to-end tests; here the point is what the Gateway forwards and what
/// it refuses.
/// </summary>
internal sealed class DownstreamService : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DownstreamService(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public bool Ready { get; set; } = true;

    /// <summary>Served at /.well-known/jwks.json when set (the Accounts stand-in).</summary>
    public string? Jwks { get; set; }

    /// <summary>Served at /openapi/v1.json when set: the service's own OpenAPI document.</summary>
    public string? OpenApiDocument { get; set; }

    /// <summary>How long the service takes to answer /openapi/v1.json (a service building its document cold).</summary>
    public TimeSpan OpenApiDelay { get; set; }

    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    public IEnumerable<ReceivedRequest> ReceivedApiRequests =>
        Received.Where(request => request.Path is not ("/health" or "/.well-known/jwks.json"));

    public string Address => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

    public static async Task<DownstreamService> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var service = new DownstreamService(name, app);
        app.Run(async context =>
        {
            service.Received.Enqueue(new ReceivedRequest(
                context.Request.Path,
                context.Request.Headers.ToDictionary(
                    header => header.Key, header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            switch (context.Request.Path.Value)
            {
                case "/health":
                    context.Response.StatusCode = service.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                    return;
                case "/.well-known/jwks.json" when service.Jwks is not null:
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync(service.Jwks);
                    return;
                case "/openapi/v1.json" when service.OpenApiDocument is not null:
                    await Task.Delay(service.OpenApiDelay, context.RequestAborted);
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync(service.OpenApiDocument);
                    return;
                default:
                    // Lets a test play a service that decides its own caching.
                    if (context.Request.Query.TryGetValue("cacheControl", out var cacheControl))
                    {
                        context.Response.Headers.CacheControl = cacheControl;
                    }

                    await context.Response.WriteAsync($"{name}:{context.Request.Path}");
                    return;
            }
        });
        await app.StartAsync();
        return service;
    }

    /// <summary>Takes the service down: its port refuses connections from now on.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

internal sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Headers);

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace FlexWhere.Gateway.IntegrationTests;

/// <summary>
/// A service behind the Gateway on a real Kestrel port: it answers every path with its own name,
/// /health as told, and records what reached it. The real services stand behind the Gateway in the
/// end-to-end tests; here the point is what the Gateway forwards and what it refuses.
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

    public ConcurrentQueue<string> ReceivedPaths { get; } = new();

    public string Address => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

    public static async Task<DownstreamService> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var service = new DownstreamService(name, app);
        app.Run(async context =>
        {
            service.ReceivedPaths.Enqueue(context.Request.Path);
            if (context.Request.Path == "/health")
            {
                context.Response.StatusCode = service.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                return;
            }

            await context.Response.WriteAsync($"{name}:{context.Request.Path}");
        });
        await app.StartAsync();
        return service;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Xunit;

namespace FlexWhere.Testing;

/// <summary>What /health and /alive say, as a client sees it.</summary>
public static class HealthProbe
{
    public sealed record Report(string Status, Dictionary<string, Entry> Checks);

    public sealed record Entry(string Status);

    /// <summary>Polls /health until it answers <paramref name="expected"/> or the timeout passes;
    /// returns the last answer either way, so the assertion shows what it was.</summary>
    public static async Task<(HttpStatusCode Code, Report? Body, string Raw)> WaitForReadinessAsync(
        HttpClient client, HttpStatusCode expected, TimeSpan timeout, string path = "/health")
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var response = await client.GetAsync(path);
            var raw = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == expected || DateTime.UtcNow >= deadline)
            {
                return (response.StatusCode, await ReadAsync(response), raw);
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Asserts the split between liveness and readiness when dependencies are down: the
    /// process is alive, not ready, names each failing check, and leaks no error text.</summary>
    public static async Task AssertAliveButNotReadyAsync(HttpClient client, params string[] failingChecks)
    {
        using var alive = await client.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);

        var (code, body, raw) = await WaitForReadinessAsync(client, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, code);
        Assert.NotNull(body);
        Assert.Equal("Unhealthy", body.Status);
        foreach (var check in failingChecks)
        {
            Assert.True(body.Checks.TryGetValue(check, out var entry), $"No check named '{check}' in {raw}");
            Assert.NotEqual("Healthy", entry.Status);
        }

        Assert.DoesNotContain("Exception", raw, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("refused", raw, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A loopback port nothing listens on: a dependency that is down.</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<Report?> ReadAsync(HttpResponseMessage response)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<Report>();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

using System.Net;
using FlexWhere.Testing;

namespace FlexWhere.Gateway.IntegrationTests;

/// <summary>
/// A rotation of Accounts' signing key as the Gateway sees it through the JWKS (docs/security.md, "Key rotation"):
/// the new key is published beside the old one, then signs, then the old one is removed. Accounts' own side of it
/// (the key ring, the tokens of a real sign-in) is in Accounts.IntegrationTests' KeyRotationTests.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class KeyRotationTests(RedisServer redis) : IAsyncLifetime
{
    private GatewayStack _stack = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Fails_no_request_while_the_key_rotates_under_parallel_traffic()
    {
        // The default key set age (minutes): only the in-request fetch can let the new key's first tokens through.
        _stack = await GatewayStack.StartAsync(redis.ConnectionString);
        using var next = new TestTokens("next-key");
        var accounts = _stack.Services["accounts"];
        var phase = 0; // 0: old key only; 1: both published, the old one signs; 2: both published, the new one signs
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var sent = 0;
        using var stop = new CancellationTokenSource();

        async Task WorkerAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                // A user per request: the per-user limit is not what this test is about.
                var signer = Volatile.Read(ref phase) == 2 ? next : _stack.Tokens;
                using var response = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, signer.Issue(Guid.NewGuid().ToString())));
                Interlocked.Increment(ref sent);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Enqueue($"{(int)response.StatusCode} in phase {Volatile.Read(ref phase)}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        }

        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(WorkerAsync)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1));
        accounts.Jwks = TestTokens.JwksOf(_stack.Tokens, next);
        Volatile.Write(ref phase, 1);
        await Task.Delay(TimeSpan.FromSeconds(1));
        // The new key signs before the Gateway's key set is old enough to be fetched again: the first tokens
        // of the new key make it fetch within their requests.
        Volatile.Write(ref phase, 2);
        await Task.Delay(TimeSpan.FromSeconds(2));
        stop.Cancel();
        await Task.WhenAll(workers);

        Assert.True(failures.IsEmpty, $"{failures.Count} of {sent} requests failed: {string.Join("; ", failures.Take(3))}");
        Assert.True(sent > 50, $"Only {sent} requests were sent.");
        // And the old key's tokens, signed before the switch, still pass.
        using var old = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, _stack.Tokens.Issue(Guid.NewGuid().ToString())));
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
    }

    [Fact]
    public async Task Refuses_tokens_of_a_removed_key_with_a_clear_401()
    {
        // A key set at most a second old: the removal shows within the test's patience.
        _stack = await GatewayStack.StartAsync(redis.ConnectionString, settings: ("Gateway:Jwt:KeySetMaxAgeSeconds", "1"));
        using var next = new TestTokens("next-key");
        var accounts = _stack.Services["accounts"];
        accounts.Jwks = TestTokens.JwksOf(_stack.Tokens, next);
        var oldToken = _stack.Tokens.Issue(Guid.NewGuid().ToString());
        using (var accepted = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, oldToken)))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        accounts.Jwks = next.Jwks;
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        // The first request after the key set grew old starts its fetch in the background and may still pass;
        // from when that fetch is in, the old key's tokens are refused.
        var status = HttpStatusCode.OK;
        HttpResponseMessage? refused = null;
        for (var attempt = 0; attempt < 20 && status == HttpStatusCode.OK; attempt++)
        {
            refused?.Dispose();
            refused = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, oldToken));
            status = refused.StatusCode;
            if (status == HttpStatusCode.OK) await Task.Delay(200);
        }

        using (refused)
        {
            var problem = await SecurityTests.AssertProblemAsync(refused!, HttpStatusCode.Unauthorized, "invalid_token");
            Assert.Contains("no longer accepted", problem.GetProperty("detail").GetString());
        }

        using var current = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, next.Issue(Guid.NewGuid().ToString())));
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();
}

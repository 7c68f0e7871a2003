using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>
/// A rotation of the signing key over replicas of Accounts on one database, as docs/security.md ("Key rotation")
/// tells an operator to do it: 1. add the new key beside the active one; 2. make the new key active; 3. once the
/// old key's last tokens have expired, remove it. Each step is rolled out replica by replica, so during a step
/// replicas of the step before and of the step run side by side. The Gateway's side is in Gateway.IntegrationTests.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class KeyRotationTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    private static readonly Lazy<string> NewKey = new(() => RSA.Create(2048).ExportPkcs8PrivateKeyPem());

    // The class's host is the replica before the rotation, with the single key of Tokens:SigningKeyPem (as the AppHost
    // gives it): the rotation moves it to a key ring.
    private ServiceFactory<Program> BothKeys(bool newKeySigns) => NewAccounts(
        [("Tokens:SigningKeys:2026-12", NewKey.Value), .. newKeySigns ? new[] { ("Tokens:ActiveKey", (string?)"2026-12") } : []]);

    private ServiceFactory<Program> NewKeyOnly() => NewAccounts(
        ("Tokens:SigningKeyPem", ""), ("Tokens:SigningKeys:2026-12", NewKey.Value), ("Tokens:ActiveKey", "2026-12"));

    [Fact]
    public async Task Rotates_the_signing_key_and_refuses_the_old_keys_tokens_only_once_it_is_removed()
    {
        var employee = await CreateUserAsync(await CreateOrganisationAsync(), UserRole.Employee);
        var oldToken = await SignInAsync(Client, employee);
        var oldKey = KeyIdOf(oldToken);

        await using var added = BothKeys(newKeySigns: false);
        await using var switched = BothKeys(newKeySigns: true);
        using (var addedClient = added.CreateClient())
        using (var switchedClient = switched.CreateClient())
        {
            // Step 1: the new key is published, the old one still signs.
            Assert.Equal([oldKey, "2026-12"], await PublishedKeyIdsAsync(addedClient));
            Assert.Equal(oldKey, KeyIdOf(await SignInAsync(addedClient, employee)));

            // Step 2: the new key signs; tokens of either key pass on replicas of either step.
            var newToken = await SignInAsync(switchedClient, employee);
            Assert.Equal("2026-12", KeyIdOf(newToken));
            Assert.Equal([oldKey, "2026-12"], await PublishedKeyIdsAsync(switchedClient));
            foreach (var replica in new[] { addedClient, switchedClient })
            {
                await AssertMeAsync(replica, oldToken, HttpStatusCode.OK);
                await AssertMeAsync(replica, newToken, HttpStatusCode.OK);
            }
        }

        // Step 3: the old key is gone, and with it every token it signed.
        await using var removed = NewKeyOnly();
        using var removedClient = removed.CreateClient();
        Assert.Equal(["2026-12"], await PublishedKeyIdsAsync(removedClient));
        await AssertMeAsync(removedClient, await SignInAsync(removedClient, employee), HttpStatusCode.OK);
        using var refused = await MeAsync(removedClient, oldToken);
        await ProblemAsync(refused, HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Fails_no_request_while_replicas_of_two_steps_serve_side_by_side()
    {
        var organisation = await CreateOrganisationAsync();
        var employees = new List<User>();
        for (var i = 0; i < 4; i++) employees.Add(await CreateUserAsync(organisation, UserRole.Employee));

        await using var added = BothKeys(newKeySigns: false);
        await using var switched = BothKeys(newKeySigns: true);
        await using var removed = NewKeyOnly();
        // Each step's rollout: the replicas of the step before beside those of the step (step 3 comes once the old
        // key's tokens have expired, so those of step 2 it meets were all signed by the new key).
        var rollouts = new[]
        {
            new[] { Factory.CreateClient(), added.CreateClient() },
            [added.CreateClient(), switched.CreateClient()],
        };
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var requests = 0;
        foreach (var replicas in rollouts)
        {
            await Task.WhenAll(employees.Select(employee => Task.Run(async () =>
            {
                for (var round = 0; round < 6; round++)
                {
                    // Signed in by one replica, served and refreshed by another: the load balancer does not care.
                    var signIn = await LoginOnAsync(replicas[round % 2], employee);
                    using var me = await MeAsync(replicas[(round + 1) % 2], signIn.Access);
                    using var refresh = await replicas[(round + 1) % 2].PostAsJsonAsync("/api/auth/refresh",
                        new { refreshToken = signIn.Refresh });
                    Interlocked.Add(ref requests, 3);
                    foreach (var response in new[] { signIn.Response, me, refresh })
                    {
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            failures.Enqueue($"{(int)response.StatusCode} {response.RequestMessage?.RequestUri?.AbsolutePath}: " +
                                await response.Content.ReadAsStringAsync());
                        }
                    }

                    signIn.Response.Dispose();
                }
            })));
        }

        // The last rollout: tokens of the new key only.
        var last = new[] { switched.CreateClient(), removed.CreateClient() };
        foreach (var employee in employees)
        {
            var signIn = await LoginOnAsync(last[0], employee);
            using var me = await MeAsync(last[1], signIn.Access);
            Interlocked.Add(ref requests, 2);
            if (me.StatusCode != HttpStatusCode.OK) failures.Enqueue($"{(int)me.StatusCode} on the last rollout");
            signIn.Response.Dispose();
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} of {requests} requests failed: {string.Join("; ", failures.Take(3))}");
        foreach (var client in rollouts.SelectMany(clients => clients).Concat(last)) client.Dispose();
    }

    private static async Task<string> SignInAsync(HttpClient replica, User employee)
    {
        var signIn = await LoginOnAsync(replica, employee);
        using var response = signIn.Response;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return signIn.Access;
    }

    private static async Task<(HttpResponseMessage Response, string Access, string Refresh)> LoginOnAsync(HttpClient replica, User employee)
    {
        var response = await replica.PostAsJsonAsync("/api/auth/login",
            new { email = employee.Email, password = Password, client = "mobile", deviceToken = (string?)null });
        if (response.StatusCode != HttpStatusCode.OK) return (response, "", "");
        var body = await JsonAsync(response);
        return (response, body.GetProperty("accessToken").GetString()!, body.GetProperty("refreshToken").GetString()!);
    }

    private static Task<HttpResponseMessage> MeAsync(HttpClient replica, string accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new("Bearer", accessToken);
        return replica.SendAsync(request);
    }

    private static async Task AssertMeAsync(HttpClient replica, string accessToken, HttpStatusCode expected)
    {
        using var response = await MeAsync(replica, accessToken);
        Assert.Equal(expected, response.StatusCode);
    }

    private static string KeyIdOf(string accessToken) => new JsonWebToken(accessToken).Kid;

    /// <summary>The published key ids, in the order the ring has them: the key of Tokens:SigningKeyPem first.</summary>
    private static async Task<string[]> PublishedKeyIdsAsync(HttpClient replica) =>
        [.. new JsonWebKeySet(await replica.GetStringAsync("/.well-known/jwks.json")).Keys.Select(key => key.Kid)];
}

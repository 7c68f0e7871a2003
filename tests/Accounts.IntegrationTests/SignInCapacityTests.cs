using System.Diagnostics;
using System.Net;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>
/// The password-check gate (<c>PasswordCheckGate</c>): one check at a time and one waiting, against a user whose
/// stored hash takes about a second to verify, so the parallel sign-ins below meet while the first one hashes.
/// </summary>
[Collection(PostgresCollection.Name)]
public class SignInCapacityTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    protected override IEnumerable<(string Key, string? Value)> Settings =>
        [("SignIn:ConcurrentChecks", "1"), ("SignIn:QueuedPerCheck", "1"), ("SignIn:BusyRetryAfterSeconds", "3"),
            ("SignIn:BusyRetryAfterMaxSeconds", "3")];

    [Fact]
    public async Task Sign_ins_beyond_the_running_check_and_its_queue_are_refused_at_once_and_count_as_no_attempt()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        await GiveSlowHashAsync(employee);

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            var clock = Stopwatch.StartNew();
            var response = await LoginAsync(employee.Email);
            return (Response: response, Elapsed: clock.Elapsed);
        }));

        var admitted = answers.Where(answer => answer.Response.StatusCode == HttpStatusCode.OK).ToList();
        var refused = answers.Where(answer => answer.Response.StatusCode != HttpStatusCode.OK).ToList();
        // One ran, one waited for it, and the two beyond them were turned away before either had its hash.
        Assert.Equal(2, admitted.Count);
        Assert.Equal(2, refused.Count);
        foreach (var (response, _) in refused)
        {
            var problem = await ProblemAsync(response, HttpStatusCode.ServiceUnavailable, "sign_in_busy");
            Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
            Assert.Contains("Try again", problem.GetProperty("detail").GetString());
        }

        Assert.True(refused.Max(answer => answer.Elapsed) < admitted.Min(answer => answer.Elapsed),
            $"A refusal took {refused.Max(answer => answer.Elapsed).TotalMilliseconds:N0} ms, the first admitted sign-in " +
            $"{admitted.Min(answer => answer.Elapsed).TotalMilliseconds:N0} ms: refusals must not wait for a hash.");

        // The refused sign-ins left nothing: no audit entry, no failure counted, and the gate is free again.
        var audit = await AuditAsync(organisation.Id);
        Assert.Equal(2, audit.Count(entry => entry.Event == AuditEvents.SignInSucceeded && entry.SubjectUserId == employee.Id));
        Assert.DoesNotContain(audit, entry => entry.Event == AuditEvents.SignInFailed);
        await using (var db = NewDbContext())
        {
            var key = Auth.SignInThrottles.ForEmail(User.Normalize(employee.Email));
            Assert.Equal(0, (await db.SignInThrottles.SingleAsync(throttle => throttle.Key == key)).Failures);
        }

        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(employee.Email)).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_still_holds_a_check_so_guessing_cannot_pass_the_gate()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        await GiveSlowHashAsync(employee);

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => LoginAsync(employee.Email, "wrong-password")));

        Assert.Equal(2, answers.Count(response => response.StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(2, answers.Count(response => response.StatusCode == HttpStatusCode.ServiceUnavailable));
    }

    /// <summary>The user's password hashed with two million PBKDF2 iterations (ASP.NET Core Identity reads the count
    /// from the hash), about a second to verify here.</summary>
    private async Task GiveSlowHashAsync(User user)
    {
        var slow = new Microsoft.AspNetCore.Identity.PasswordHasher<User>(Microsoft.Extensions.Options.Options.Create(
            new Microsoft.AspNetCore.Identity.PasswordHasherOptions { IterationCount = 2_000_000 })).HashPassword(user, Password);
        await using var db = NewDbContext();
        await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(update => update.SetProperty(u => u.PasswordHash, slow));
    }
}

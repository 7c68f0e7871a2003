using System.Net;
using System.Security.Claims;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Auth;
using FlexWhere.Accounts.Data;
using FlexWhere.Accounts.Users;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.UnitTests;

/// <summary>The audit writer takes who, where and when from the request and the clock: an entry must name
/// the signed-in caller and the caller's organisation, never the subject's, and the client's address.</summary>
public class AuditLogTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid CallerId = Guid.NewGuid();
    private static readonly Guid CallerOrganisation = Guid.NewGuid();

    private readonly AccountsDbContext _db = new(new DbContextOptionsBuilder<AccountsDbContext>().UseNpgsql("Host=unused").Options);

    [Fact]
    public void An_act_of_the_caller_names_the_caller_their_organisation_and_address()
    {
        var subject = Guid.NewGuid();
        Writer(SignedIn(), "203.0.113.7").ByCaller(AuditEvents.UserDisabled, subject, "missing from full sync");

        var entry = Single();
        Assert.Equal(CallerOrganisation, entry.OrganisationId);
        Assert.Equal(CallerId, entry.ActorUserId);
        Assert.Equal(subject, entry.SubjectUserId);
        Assert.Equal(AuditEvents.UserDisabled, entry.Event);
        Assert.Equal("203.0.113.7", entry.ClientIp);
        Assert.Equal(Now, entry.At);
        Assert.Equal("missing from full sync", entry.Details);
    }

    [Fact]
    public void An_act_of_the_caller_needs_a_signed_in_caller()
    {
        var anonymous = new ClaimsPrincipal(new ClaimsIdentity());

        Assert.Throws<InvalidOperationException>(() => Writer(anonymous, "203.0.113.7").ByCaller(AuditEvents.UserDisabled, Guid.NewGuid()));
        Assert.Empty(_db.ChangeTracker.Entries<AuditEntry>());
    }

    [Fact]
    public void A_user_acting_on_their_own_account_is_actor_and_subject_in_their_organisation()
    {
        var user = AUser();
        Writer(new ClaimsPrincipal(new ClaimsIdentity()), "2001:db8::5").BySelf(user, AuditEvents.SignInSucceeded, "client mobile");

        var entry = Single();
        Assert.Equal((user.OrganisationId, user.Id, user.Id, "2001:db8::5"),
            (entry.OrganisationId, entry.ActorUserId, entry.SubjectUserId, entry.ClientIp));
    }

    [Fact]
    public void What_happens_to_an_account_has_no_actor()
    {
        var user = AUser();
        Writer(SignedIn(), "203.0.113.7").About(user, AuditEvents.SignInFailed, "wrong password");

        var entry = Single();
        Assert.Equal((user.OrganisationId, (Guid?)null, user.Id), (entry.OrganisationId, entry.ActorUserId, entry.SubjectUserId));
    }

    [Fact]
    public void Outside_a_request_there_is_no_address_and_long_details_are_cut()
    {
        var organisation = Guid.NewGuid();
        var housekeeping = new AuditLog(_db, new HttpContextAccessor(), new FixedClock());
        housekeeping.Record(organisation, AuditEvents.PhoneChanged, details: new string('x', 2500));

        var entry = Single();
        Assert.Null(entry.ClientIp);
        Assert.Equal(organisation, entry.OrganisationId);
        Assert.Equal(AuditLog.MaxDetailsLength, entry.Details!.Length);
    }

    private AuditLog Writer(ClaimsPrincipal principal, string address)
    {
        var http = new DefaultHttpContext { User = principal };
        http.Connection.RemoteIpAddress = IPAddress.Parse(address);
        return new AuditLog(_db, new HttpContextAccessor { HttpContext = http }, new FixedClock());
    }

    private static ClaimsPrincipal SignedIn() => new(new ClaimsIdentity(
        [
            new Claim(TokenClaims.Subject, CallerId.ToString()),
            new Claim(TokenClaims.Organisation, CallerOrganisation.ToString()),
            new Claim(TokenClaims.Role, nameof(UserRole.Admin)),
        ], authenticationType: "Bearer"));

    /// <summary>A user of another organisation than the caller's, so a mix-up shows.</summary>
    private static User AUser() => new()
    {
        Id = Guid.NewGuid(),
        OrganisationId = Guid.NewGuid(),
        Email = "someone@example.test",
        NormalizedEmail = "SOMEONE@EXAMPLE.TEST",
        DisplayName = "Someone",
    };

    private AuditEntry Single() => Assert.Single(_db.ChangeTracker.Entries<AuditEntry>()).Entity;

    private sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => Now;
    }
}

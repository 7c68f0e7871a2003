using System.Text;
using FlexWhere.Accounts.Mobile;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>The Data Protection keys (they protect the TOTP secrets) are stored in PostgreSQL encrypted to the
/// certificate of <c>DataProtection:Certificate</c>; replicas with that certificate share them, a replica with
/// another refuses to start, and a replaced certificate still reads what it encrypted while it is listed in
/// <c>DataProtection:PreviousCertificates</c>.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DataProtectionKeyTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    private static readonly Lazy<string> Certificate = new(() => TestCertificates.Pem("FlexWhere Accounts Data Protection"));
    private static readonly Lazy<string> NextCertificate = new(() => TestCertificates.Pem("FlexWhere Accounts Data Protection 2"));

    // The class's host too: Data Protection makes its first key as a host starts.
    protected override IEnumerable<(string Key, string? Value)> Settings => [("DataProtection:Certificate", Certificate.Value)];

    [Fact]
    public async Task Stores_the_keys_encrypted_and_replicas_with_the_certificate_read_them()
    {
        var user = Guid.NewGuid();
        var secret = Encoding.UTF8.GetBytes("JBSWY3DPEHPK3PXP-totp-secret");
        byte[] protectedSecret;
        await using (var first = NewAccounts())
        {
            protectedSecret = first.Services.GetRequiredService<TotpSecrets>().Protect(user, secret);
        }

        {
            var xml = Assert.Single(await StoredKeysAsync());
            // The key's secret is an XML-encrypted element to the certificate; unencrypted, <masterKey> holds it in a <value>.
            Assert.Contains("<encryptedSecret", xml);
            Assert.Contains("EncryptedXmlDecryptor", xml);
            Assert.Contains("<X509Certificate>", xml);
            Assert.DoesNotContain("<masterKey", xml);
            Assert.DoesNotContain("<value>", xml);
            Assert.DoesNotContain("unencrypted", xml, StringComparison.OrdinalIgnoreCase);
        }

        await using (var second = NewAccounts())
        {
            Assert.Equal(secret, second.Services.GetRequiredService<TotpSecrets>().Unprotect(user, protectedSecret));
        }

        // Another certificate cannot decrypt the stored key: the replica does not start.
        var error = Assert.ThrowsAny<Exception>(() => ServiceStart.Start(() => NewAccounts(("DataProtection:Certificate", NextCertificate.Value))));
        Assert.Contains("DataProtection:Certificate to the certificate that encrypted it", error.ToString());

        // ... and has stored no key of its own that the others could not read.
        Assert.Single(await StoredKeysAsync());

        // The certificate replaced, the old one kept to decrypt: what it protected is still read.
        await using var rotated = NewAccounts(("DataProtection:Certificate", NextCertificate.Value),
            ("DataProtection:PreviousCertificates:0", Certificate.Value));
        Assert.Equal(secret, rotated.Services.GetRequiredService<TotpSecrets>().Unprotect(user, protectedSecret));
    }

    private async Task<List<string>> StoredKeysAsync()
    {
        await using var db = NewDbContext();
        return await db.DataProtectionKeys.Select(key => key.Xml!).ToListAsync();
    }
}

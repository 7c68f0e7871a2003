using System.Text;
using FlexWhere.Accounts.Mobile;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

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

    /// <summary>Two replicas starting at once on a database without keys: each read no key, stored one of its own and
    /// protected with it, and the other could not read what it protected (the reliability stack's two replicas: an
    /// outbox e-mail "not found in the key ring" for minutes, 2026-12-01). The table is held until both wait, so both
    /// look at it at the same moment.</summary>
    [Fact]
    public async Task Replicas_starting_together_on_a_database_without_keys_store_one_key_and_read_what_the_other_protected()
    {
        await using var holder = new NpgsqlConnection(ConnectionString);
        await holder.OpenAsync();
        await using (var empty = new NpgsqlCommand("DELETE FROM data_protection_keys", holder)) await empty.ExecuteNonQueryAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("LOCK TABLE data_protection_keys IN ACCESS EXCLUSIVE MODE", holder, transaction))
        {
            await hold.ExecuteNonQueryAsync();
        }

        await using var first = NewAccounts();
        await using var second = NewAccounts();
        var starts = new[] { first, second }.Select(replica => Task.Run(() => replica.Services)).ToArray();
        await WaitUntilSessionsWaitForALockAsync(2);
        await transaction.RollbackAsync();
        await Task.WhenAll(starts).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Single(await StoredKeysAsync());
        var user = Guid.NewGuid();
        var secret = Encoding.UTF8.GetBytes("JBSWY3DPEHPK3PXP-totp-secret");
        Assert.Equal(secret, second.Services.GetRequiredService<TotpSecrets>().Unprotect(user,
            first.Services.GetRequiredService<TotpSecrets>().Protect(user, secret)));
        Assert.Equal(secret, first.Services.GetRequiredService<TotpSecrets>().Unprotect(user,
            second.Services.GetRequiredService<TotpSecrets>().Protect(user, secret)));
    }

    /// <summary>From a connection of its own: inside a transaction pg_stat_activity is read once.</summary>
    private async Task WaitUntilSessionsWaitForALockAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(timeout.Token);
        await using var waiting = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
        while ((long)(await waiting.ExecuteScalarAsync(timeout.Token))! < count) await Task.Delay(100, timeout.Token);
    }

    private async Task<List<string>> StoredKeysAsync()
    {
        await using var db = NewDbContext();
        return await db.DataProtectionKeys.Select(key => key.Xml!).ToListAsync();
    }
}

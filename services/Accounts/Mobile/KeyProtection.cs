using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Npgsql;

namespace FlexWhere.Accounts.Mobile;

/// <summary>The certificate that encrypts the Data Protection keys before they are stored in PostgreSQL
/// (section <c>DataProtection</c>), so a copy of the database alone does not reveal the TOTP secrets they protect.</summary>
public sealed class KeyProtectionOptions
{
    public const string Section = "DataProtection";

    /// <summary>An RSA certificate and its private key, both in PEM (one value, the two blocks one after the other). New keys
    /// are encrypted to it. Required outside Development; the AppHost passes its <c>accounts-data-protection-certificate</c>.</summary>
    public string? Certificate { get; set; }

    /// <summary>Certificates that encrypted keys before <see cref="Certificate"/> replaced them: they only decrypt.</summary>
    public List<string> PreviousCertificates { get; set; } = [];
}

public sealed class KeyProtectionOptionsValidator(IHostEnvironment environment) : IValidateOptions<KeyProtectionOptions>
{
    public ValidateOptionsResult Validate(string? name, KeyProtectionOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Certificate))
        {
            if (!environment.IsDevelopment())
            {
                failures.Add("DataProtection:Certificate is not set: give Accounts an RSA certificate with its private key in PEM " +
                    "(DataProtection__Certificate; under the AppHost the parameter accounts-data-protection-certificate). It encrypts the " +
                    "Data Protection keys stored in the database.");
            }
        }
        else if (KeyProtectionCertificates.Problem(options.Certificate) is { } problem)
        {
            failures.Add($"DataProtection:Certificate {problem}");
        }

        for (var i = 0; i < options.PreviousCertificates.Count; i++)
        {
            if (KeyProtectionCertificates.Problem(options.PreviousCertificates[i]) is { } problem)
            {
                failures.Add($"DataProtection:PreviousCertificates:{i} {problem}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>The configured certificates, read once.</summary>
public sealed class KeyProtectionCertificates
{
    /// <summary>Those of the settings that can be read; one that cannot is left out, and the options' validation on start
    /// refuses it with its setting's name.</summary>
    public KeyProtectionCertificates(KeyProtectionOptions options)
    {
        Current = TryRead(options.Certificate);
        All = [.. options.PreviousCertificates.Select(TryRead).Prepend(Current).OfType<X509Certificate2>()];
    }

    /// <summary>What new keys are encrypted to; null only in Development without one (the keys are then stored as they are).</summary>
    public X509Certificate2? Current { get; }

    /// <summary>Every certificate that may decrypt a stored key.</summary>
    public IReadOnlyList<X509Certificate2> All { get; }

    /// <summary>Why the PEM is no usable certificate, or null.</summary>
    public static string? Problem(string pem)
    {
        using var certificate = TryRead(pem);
        if (certificate is null)
        {
            return "is not a certificate and its private key in PEM (a CERTIFICATE block and a PRIVATE KEY block).";
        }

        using var key = certificate.GetRSAPrivateKey();
        if (key is null) return "is not an RSA certificate with its private key.";
        return key.KeySize < 2048 ? "must have an RSA key of at least 2048 bits." : null;
    }

    private static X509Certificate2? TryRead(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem)) return null;
        try
        {
            return X509Certificate2.CreateFromPem(pem, pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return null;
        }
    }
}

public static class KeyProtection
{
    /// <summary>Encrypts new keys to the certificate, decrypts with it and the previous ones, and refuses to start
    /// when a stored key cannot be decrypted (<see cref="KeyProtectionCheck"/>).</summary>
    public static void ProtectKeysWithConfiguredCertificate(this IHostApplicationBuilder builder, IDataProtectionBuilder dataProtection)
    {
        builder.Services.AddOptions<KeyProtectionOptions>().BindConfiguration(KeyProtectionOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<KeyProtectionOptions>, KeyProtectionOptionsValidator>();
        // Read now: the framework takes its certificates as it is configured, before any options exist.
        var certificates = new KeyProtectionCertificates(
            builder.Configuration.GetSection(KeyProtectionOptions.Section).Get<KeyProtectionOptions>() ?? new KeyProtectionOptions());
        builder.Services.AddSingleton(certificates);
        if (certificates.Current is { } current) dataProtection.ProtectKeysWithCertificate(current);
        if (certificates.All.Count > 0) dataProtection.UnprotectKeysWithAnyCertificate([.. certificates.All]);
        // First of all hosted services: Data Protection's own warms the key ring up at start, and with a wrong certificate
        // it would find no usable key and store a new one that the other replicas cannot read.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, KeyProtectionCheck>());
    }
}

/// <summary>
/// Reads every stored key at start. A key the configured certificates cannot decrypt would be skipped silently, and
/// what it protected (TOTP secrets, outbox messages) lost: a wrong certificate stops the start instead, naming the setting.
/// <para>
/// It also makes the key ring, one replica at a time (a PostgreSQL advisory lock): replicas that start together on a
/// database without a usable key would each store a key of their own and protect with it, and a replica could not read
/// what another protected until its key ring's daily refresh. Under the lock the first stores the key and the others
/// find it. Without the database both are left to the first use (readiness reports the database).
/// </para>
/// </summary>
public sealed class KeyProtectionCheck(IKeyManager keys, IDataProtectionProvider protection, KeyProtectionCertificates certificates,
    IConfiguration configuration, ILogger<KeyProtectionCheck> logger) : IHostedService
{
    /// <summary>The advisory lock's key: "FWDPKEYS" in ASCII.</summary>
    private const long KeyRingLock = 0x4657_4450_4B45_5953;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(configuration.GetConnectionString(AccountsDbContext.ConnectionName));
        NpgsqlTransaction transaction;
        IReadOnlyCollection<IKey> stored;
        try
        {
            await connection.OpenAsync(cancellationToken);
            transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({KeyRingLock})", connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
            stored = keys.GetAllKeys();
        }
        catch (Exception e) when (e is not CryptographicException and not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not read the Data Protection keys at start to check that they can be decrypted");
            return;
        }

        // Ended (rolled back) on the way out, which releases the lock.
        await using (transaction)
        {
            foreach (var key in stored) Check(key);
            try
            {
                // A protect stores the first key when there is no usable one, while the lock is held.
                _ = protection.CreateProtector(nameof(KeyProtectionCheck)).Protect([]);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // As the framework's own warm-up does: the first use tries again.
                logger.LogWarning(e, "Could not make the Data Protection key ring at start");
            }
        }
    }

    private void Check(IKey key)
    {
        try
        {
            _ = key.Descriptor;
        }
        catch (CryptographicException e)
        {
            var configured = certificates.All.Count == 0 ? "no certificate is configured"
                : $"the configured certificates ({string.Join(", ", certificates.All.Select(c => c.Thumbprint))}) cannot";
            throw new InvalidOperationException(
                $"The Data Protection key {key.KeyId} in the database is encrypted, and {configured} decrypt it: set " +
                "DataProtection:Certificate to the certificate that encrypted it, or list that one in " +
                "DataProtection:PreviousCertificates when the certificate was replaced.", e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting.Publishing;

namespace FlexWhere.AppHost;

/// <summary>Default for the certificate that encrypts Accounts' Data Protection keys at rest: a new self-signed RSA 2048
/// certificate and its private key, both in PEM. With <c>persist: true</c> it is generated once and kept in the AppHost's
/// user secrets; a deployment supplies its own (<c>Parameters__accounts-data-protection-certificate</c>).</summary>
internal sealed class CertificateDefault(string subject) : ParameterDefault
{
    public override string GetDefaultValue()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment, critical: true));
        // Only to encrypt keys: nobody checks its dates, and a key it encrypted must stay readable for years.
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(20));
        return certificate.ExportCertificatePem() + "\n" + rsa.ExportPkcs8PrivateKeyPem();
    }

    // Nothing to publish: a deployment must provide its own certificate rather than have one generated.
    public override void WriteToManifest(ManifestPublishingContext context)
    {
    }
}

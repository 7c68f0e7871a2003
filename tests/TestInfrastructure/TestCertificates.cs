using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FlexWhere.Testing;

public static class TestCertificates
{
    /// <summary>A self-signed RSA certificate and its private key in one PEM value, as <c>DataProtection:Certificate</c> takes them.</summary>
    public static string Pem(string subject = "FlexWhere tests")
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return certificate.ExportCertificatePem() + "\n" + rsa.ExportPkcs8PrivateKeyPem();
    }
}

using System.Security.Cryptography;
using Aspire.Hosting.Publishing;

namespace FlexWhere.AppHost;

/// <summary>Default for Accounts' token signing key: a new RSA 2048 private key in PEM. With
/// <c>persist: true</c> it is generated once and kept in the AppHost's user secrets; a deployment
/// supplies its own key (<c>Parameters__accounts-jwt-signing-key</c>).</summary>
internal sealed class RsaSigningKeyDefault : ParameterDefault
{
    public override string GetDefaultValue()
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    // Nothing to publish: a deployment must provide its own key rather than have one generated.
    public override void WriteToManifest(ManifestPublishingContext context)
    {
    }
}

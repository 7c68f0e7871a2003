using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlexWhere.Testing.WebAuthn;

/// <summary>
/// A WebAuthn authenticator in software, as a browser and a security key together would answer (W3C WebAuthn Level 3):
/// an ES256 key pair, "none" attestation, authenticator data with its flags and signature counter, and the client data
/// a browser signs over (type, challenge, origin). Tests use it to register and sign in through the real routes and the
/// real Fido2 verification, and to play the attacker: another origin, an old counter, a replayed answer.
/// </summary>
public sealed class SoftwareAuthenticator(string rpId, string origin, bool synced = false) : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public byte[] CredentialId { get; } = RandomNumberGenerator.GetBytes(32);

    /// <summary>The signature counter the next answer carries (then it goes up by one).</summary>
    public uint Counter { get; set; }

    /// <summary>The user handle given at registration: a discoverable credential returns it when it signs.</summary>
    public byte[]? UserHandle { get; private set; }

    /// <summary>The answer to <c>navigator.credentials.create(options)</c>, as <c>PublicKeyCredential.toJSON()</c> gives it.</summary>
    public JsonObject Register(JsonElement options, string? fromOrigin = null)
    {
        UserHandle = Base64Url(options.GetProperty("user").GetProperty("id").GetString()!);
        var clientData = ClientData("webauthn.create", options.GetProperty("challenge").GetString()!, fromOrigin ?? origin);
        var authData = AuthenticatorData(userVerified: true, attestedCredential: true);
        var attestation = new CborWriter();
        attestation.WriteStartMap(3);
        attestation.WriteTextString("fmt");
        attestation.WriteTextString("none");
        attestation.WriteTextString("attStmt");
        attestation.WriteStartMap(0);
        attestation.WriteEndMap();
        attestation.WriteTextString("authData");
        attestation.WriteByteString(authData);
        attestation.WriteEndMap();
        return Credential(new JsonObject
        {
            ["attestationObject"] = Base64Url(attestation.Encode()),
            ["clientDataJSON"] = Base64Url(clientData),
            ["transports"] = new JsonArray("usb"),
        });
    }

    /// <summary>The answer to <c>navigator.credentials.get(options)</c>: signed authenticator data and client data.</summary>
    public JsonObject Sign(JsonElement options, string? fromOrigin = null, bool userVerified = true)
    {
        var clientData = ClientData("webauthn.get", options.GetProperty("challenge").GetString()!, fromOrigin ?? origin);
        var authData = AuthenticatorData(userVerified, attestedCredential: false);
        var signature = _key.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256,
            DSASignatureFormat.Rfc3279DerSequence);
        return Credential(new JsonObject
        {
            ["authenticatorData"] = Base64Url(authData),
            ["clientDataJSON"] = Base64Url(clientData),
            ["signature"] = Base64Url(signature),
            ["userHandle"] = UserHandle is null ? null : Base64Url(UserHandle),
        });
    }

    private JsonObject Credential(JsonObject response) => new()
    {
        ["id"] = Base64Url(CredentialId),
        ["rawId"] = Base64Url(CredentialId),
        ["type"] = "public-key",
        ["response"] = response,
        ["clientExtensionResults"] = new JsonObject(),
    };

    private static byte[] ClientData(string type, string challenge, string origin) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type, challenge, origin, crossOrigin = false }));

    /// <summary>RP ID hash, flags (user present, user verified, backup eligible and state, attested data), counter, and at
    /// registration the credential: AAGUID, id and COSE key.</summary>
    private byte[] AuthenticatorData(bool userVerified, bool attestedCredential)
    {
        byte flags = 0x01;
        if (userVerified) flags |= 0x04;
        if (synced) flags |= 0x08 | 0x10;
        if (attestedCredential) flags |= 0x40;
        var counter = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(counter, Counter++);
        byte[] data = [.. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)), flags, .. counter];
        if (!attestedCredential) return data;

        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)CredentialId.Length);
        return [.. data, .. new byte[16], .. length, .. CredentialId, .. CosePublicKey()];
    }

    /// <summary>RFC 9053: an EC2 key on P-256 for ES256.</summary>
    private byte[] CosePublicKey()
    {
        var point = _key.ExportParameters(false).Q;
        var cose = new CborWriter(CborConformanceMode.Ctap2Canonical);
        cose.WriteStartMap(5);
        cose.WriteInt32(1);
        cose.WriteInt32(2);
        cose.WriteInt32(3);
        cose.WriteInt32(-7);
        cose.WriteInt32(-1);
        cose.WriteInt32(1);
        cose.WriteInt32(-2);
        cose.WriteByteString(point.X!);
        cose.WriteInt32(-3);
        cose.WriteByteString(point.Y!);
        cose.WriteEndMap();
        return cose.Encode();
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    public void Dispose() => _key.Dispose();
}

using FlexWhere.Testing;

namespace FlexWhere.Accounts.UnitTests;

public class StartupTests
{
    [Fact]
    public void Refuses_to_start_without_the_database_connection_string()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>([.. Broker, ("ConnectionStrings:accountsdb", "")])));

        Assert.Contains("ConnectionStrings:accountsdb is not set", error.Message);
    }

    [Fact]
    public async Task Is_alive_but_not_ready_while_the_database_does_not_answer()
    {
        using var factory = new ServiceFactory<Program>([.. Broker,
            ("ConnectionStrings:accountsdb", $"Host=127.0.0.1;Port={HealthProbe.ClosedPort()};Username=u;Password=p;Database=d;Timeout=2"),
            ("InternalApi:Key", ServiceKey)]);

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "AccountsDbContext");
    }

    [Fact]
    public void Refuses_to_start_without_the_key_it_calls_challenges_with()
    {
        var error = Assert.ThrowsAny<Exception>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>([.. Broker, ("ConnectionStrings:accountsdb",
            "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d")])));

        Assert.Contains("InternalApi:Key is not set", error.ToString());
    }

    [Fact]
    public void Refuses_to_start_without_the_broker_its_e_mails_leave_by()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServiceStart.Start(() => new ServiceFactory<Program>(
            ("ConnectionStrings:accountsdb", "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d"), ("InternalApi:Key", ServiceKey))));

        Assert.Contains("ConnectionStrings:rabbitmq is not set", error.Message);
    }

    [Theory]
    [InlineData(null, "AccountLinks:PublicBaseUrl is not set")]
    [InlineData("control-centre.example", "AccountLinks:PublicBaseUrl must be an absolute http(s) URL")]
    public void Refuses_to_start_without_the_address_links_in_e_mails_open(string? url, string expected)
    {
        var error = Assert.ThrowsAny<Exception>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>([.. Broker, ("AccountLinks:PublicBaseUrl", url),
            ("ConnectionStrings:accountsdb", "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d"), ("InternalApi:Key", ServiceKey)])));

        Assert.Contains(expected, error.ToString());
    }

    [Theory]
    [InlineData("alice", "too-short-a-key")]
    [InlineData("Alice Smith", "a-long-enough-operator-key-0123456789")]
    public void Refuses_to_start_with_an_operator_key_too_short_or_an_operator_name_not_fit_for_the_audit_log(string name, string key)
    {
        var error = Assert.ThrowsAny<Exception>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>([.. Broker, ($"Operators:Keys:{name}", key),
            ("ConnectionStrings:accountsdb", "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d"), ("InternalApi:Key", ServiceKey)])));

        Assert.Contains("Operators:Keys:", error.ToString());
    }

    public const string ServiceKey = "internal-api-key-for-the-tests-0123456789";

    /// <summary>A broker nobody answers on, and where links point: what every Accounts needs to start.</summary>
    public static readonly (string, string?)[] Broker =
    [
        ("ConnectionStrings:rabbitmq", $"amqp://guest:guest@127.0.0.1:{HealthProbe.ClosedPort()}/"),
        ("AccountLinks:PublicBaseUrl", "https://control-centre.flexwhere.test"),
    ];
}

public class SigningKeyStartupTests
{
    [Fact]
    public void Refuses_to_start_outside_development_without_a_signing_key()
    {
        var error = Assert.ThrowsAny<Exception>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>([.. StartupTests.Broker,
            ("environment", "Production"),
            ("ConnectionStrings:accountsdb", "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d")])));

        Assert.Contains("Tokens:SigningKeyPem is not set", error.ToString());
    }

    [Fact]
    public void Refuses_to_start_with_a_signing_key_that_is_not_an_rsa_private_key()
    {
        var error = Assert.ThrowsAny<Exception>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>([.. StartupTests.Broker,
            ("ConnectionStrings:accountsdb", "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d"),
            // A private key, made here, that is not RSA.
            ("Tokens:SigningKeyPem", System.Security.Cryptography.ECDsa.Create().ExportPkcs8PrivateKeyPem())])));

        Assert.Contains("not an RSA private key", error.ToString());
    }

    public static readonly Lazy<string> RingKey = new(() => System.Security.Cryptography.RSA.Create(2048).ExportPkcs8PrivateKeyPem());

    [Theory]
    [InlineData("2026-12", "Tokens:ActiveKey '2026-12' is not one of Tokens:SigningKeys (a, b)")]
    [InlineData(null, "Tokens:ActiveKey is not set: name the key of Tokens:SigningKeys that signs (a, b)")]
    public void Refuses_to_start_with_a_key_ring_whose_active_key_is_unclear(string? activeKey, string message)
    {
        var error = Assert.ThrowsAny<Exception>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>([.. StartupTests.Broker,
            ("ConnectionStrings:accountsdb", "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d"),
            ("Tokens:SigningKeys:a", RingKey.Value), ("Tokens:SigningKeys:b", RingKey.Value), ("Tokens:ActiveKey", activeKey)])));

        Assert.Contains(message, error.ToString());
    }

    [Fact]
    public void Refuses_to_start_with_a_key_id_a_token_header_should_not_carry()
    {
        var error = Assert.ThrowsAny<Exception>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>([.. StartupTests.Broker,
            ("ConnectionStrings:accountsdb", "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d"),
            ("Tokens:SigningKeys:key one", RingKey.Value)])));

        Assert.Contains("Tokens:SigningKeys:key one: a key id is 1 to 64 letters", error.ToString());
    }
}

public class DataProtectionStartupTests
{
    [Fact]
    public void Refuses_to_start_outside_development_without_a_certificate_for_the_data_protection_keys()
    {
        var error = Assert.ThrowsAny<Exception>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>([.. StartupTests.Broker,
            ("environment", "Production"),
            ("ConnectionStrings:accountsdb", "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d"),
            ("Tokens:SigningKeys:a", SigningKeyStartupTests.RingKey.Value)])));

        Assert.Contains("DataProtection:Certificate is not set", error.ToString());
    }

    [Fact]
    public void Refuses_to_start_with_a_data_protection_certificate_without_its_private_key()
    {
        var pem = TestCertificates.Pem();
        var error = Assert.ThrowsAny<Exception>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>([.. StartupTests.Broker,
            ("ConnectionStrings:accountsdb", "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d"),
            ("DataProtection:Certificate", pem[..(pem.IndexOf("-----END CERTIFICATE-----") + 25)])])));

        Assert.Contains("DataProtection:Certificate is not a certificate and its private key in PEM", error.ToString());
    }
}

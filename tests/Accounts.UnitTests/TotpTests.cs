using System.Diagnostics;
using System.Text;
using FlexWhere.Accounts.Mobile;
using OtpNet;

namespace FlexWhere.Accounts.UnitTests;

public class TotpTests
{
    // RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
    private static readonly byte[] RfcSecret = Encoding.ASCII.GetBytes("12345678901234567890");

    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1111111111L, "14050471")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    [InlineData(20000000000L, "65353130")]
    public void Generates_the_rfc_6238_sha1_test_vectors(long unixTime, string expected)
    {
        var step = TotpCode.StepAt(DateTimeOffset.FromUnixTimeSeconds(unixTime));

        Assert.Equal(expected, TotpCode.Code(RfcSecret, step, digits: 8));
        // Six digits are the same number modulo 10^6: the last six of the eight.
        Assert.Equal(expected[2..], TotpCode.Code(RfcSecret, step));
    }

    [Theory]
    [InlineData(59L)]
    [InlineData(1111111111L)]
    [InlineData(2000000000L)]
    public void The_verifier_accepts_the_six_digit_rfc_vector_at_its_time(long unixTime)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(unixTime);
        var code = TotpCode.Code(RfcSecret, TotpCode.StepAt(now));

        var (match, step) = TotpCode.Check(RfcSecret, code, now, lastAcceptedStep: null);

        Assert.Equal(TotpMatch.Accepted, match);
        Assert.Equal(unixTime / 30, step);
    }

    [Fact]
    public void Agrees_with_oathtool_an_independent_implementation()
    {
        // Debian's oath-toolkit; scripts/ensure-servers.sh installs it. A missing tool is a failure, not a skip.
        const string oathtool = "/usr/bin/oathtool";
        Assert.True(File.Exists(oathtool), $"{oathtool} is missing: run scripts/ensure-servers.sh (or apt-get install oathtool).");

        for (var i = 0; i < 8; i++)
        {
            var secret = TotpCode.NewSecret();
            var base32 = TotpCode.ToBase32(secret);
            var unixTime = Random.Shared.NextInt64(0, 4_000_000_000);
            var ours = TotpCode.Code(secret, TotpCode.StepAt(DateTimeOffset.FromUnixTimeSeconds(unixTime)));

            var theirs = Run(oathtool, "--totp", "-b", base32, "-N", $"@{unixTime}");

            Assert.Equal(theirs, ours);
        }
    }

    [Fact]
    public void A_code_one_step_early_or_late_is_accepted_two_steps_are_not()
    {
        var secret = TotpCode.NewSecret();
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_015);
        var current = TotpCode.StepAt(now);

        Assert.Equal(TotpMatch.Accepted, TotpCode.Check(secret, TotpCode.Code(secret, current - 1), now, null).Match);
        Assert.Equal(TotpMatch.Accepted, TotpCode.Check(secret, TotpCode.Code(secret, current + 1), now, null).Match);
        Assert.Equal(TotpMatch.Wrong, TotpCode.Check(secret, TotpCode.Code(secret, current - 2), now, null).Match);
        Assert.Equal(TotpMatch.Wrong, TotpCode.Check(secret, TotpCode.Code(secret, current + 2), now, null).Match);
    }

    [Fact]
    public void A_code_for_an_already_accepted_step_is_a_replay()
    {
        var secret = TotpCode.NewSecret();
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_015);
        var current = TotpCode.StepAt(now);
        var code = TotpCode.Code(secret, current);

        Assert.Equal((TotpMatch.Replayed, current), TotpCode.Check(secret, code, now, lastAcceptedStep: current));
        // An older step than the last accepted one is refused too, even inside the drift window.
        Assert.Equal(TotpMatch.Replayed, TotpCode.Check(secret, TotpCode.Code(secret, current - 1), now, lastAcceptedStep: current).Match);
        Assert.Equal((TotpMatch.Accepted, current + 1),
            TotpCode.Check(secret, TotpCode.Code(secret, current + 1), now, lastAcceptedStep: current));
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12 456")]
    [InlineData("١٢٣٤٥٦")]
    [InlineData(null)]
    public void Only_six_ascii_digits_are_a_well_formed_code(string? code) => Assert.False(TotpCode.IsWellFormed(code));

    [Fact]
    public void Secrets_are_twenty_random_bytes_in_unpadded_base32()
    {
        var one = TotpCode.NewSecret();
        var two = TotpCode.NewSecret();

        Assert.Equal(20, one.Length);
        Assert.NotEqual(one, two);
        var base32 = TotpCode.ToBase32(one);
        Assert.Equal(32, base32.Length);
        Assert.Equal(one, Base32Encoding.ToBytes(base32));
    }

    [Fact]
    public void The_otpauth_uri_names_issuer_account_and_parameters()
    {
        var uri = MobileTotp.OtpauthUri("FlexWhere", "jane.doe+app@example.test", "JBSWY3DPEHPK3PXP");

        Assert.Equal(
            "otpauth://totp/FlexWhere:jane.doe%2Bapp@example.test?secret=JBSWY3DPEHPK3PXP&issuer=FlexWhere" +
                "&algorithm=SHA1&digits=6&period=30",
            uri);
    }

    [Fact]
    public void The_qr_code_is_an_svg_image()
    {
        var svg = MobileTotp.QrCodeSvg("otpauth://totp/FlexWhere:a@example.test?secret=JBSWY3DPEHPK3PXP&issuer=FlexWhere");

        Assert.StartsWith("<svg", svg.TrimStart().Replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "").TrimStart());
        Assert.Contains("<rect", svg);
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(10_000), $"{file} did not finish");
        Assert.True(process.ExitCode == 0, $"{file} failed: {process.StandardError.ReadToEnd()}");
        return output.Trim();
    }
}

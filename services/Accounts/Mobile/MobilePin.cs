namespace FlexWhere.Accounts.Mobile;

public enum PinQuality
{
    Acceptable,
    Malformed,
    TooWeak,
}

/// <summary>Which PINs are refused: wrong length or not only digits, and the ones people pick most
/// (one digit repeated, a short pattern repeated, a run up or down, keypad lines and a few favourites).</summary>
public static class PinPolicy
{
    private static readonly HashSet<string> Common =
    [
        "2580", "0852", "1004", "2000", "1122", "1313", "6969", "1998", "1999", "2001", "2468", "1357", "0007", "5683",
        "112233", "159753", "147258", "258369", "123654", "789456", "147852", "520520", "696969", "159357", "102030",
    ];

    public static PinQuality Check(string? pin, int length)
    {
        if (pin is null || pin.Length != length || !pin.All(char.IsAsciiDigit)) return PinQuality.Malformed;
        return IsTrivial(pin) ? PinQuality.TooWeak : PinQuality.Acceptable;
    }

    public static bool IsTrivial(string pin) => IsRepeatedPattern(pin) || IsRun(pin, +1) || IsRun(pin, -1) || Common.Contains(pin);

    // 0000, 1212, 123123: the PIN is a shorter block written more than once.
    private static bool IsRepeatedPattern(string pin)
    {
        for (var block = 1; block <= pin.Length / 2; block++)
        {
            if (pin.Length % block != 0) continue;
            var repeated = true;
            for (var i = block; i < pin.Length && repeated; i++) repeated = pin[i] == pin[i - block];
            if (repeated) return true;
        }

        return false;
    }

    // 1234, 4321, 7890 and 0987: every digit one more (or less) than the previous, wrapping round 9-0.
    private static bool IsRun(string pin, int direction)
    {
        for (var i = 1; i < pin.Length; i++)
        {
            if ((pin[i - 1] - '0' + direction + 10) % 10 != pin[i] - '0') return false;
        }

        return true;
    }
}

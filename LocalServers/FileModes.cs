namespace FlexWhere.LocalServers;

internal static class FileModes
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>rwxr-xr-x: servers that drop root privileges (PostgreSQL) must enter the parents.</summary>
    public const UnixFileMode TraversableByAll =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public static void Set(string path, UnixFileMode mode)
    {
        // The local servers exist only on Linux; on Windows there is nothing to restrict.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
    }
}

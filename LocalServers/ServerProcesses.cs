namespace FlexWhere.LocalServers;

public static class ServerProcesses
{
    /// <summary>Waits (bounded) until no process works in <paramref name="folder"/> or names it on
    /// its command line: every local server runs with its data folder as working directory.</summary>
    public static bool WaitUntilNoneUse(string folder, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (UsingProcessIds(folder).Count > 0)
        {
            if (DateTime.UtcNow >= deadline) return false;
            Thread.Sleep(100);
        }

        return true;
    }

    public static IReadOnlyList<int> UsingProcessIds(string folder)
    {
        var found = new List<int>();
        if (!Directory.Exists("/proc")) return found;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var workingDirectory = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget ?? "";
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (workingDirectory.StartsWith(folder, StringComparison.Ordinal) || commandLine.Contains(folder, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or is not ours to read (so not ours).
            }
        }

        return found;
    }
}

using System.Diagnostics;

namespace FlexWhere.LocalServers;

/// <summary>
/// A throwaway folder for one run's server data under /tmp/flexwhere. Its name carries the owning
/// process id, so folders of runs that died without cleaning up are swept on the next start.
/// </summary>
public sealed class DataFolder
{
    public static string Root { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "flexwhere");

    private DataFolder(string path) => Path = path;

    public string Path { get; }

    public static DataFolder Create(string purpose)
    {
        SweepStale();
        Directory.CreateDirectory(Root);
        // Servers that drop root privileges (PostgreSQL) must be able to enter the parents.
        FileModes.Set(Root, FileModes.TraversableByAll);
        var path = System.IO.Path.Combine(Root, $"{purpose}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(path);
        FileModes.Set(path, FileModes.TraversableByAll);
        return new DataFolder(path);
    }

    public string Sub(string name)
    {
        var path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes the folder; a server still shutting down may hold files, so retry briefly.</summary>
    public void Delete()
    {
        for (var attempt = 0; attempt < 10 && Directory.Exists(Path); attempt++)
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException) when (attempt < 9)
            {
                Thread.Sleep(200);
            }
            catch (UnauthorizedAccessException) when (attempt < 9)
            {
                Thread.Sleep(200);
            }
        }
    }

    /// <summary>Removes folders whose owning process is gone.</summary>
    public static void SweepStale()
    {
        if (!Directory.Exists(Root)) return;
        foreach (var dir in Directory.GetDirectories(Root))
        {
            var parts = System.IO.Path.GetFileName(dir).Split('-');
            if (parts.Length < 3 || !int.TryParse(parts[^2], out var pid) || IsAlive(pid)) continue;
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // Another sweeper got there first, or a server is still letting go: next start tries again.
            }
        }
    }

    /// <summary>Whether a process with this id runs (the owner of a folder, say).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

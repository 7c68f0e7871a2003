namespace FlexWhere.LocalServers;

/// <summary>Where Debian's (and Ubuntu's) server packages put their binaries.</summary>
public static class DebianServers
{
    public const string Packages = "postgresql redis-server rabbitmq-server";

    public const string InstallHint =
        "No container engine answered and the local servers are not installed. Either start Docker " +
        "(or Podman) and run again, or install the servers from your distribution's packages: " +
        "'sudo apt-get install -y " + Packages + "' on Debian or Ubuntu (the README's run and test " +
        "scripts do this for you). The packages' own services need not run: FlexWhere starts private " +
        "instances on loopback with throwaway data.";

    /// <summary>The newest installed PostgreSQL's bin folder (/usr/lib/postgresql/N/bin).</summary>
    public static string? PostgresBinDirectory =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(dir => (Dir: Path.Combine(dir, "bin"), Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : -1))
                .Where(candidate => candidate.Version > 0 && File.Exists(Path.Combine(candidate.Dir, "postgres")))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => candidate.Dir)
                .FirstOrDefault()
            : null;

    public static string? RedisServer => FirstExisting("/usr/bin/redis-server");

    /// <summary>Installed with redis-server (redis-tools); creates a Redis Cluster from its nodes.</summary>
    public static string? RedisCli => FirstExisting("/usr/bin/redis-cli");

    // The script in /usr/sbin switches to the rabbitmq user; this one runs as whoever calls it.
    public static string? RabbitMqServer => FirstExisting("/usr/lib/rabbitmq/bin/rabbitmq-server");

    /// <summary>Installed with rabbitmq-server; asks a running node (its queues' leaders) by its node name.</summary>
    public static string? RabbitMqCtl => FirstExisting("/usr/lib/rabbitmq/bin/rabbitmqctl");

    public static string? Epmd => FirstExisting("/usr/bin/epmd", "/usr/lib/erlang/bin/epmd");

    /// <summary>The servers that are missing, by package name; empty when all are there.</summary>
    public static IReadOnlyList<string> Missing()
    {
        var missing = new List<string>();
        if (PostgresBinDirectory is null) missing.Add("postgresql");
        if (RedisServer is null) missing.Add("redis-server");
        if (RabbitMqServer is null || Epmd is null) missing.Add("rabbitmq-server");
        return missing;
    }

    private static string? FirstExisting(params string[] paths) => paths.FirstOrDefault(File.Exists);
}

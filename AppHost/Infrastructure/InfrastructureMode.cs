using System.Diagnostics;
using FlexWhere.LocalServers;

namespace FlexWhere.AppHost.Infrastructure;

/// <summary>Where PostgreSQL, Redis and RabbitMQ come from.</summary>
public enum InfrastructureMode
{
    /// <summary>Aspire's container resources; needs a container engine (Docker or Podman).</summary>
    Containers,

    /// <summary>The servers from Debian's packages, run by the AppHost as executables on loopback.</summary>
    Local,

    /// <summary>Publish mode: the deployment's own servers, named by connection strings (never chosen by <c>Infra</c>).</summary>
    External,
}

public static class InfrastructureModeSelector
{
    /// <summary>The configuration key that overrides the detection: <c>--Infra=local</c>, or <c>Infra=containers</c> in the
    /// environment.</summary>
    public const string SettingKey = "Infra";

    /// <summary>
    /// An explicit <c>Infra</c> setting wins; otherwise containers when an engine answers, else local
    /// servers when they are installed, else a failure that says what to install.
    /// </summary>
    public static InfrastructureMode Select(string? setting, Func<bool> containerEngineAnswers,
        Func<IReadOnlyList<string>> missingLocalServers)
    {
        switch (setting?.Trim().ToLowerInvariant())
        {
            case "containers" or "container" or "docker":
                return InfrastructureMode.Containers;
            case "local":
                return missingLocalServers() is { Count: > 0 } missing
                    ? throw new InfrastructureUnavailableException(
                        $"{SettingKey}=local was asked for, but these packages are missing: {string.Join(", ", missing)}. " +
                            $"{DebianServers.InstallHint}")
                    : InfrastructureMode.Local;
            case null or "" or "auto":
                break;
            default:
                throw new InfrastructureUnavailableException(
                    $"Unknown {SettingKey} setting '{setting}': use 'auto' (the default), 'containers' or 'local'.");
        }

        if (containerEngineAnswers()) return InfrastructureMode.Containers;
        if (missingLocalServers().Count == 0) return InfrastructureMode.Local;
        throw new InfrastructureUnavailableException(DebianServers.InstallHint);
    }

    /// <summary>True when <c>docker info</c> (or <c>podman info</c>) exits 0 within a few seconds;
    /// a client without an engine fails fast.</summary>
    public static bool ContainerEngineAnswers()
    {
        foreach (var client in new[] { "docker", "podman" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(client, ["info"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                });
                if (process is null) continue;
                process.StandardOutput.ReadToEndAsync();
                process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    process.Kill(entireProcessTree: true);
                    continue;
                }

                if (process.ExitCode == 0) return true;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed.
            }
        }

        return false;
    }
}

public sealed class InfrastructureUnavailableException(string message) : Exception(message);

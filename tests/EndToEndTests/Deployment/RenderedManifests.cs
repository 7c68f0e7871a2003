using System.Diagnostics;
using k8s;
using k8s.Models;

namespace FlexWhere.EndToEndTests.Deployment;

/// <summary>deploy/base and deploy/overlays/production rendered by <c>scripts/check-deploy.sh --render</c>
/// (<c>kubectl kustomize</c>, offline), once for the test class, each document read as its Kubernetes type.</summary>
public sealed class RenderedManifests : IDisposable
{
    public static readonly string[] Renders = ["base", "production"];

    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("flexwhere-deploy-");

    public RenderedManifests()
    {
        RepositoryRoot = FindRepositoryRoot();
        var script = Path.Combine(RepositoryRoot, "scripts", "check-deploy.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script, "--render", _output.FullName])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot,
        })!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1))) process.Kill(entireProcessTree: true);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/check-deploy.sh --render failed ({process.ExitCode}): {output}{errors.Result}");
        }

        foreach (var render in Renders)
        {
            var documents = Documents(File.ReadAllText(Path.Combine(_output.FullName, $"{render}.yaml")));
            Objects[render] = [.. documents.Select(Read)];
        }
    }

    public string RepositoryRoot { get; }

    /// <summary>Each render's documents: the typed object, or why the document is not a valid object of its kind.</summary>
    public Dictionary<string, IReadOnlyList<RenderedObject>> Objects { get; } = [];

    public IEnumerable<T> All<T>(string render) => Objects[render].Select(rendered => rendered.Value).OfType<T>();

    public void Dispose() => _output.Delete(recursive: true);

    private static IEnumerable<string> Documents(string yaml) =>
        yaml.Split("\n---\n").Where(document => !string.IsNullOrWhiteSpace(document));

    /// <summary>Strict: a field the API does not have, or a value of the wrong type, is an error (as <c>kubectl apply</c>'s
    /// server-side field validation would make it), and so is a kind the API does not know.</summary>
    private static RenderedObject Read(string document)
    {
        var head = KubernetesYaml.Deserialize<KubernetesObject>(document);
        var name = $"{head.Kind}/{document.Split('\n').Select(line => line.Trim())
            .FirstOrDefault(line => line.StartsWith("name: ", StringComparison.Ordinal))?["name: ".Length..]}";
        try
        {
            var objects = KubernetesYaml.LoadAllFromString(document, strict: true);
            return objects.Count == 1 && objects[0] is IKubernetesObject<V1ObjectMeta> typed and not KubernetesObject
                ? new RenderedObject(name, typed, null)
                : new RenderedObject(name, null, $"{head.ApiVersion} {head.Kind} is not a kind the Kubernetes API has");
        }
        catch (KeyNotFoundException)
        {
            return new RenderedObject(name, null, $"{head.ApiVersion} {head.Kind} is not a kind the Kubernetes API has");
        }
        catch (Exception exception) when (exception is YamlDotNet.Core.YamlException or InvalidOperationException or FormatException)
        {
            return new RenderedObject(name, null, (exception.InnerException ?? exception).Message);
        }
    }

    private static string FindRepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "FlexWhere.sln"))) root = root.Parent;
        return root?.FullName ?? throw new InvalidOperationException($"No FlexWhere.sln above {AppContext.BaseDirectory}.");
    }
}

public sealed record RenderedObject(string Name, IKubernetesObject<V1ObjectMeta>? Value, string? Error);

using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing.Template;

namespace FlexWhere.Gateway.OpenApi;

/// <summary>One service's own OpenAPI document, as its cluster in the proxy configuration names it.</summary>
internal sealed record ServiceDocument(string Service, JsonObject Document);

/// <summary>
/// Merges the services' OpenAPI documents into the one public document: only the operations a proxy
/// route publishes (same cluster, path and method), never an <c>/internal</c> path, each marked with
/// the bearer scheme unless both its route and the service let anonymous callers in. Components are taken only where a kept operation
/// reaches them; two services' components of one name but different content are kept apart by
/// prefixing the later one with its service.
/// </summary>
internal static class PublicApiDocument
{
    public const string BearerScheme = "Bearer";

    /// <summary>The services whose document could not be fetched, for clients that check it.</summary>
    public const string UnavailableExtension = "x-flexwhere-unavailable-services";

    private const string ComponentsPrefix = "#/components/";
    private static readonly HashSet<string> OperationKeys =
        new(["get", "put", "post", "delete", "options", "head", "patch", "trace"], StringComparer.OrdinalIgnoreCase);

    public static JsonObject Merge(
        IReadOnlyList<ServiceDocument> documents, IReadOnlyList<string> unavailable, IReadOnlyList<RouteConfig> routes)
    {
        var paths = new JsonObject();
        var components = new JsonObject();
        var tags = new JsonArray();
        foreach (var (service, document) in documents)
        {
            var kept = PublishedPaths(service, document, routes);
            var reached = ReachedComponents(document, kept);
            var names = ComponentNames(service, document, reached, components);
            foreach (var (path, item) in kept)
            {
                var target = Section(paths, path);
                foreach (var (key, value) in item)
                {
                    if (!target.ContainsKey(key)) target[key] = Rewrite(value, names);
                }
            }

            foreach (var (kind, name) in reached)
            {
                var section = Section(components, kind);
                var mergedName = names[(kind, name)];
                if (!section.ContainsKey(mergedName)) section[mergedName] = Rewrite(document["components"]![kind]![name], names);
            }

            // Only the tags a kept operation names: a service with nothing public adds no empty group.
            var used = kept.SelectMany(path => path.Item.Select(member => (member.Value as JsonObject)?["tags"]).OfType<JsonArray>())
                .SelectMany(names => names.Select(name => name?.GetValue<string>()))
                .ToHashSet();
            foreach (var tag in document["tags"]?.AsArray() ?? [])
            {
                var tagName = tag?["name"]?.GetValue<string>();
                if (tagName is not null && used.Contains(tagName)
                    && !tags.Any(existing => existing?["name"]?.GetValue<string>() == tagName))
                {
                    tags.Add(tag!.DeepClone());
                }
            }
        }

        Section(components, "securitySchemes")[BearerScheme] = new JsonObject
        {
            ["type"] = "http",
            ["scheme"] = "bearer",
            ["bearerFormat"] = "JWT",
            ["description"] = "Accounts' access token (RS256), from POST /api/auth/login, /api/auth/mfa/verify or /api/auth/refresh.",
        };

        var merged = new JsonObject
        {
            ["openapi"] = documents.Select(document => document.Document["openapi"]?.GetValue<string>()).FirstOrDefault(v => v is not null)
                ?? "3.1.1",
            ["info"] = new JsonObject
            {
                ["title"] = "FlexWhere public API",
                ["version"] = "v1",
                ["description"] = Description(documents, unavailable),
            },
            ["security"] = new JsonArray(BearerRequirement()),
            ["paths"] = paths,
            ["components"] = components,
        };
        if (tags.Count > 0) merged["tags"] = tags;
        if (unavailable.Count > 0) merged[UnavailableExtension] = new JsonArray([.. unavailable.Select(name => JsonValue.Create(name))]);
        return merged;
    }

    private static string Description(IReadOnlyList<ServiceDocument> documents, IReadOnlyList<string> unavailable)
    {
        var included = documents.Count == 0 ? "none" : string.Join(", ", documents.Select(document => document.Service));
        var text = $"The routes the Gateway publishes, from the documents of: {included}. Every operation needs a bearer " +
            "access token unless it says otherwise (security: []).";
        return unavailable.Count == 0
            ? text
            : $"{text} INCOMPLETE: the documents of {string.Join(", ", unavailable)} could not be fetched, so their paths are " +
              "missing here; ask again in a few seconds.";
    }

    private static JsonObject Section(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject existing) return existing;
        var created = new JsonObject();
        parent[key] = created;
        return created;
    }

    private static JsonObject BearerRequirement() => new() { [BearerScheme] = new JsonArray() };

    /// <summary>The document's operations a route of this service's cluster publishes, with their security.</summary>
    private static List<(string Path, JsonObject Item)> PublishedPaths(
        string service, JsonObject document, IReadOnlyList<RouteConfig> routes)
    {
        var serviceRoutes = routes.Where(route => route.ClusterId == service && route.Match.Path is not null)
            .Select(route => (Route: route, Matcher: Matcher(route.Match.Path!)))
            .ToList();
        var kept = new List<(string, JsonObject)>();
        foreach (var (path, node) in document["paths"] as JsonObject ?? new JsonObject())
        {
            if (node is not JsonObject item || !IsPublicPath(path)) continue;

            var sample = SamplePath(path);
            var published = new JsonObject();
            foreach (var (key, value) in item.Where(member => OperationKeys.Contains(member.Key)))
            {
                var route = serviceRoutes.FirstOrDefault(candidate =>
                    (candidate.Route.Match.Methods is not { Count: > 0 } methods
                     || methods.Contains(key, StringComparer.OrdinalIgnoreCase))
                    && candidate.Matcher.TryMatch(sample, new RouteValueDictionary())).Route;
                if (route is null || value is null) continue;

                // The Gateway's route decides, unless the service itself asks for a token behind an
                // anonymous route (the step-up under /api/auth): then the operation keeps that.
                var operation = value.DeepClone().AsObject();
                var open = route.AuthorizationPolicy == GatewayAuthentication.AnonymousPolicy
                    && operation["security"] is not JsonArray { Count: > 0 };
                operation["security"] = open ? new JsonArray() : new JsonArray(BearerRequirement());
                published[key] = operation;
            }

            if (published.Count == 0) continue;
            foreach (var (key, value) in item.Where(member => !OperationKeys.Contains(member.Key)))
            {
                published[key] = value?.DeepClone();
            }

            kept.Add((path, published));
        }

        return kept;
    }

    private static TemplateMatcher Matcher(string template) => new(TemplateParser.Parse(template), new RouteValueDictionary());

    private static bool IsPublicPath(string path) =>
        path.StartsWith("/api/", StringComparison.OrdinalIgnoreCase)
        && !path.Contains("/internal", StringComparison.OrdinalIgnoreCase);

    /// <summary>"/api/users/{id}" becomes "/api/users/x", which a route template can be matched against.</summary>
    private static string SamplePath(string path) => string.Join('/', path.Split('/').Select(segment =>
        segment.StartsWith('{') && segment.EndsWith('}') ? "x" : segment));

    /// <summary>Every component the kept operations reach, directly or through other components.</summary>
    private static List<(string Kind, string Name)> ReachedComponents(JsonObject document, List<(string Path, JsonObject Item)> kept)
    {
        var reached = new List<(string, string)>();
        var pending = new Queue<JsonNode?>(kept.Select(path => (JsonNode?)path.Item));
        while (pending.TryDequeue(out var node))
        {
            foreach (var reference in References(node))
            {
                if (reached.Contains(reference)) continue;
                var component = document["components"]?[reference.Kind]?[reference.Name];
                if (component is null) continue;
                reached.Add(reference);
                pending.Enqueue(component);
            }
        }

        return reached;
    }

    /// <summary>
    /// The name each reached component gets in the merged document: its own, unless another service
    /// already put a different component under that name (or it refers to one renamed so).
    /// </summary>
    private static Dictionary<(string Kind, string Name), string> ComponentNames(
        string service, JsonObject document, List<(string Kind, string Name)> reached, JsonObject merged)
    {
        var names = reached.ToDictionary(reference => reference, reference => reference.Name);
        bool changed;
        do
        {
            changed = false;
            foreach (var reference in reached.Where(reference => names[reference] == reference.Name))
            {
                var own = document["components"]![reference.Kind]![reference.Name];
                var existing = merged[reference.Kind]?[reference.Name];
                var clash = existing is not null && !JsonNode.DeepEquals(existing, own);
                var refersToRenamed = References(own).Any(inner => names.TryGetValue(inner, out var name) && name != inner.Name);
                if (!clash && !refersToRenamed) continue;

                var prefixed = char.ToUpperInvariant(service[0]) + service[1..] + reference.Name;
                while (merged[reference.Kind]?[prefixed] is not null) prefixed = $"{service}_{prefixed}";
                names[reference] = prefixed;
                changed = true;
            }
        }
        while (changed);

        return names;
    }

    private static IEnumerable<(string Kind, string Name)> References(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "$ref" && value is JsonValue reference && Parse(reference.GetValue<string>()) is { } parsed)
                    {
                        yield return parsed;
                    }

                    foreach (var inner in References(value)) yield return inner;
                }

                break;
            case JsonArray array:
                foreach (var inner in array.SelectMany(References)) yield return inner;
                break;
        }
    }

    private static (string Kind, string Name)? Parse(string reference)
    {
        if (!reference.StartsWith(ComponentsPrefix, StringComparison.Ordinal)) return null;
        var parts = reference[ComponentsPrefix.Length..].Split('/', 2);
        return parts.Length == 2 ? (parts[0], parts[1]) : null;
    }

    /// <summary>A copy of the node whose component references follow the merged names.</summary>
    private static JsonNode? Rewrite(JsonNode? node, Dictionary<(string Kind, string Name), string> names)
    {
        var copy = node?.DeepClone();
        Walk(copy);
        return copy;

        void Walk(JsonNode? current)
        {
            switch (current)
            {
                case JsonObject obj:
                    if (obj["$ref"] is JsonValue value && Parse(value.GetValue<string>()) is { } reference
                        && names.TryGetValue(reference, out var name))
                    {
                        obj["$ref"] = $"{ComponentsPrefix}{reference.Kind}/{name}";
                    }

                    foreach (var (_, inner) in obj.ToList()) Walk(inner);
                    break;
                case JsonArray array:
                    foreach (var inner in array) Walk(inner);
                    break;
            }
        }
    }
}

namespace FlexWhere.Messaging;

/// <summary>
/// <c>ConnectionStrings:rabbitmq</c>: one node (<c>amqp://user:password@rabbit:5672/vhost</c>) or the nodes of a
/// cluster, comma-separated where the host goes (<c>amqp://user:password@rabbit-a:5672,rabbit-b:5672,rabbit-c:5672/vhost</c>).
/// The user, password, virtual host and scheme apply to every node. <see cref="Uri"/> names the first node.
/// </summary>
public sealed record BrokerAddress(Uri Uri, IReadOnlyList<string> Nodes)
{
    public const string Example = "an amqp:// URI such as amqp://user:password@127.0.0.1:5672, or for a cluster " +
        "amqp://user:password@rabbit-a:5672,rabbit-b:5672,rabbit-c:5672";

    /// <summary>The address in <paramref name="value"/>, or null when it is not an amqp:// or amqps:// URI with a host.</summary>
    public static BrokerAddress? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0) return null;
        var scheme = value[..schemeEnd];
        if (scheme is not ("amqp" or "amqps")) return null;

        var authorityStart = schemeEnd + 3;
        var authorityEnd = value.IndexOfAny(['/', '?', '#'], authorityStart);
        if (authorityEnd < 0) authorityEnd = value.Length;
        var authority = value[authorityStart..authorityEnd];
        var at = authority.LastIndexOf('@');
        var userInfo = at >= 0 ? authority[..(at + 1)] : "";
        var rest = value[authorityEnd..];

        var nodes = new List<string>();
        Uri? first = null;
        foreach (var host in authority[(at + 1)..].Split(','))
        {
            if (!Uri.TryCreate($"{scheme}://{userInfo}{host}{rest}", UriKind.Absolute, out var node) || node.Host.Length == 0
                || host.Trim().Length != host.Length)
            {
                return null;
            }

            first ??= node;
            var port = node.IsDefaultPort || node.Port < 0 ? (scheme == "amqps" ? 5671 : 5672) : node.Port;
            nodes.Add($"{node.Host}:{port}");
        }

        return new BrokerAddress(first!, nodes);
    }

    /// <summary>More than one node: the client connects to them in turn, the next one when its node is lost.</summary>
    public bool IsCluster => Nodes.Count > 1;
}

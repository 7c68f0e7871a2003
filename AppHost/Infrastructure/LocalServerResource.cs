namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A server from Debian's packages run by the AppHost as an executable on 127.0.0.1, standing in
/// for the container of the same name: same resource name, same connection-string shape.
/// </summary>
public sealed class LocalServerResource(string name, string command, string workingDirectory,
    Func<LocalServerResource, ReferenceExpression> connectionString)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public EndpointReference Endpoint => field ??= new EndpointReference(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => connectionString(this);
}

/// <summary>A database on a <see cref="LocalServerResource"/> running PostgreSQL; created when the server is ready.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalServerResource parent)
    : Resource(name), IResourceWithParent<LocalServerResource>, IResourceWithConnectionString
{
    public LocalServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

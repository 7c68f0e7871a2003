using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace FlexWhere.EndToEndTests.Deployment;

/// <summary>The AppHost's application model in publish mode: built, never started (no server, no service runs).</summary>
public sealed class PublishModel(IDistributedApplicationTestingBuilder builder, DirectoryInfo output) : IDisposable
{
    public IDistributedApplicationTestingBuilder Builder => builder;

    /// <param name="settings">More AppHost arguments, such as <c>--Twilio:AccountSid=…</c>.</param>
    public static async Task<PublishModel> BuildAsync(params string[] settings)
    {
        var output = Directory.CreateTempSubdirectory("flexwhere-publish-");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--operation", "publish", "--publisher", "manifest", "--output-path", output.FullName, .. settings]);
        return new PublishModel(builder, output);
    }

    public void Dispose()
    {
        builder.Dispose();
        output.Delete(recursive: true);
    }
}

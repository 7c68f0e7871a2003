using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace FlexWhere.Gateway.ControlCentre;

/// <summary>
/// Serves the Control Centre page (web/control-centre, built into wwwroot by the project's build) at
/// <c>/</c>, so the page and the API share one origin and one public entry. API and service paths
/// never fall back to the page: they keep their problem+json 404.
/// </summary>
public static class ControlCentrePage
{
    /// <summary>The page's own scripts, styles and images, its calls to its own origin, and nothing else: no inline script or
    /// style.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string IndexFile = "index.html";
    private static readonly string[] NotPagePaths = ["/api", "/internal", "/dev", "/health", "/alive", "/.well-known"];

    public static WebApplication UseControlCentrePage(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = context => PrepareResponse(context.Context, context.File) });

        // Only paths that look like a page ("/settings", not "/app.js") reach the fallback, and it runs
        // only when no proxy route matched.
        app.MapFallback("{*path:nonfile}", ServeIndexAsync).AllowAnonymous();
        return app;
    }

    public static bool IsPagePath(PathString path) =>
        !NotPagePaths.Any(prefix => path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase));

    private static async Task ServeIndexAsync(HttpContext context)
    {
        var index = context.RequestServices.GetRequiredService<IWebHostEnvironment>().WebRootFileProvider.GetFileInfo(IndexFile);
        if (!IsPagePath(context.Request.Path) || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            || !index.Exists)
        {
            // An empty 404: the status-code pages turn it into the usual not_found problem.
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        PrepareResponse(context, index);
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.ContentLength = index.Length;
        if (HttpMethods.IsHead(context.Request.Method)) return;
        await context.Response.SendFileAsync(index, context.RequestAborted);
    }

    private static void PrepareResponse(HttpContext context, IFileInfo file)
    {
        var headers = context.Response.Headers;
        if (file.Name.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
        {
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            // The page names its hashed scripts and styles, so it must be fetched again after a deploy.
            headers.CacheControl = "no-cache";
        }
        else if (context.Request.Path.StartsWithSegments("/assets"))
        {
            headers.CacheControl = "public, max-age=31536000, immutable";
        }
        else
        {
            headers.CacheControl = "no-cache";
        }
    }
}

using FlexWhere.LocalServers;

namespace FlexWhere.Bench;

/// <summary>Debian's nginx as the reference reverse proxy: a generated configuration on a free
/// port, keep-alive connections to the upstream (as YARP keeps them), no access log.</summary>
public sealed class Nginx : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private Nginx(ChildProcess process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }
    public ChildProcess Process => _process;

    public static async Task<Nginx> StartAsync(string upstreamUrl, string workDirectory, string logDirectory, HttpClient probe)
    {
        var upstream = new Uri(upstreamUrl);
        var port = Ports.FreeLoopbackPort();
        Directory.CreateDirectory(workDirectory);
        var asRoot = Environment.UserName == "root";
        var config = Path.Combine(workDirectory, "nginx.conf");
        await File.WriteAllTextAsync(config, $$"""
            {{(asRoot ? "user root root;" : "")}}
            worker_processes auto;
            daemon off;
            pid {{workDirectory}}/nginx.pid;
            error_log {{workDirectory}}/error.log warn;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path {{workDirectory}}/client_body;
              proxy_temp_path {{workDirectory}}/proxy;
              fastcgi_temp_path {{workDirectory}}/fastcgi;
              uwsgi_temp_path {{workDirectory}}/uwsgi;
              scgi_temp_path {{workDirectory}}/scgi;
              upstream challenges {
                server {{upstream.Host}}:{{upstream.Port}};
                keepalive 128;
              }
              server {
                listen 127.0.0.1:{{port}};
                keepalive_requests 100000;
                location / {
                  proxy_pass http://challenges;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_set_header Host $host;
                  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                }
              }
            }
            """);
        var process = ChildProcess.Start("nginx", "/usr/sbin/nginx", ["-c", config, "-p", workDirectory], new Dictionary<string, string>(),
            workDirectory, logDirectory);
        var url = $"http://127.0.0.1:{port}";
        await Wait.HttpOkAsync("nginx", probe, $"{url}/alive", TimeSpan.FromSeconds(10));
        return new Nginx(process, url);
    }

    public static string Version()
    {
        var info = new System.Diagnostics.ProcessStartInfo("/usr/sbin/nginx", ["-v"]) { RedirectStandardError = true,
            UseShellExecute = false };
        using var process = System.Diagnostics.Process.Start(info)!;
        var text = process.StandardError.ReadToEnd().Trim();
        process.WaitForExit();
        return text;
    }

    /// <summary>nginx and its workers.</summary>
    public long RssBytes => Memory.RssBytes(_process.Id) + Children().Sum(Memory.RssBytes);

    private IEnumerable<int> Children()
    {
        var path = $"/proc/{_process.Id}/task/{_process.Id}/children";
        return File.Exists(path) ? File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse) : [];
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

/// <summary>Samples each service's resident memory twice a second; keeps the peak per phase.</summary>
public sealed class RssSampler : IAsyncDisposable
{
    private readonly Func<IEnumerable<(string Name, long Bytes)>> _read;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Dictionary<(string Phase, string Name), long> _peaks = [];
    private readonly Lock _gate = new();

    public RssSampler(Func<IEnumerable<(string Name, long Bytes)>> read)
    {
        _read = read;
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                try { await Task.Delay(500, _stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    public string Phase { get; set; } = "idle";

    public void Sample()
    {
        var phase = Phase;
        foreach (var (name, bytes) in _read())
        {
            lock (_gate)
            {
                _peaks[(phase, name)] = Math.Max(bytes, _peaks.GetValueOrDefault((phase, name)));
            }
        }
    }

    public IReadOnlyDictionary<(string Phase, string Name), long> Peaks
    {
        get { lock (_gate) return new Dictionary<(string, string), long>(_peaks); }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

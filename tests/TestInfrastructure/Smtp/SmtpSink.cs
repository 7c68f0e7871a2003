using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace FlexWhere.Testing.Smtp;

/// <summary>
/// A small SMTP server (RFC 5321: EHLO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT, no TLS) on a
/// loopback port, that keeps every message it accepts, parsed with MimeKit. A script of replies lets a
/// test answer a DATA with "later" (451) or "never" (550) before it accepts again, as real servers do.
/// The Notifier talks to it with MailKit over a real socket, exactly as to a production server.
/// With a reply delay it is a slow server: it keeps the message, then waits before its 250, as a server that
/// commits the message to its queue first (Postfix does); a client that dies meanwhile never learns it was sent.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _dataReplies = new();
    private readonly TimeSpan _dataReplyDelay;
    private readonly Task _accepting;
    private int _openSessions;
    private volatile Hold? _hold;

    private SmtpSink(TimeSpan dataReplyDelay)
    {
        _dataReplyDelay = dataReplyDelay;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <param name="dataReplyDelay">How long the server waits, after keeping a message, before it answers 250.</param>
    public static SmtpSink Start(TimeSpan dataReplyDelay = default) => new(dataReplyDelay);

    /// <summary>Connections not closed yet; 0 once every client went away (a killed one too: the socket ends).</summary>
    public int OpenSessions => Volatile.Read(ref _openSessions);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every message accepted, in order.</summary>
    public ConcurrentQueue<MimeMessage> Received { get; } = new();

    /// <summary>How many DATA commands came in, accepted or not.</summary>
    public int DataAttempts => _dataAttempts;

    private int _dataAttempts;

    /// <summary>Once <paramref name="count"/> of the messages kept are <paramref name="counted"/> ones, every new message waits
    /// at its MAIL command until <see cref="Release"/>: a test can kill a client while messages are surely still to be sent,
    /// however slow the machine. Only the messages the test is waiting for count: copies and late ones of an earlier batch,
    /// which the client may send meanwhile, would otherwise close the door before the test's own are in.
    /// A client that died meanwhile then finds its connection gone, and no message of it is kept.</summary>
    public void HoldMailOnce(Func<MimeMessage, bool> counted, int count) =>
        _hold = new Hold(counted, count, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Release()
    {
        var hold = _hold;
        _hold = null;
        hold?.Gate.TrySetResult();
    }

    private sealed record Hold(Func<MimeMessage, bool> Counted, int Count, TaskCompletionSource Gate);

    /// <summary>A scripted DATA reply that keeps the message and closes the connection without answering: the client cannot
    /// know whether the server kept it.</summary>
    public const string KeepAndDrop = "<keep and drop>";

    /// <summary>The next DATA commands are answered with these replies (e.g. "451 4.3.0 Try again later", or
    /// <see cref="KeepAndDrop"/>), in order; then every message is accepted.</summary>
    public void ScriptDataReplies(params string[] replies)
    {
        foreach (var reply in replies) _dataReplies.Enqueue(reply);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        Interlocked.Increment(ref _openSessions);
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
                await using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\r\n", AutoFlush = true };
                await writer.WriteLineAsync("220 smtp-sink.test ESMTP");
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO":
                            await writer.WriteLineAsync("250-smtp-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8");
                            break;
                        case "MAIL":
                            if (_hold is { } hold && Received.Count(hold.Counted) >= hold.Count) await hold.Gate.Task.WaitAsync(_stop.Token);
                            await writer.WriteLineAsync("250 2.0.0 OK");
                            break;
                        case "HELO" or "RCPT" or "RSET" or "NOOP":
                            await writer.WriteLineAsync("250 2.0.0 OK");
                            break;
                        case "DATA":
                            await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                            // A client that went away before the final dot sent no message.
                            if (await ReadDataAsync(reader) is not { } data) return;
                            Interlocked.Increment(ref _dataAttempts);
                            if (_dataReplies.TryDequeue(out var scripted))
                            {
                                if (scripted != KeepAndDrop)
                                {
                                    await writer.WriteLineAsync(scripted);
                                    break;
                                }

                                Keep(data);
                                return;
                            }

                            Keep(data);
                            if (_dataReplyDelay > TimeSpan.Zero) await Task.Delay(_dataReplyDelay, _stop.Token);
                            await writer.WriteLineAsync("250 2.0.0 Queued");
                            break;
                        case "QUIT":
                            await writer.WriteLineAsync("221 2.0.0 Bye");
                            return;
                        default:
                            await writer.WriteLineAsync("502 5.5.2 Command not implemented");
                            break;
                    }
                }
            }
            catch (Exception failure) when (failure is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away, or the sink stops.
            }
            finally
            {
                Interlocked.Decrement(ref _openSessions);
            }
        }
    }

    /// <summary>
    /// Parses a message and adds it to <see cref="Received"/>. MimeKit fills a message's address lists (and its Message-ID) from
    /// the headers on first use, without a lock: two threads reading <c>To</c> of a new message at once could each add the
    /// address, and the message then had its recipient twice. That happened twice in R1 on 2026-12-02 (a session's hold check
    /// and the test's count read the same message; R1 then counted it "not to exactly one recipient" and "a copy outside the
    /// window"). So they are filled here, before any other thread can see the message.
    /// </summary>
    private void Keep(string data)
    {
        var message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(data)));
        _ = (message.From.Count, message.To.Count, message.Cc.Count, message.Bcc.Count, message.MessageId);
        Received.Enqueue(message);
    }

    /// <summary>The message up to the final dot, or null when the connection ended before it.</summary>
    private async Task<string?> ReadDataAsync(StreamReader reader)
    {
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(_stop.Token) is { } line)
        {
            if (line == ".") return data.ToString();
            data.Append(line.StartsWith("..", StringComparison.Ordinal) ? line[1..] : line).Append("\r\n");
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}

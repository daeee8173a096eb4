using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>
/// A webhook receiver on a loopback port, as Alertmanager or a chat bridge would run: it records every
/// POST with its headers and checks the signature with the shared secret. It can answer 500 to the
/// first few, as a receiver that is restarting does.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>();
    private readonly Task _loop;
    private int _failuresLeft;

    public sealed record Received(string Event, string Delivery, string Signature, string Body, bool SignatureValid)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    }

    public WebhookReceiver(string secret, int failFirst = 0)
    {
        Secret = secret;
        _failuresLeft = failFirst;
        Port = RingmasterProcess.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = ServeAsync();
    }

    public string Secret { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/hooks/ringmaster";

    /// <summary>Every request taken so far, in order (failed answers included).</summary>
    public List<Received> All { get; } = [];

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var signature = context.Request.Headers["X-Ringmaster-Signature"] ?? "";
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(body)));
            var received = new Received(context.Request.Headers["X-Ringmaster-Event"] ?? "", context.Request.Headers["X-Ringmaster-Delivery"] ?? "",
                signature, body, CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(signature), Encoding.ASCII.GetBytes(expected)));
            lock (All)
            {
                All.Add(received);
            }

            var fail = Interlocked.Decrement(ref _failuresLeft) >= 0;
            context.Response.StatusCode = fail ? 500 : 204;
            context.Response.Close();
            if (!fail)
            {
                await _received.Writer.WriteAsync(received);
            }
        }
    }

    /// <summary>The next request answered 2xx whose event and body match, within <paramref name="timeout"/>.</summary>
    public async Task<Received> NextAsync(Func<Received, bool> match, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var received = await _received.Reader.ReadAsync(cancel.Token);
                if (match(received))
                {
                    return received;
                }
            }
        }
        catch (OperationCanceledException)
        {
            lock (All)
            {
                throw new TimeoutException($"No matching webhook request within {timeout.TotalSeconds:0} s; received: {string.Join(" | ", All.Select(r => r.Body))}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}

using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;

namespace Ringmaster.Agents.Drivers.Qemu.Qmp;

/// <summary>
/// A client of QEMU's machine protocol (QMP) on a Unix socket: reads the greeting, negotiates
/// capabilities, sends commands with an <c>id</c> and matches each reply to its request, turns QEMU's
/// errors into <see cref="QmpException"/>, and hands asynchronous events to every subscriber.
/// When QEMU closes the connection (it exited, or closed its monitor) every waiting command fails
/// with <see cref="QmpConnectionClosedException"/>, every event stream ends and <see cref="Closed"/>
/// completes with the reason.
/// </summary>
/// <remarks>
/// QMP sends one JSON document per line. Commands may be sent from several threads at once; QEMU
/// answers them in order, but the client does not rely on it.
/// </remarks>
public sealed class QmpClient : IAsyncDisposable
{
    /// <summary>
    /// Options for commands' arguments and answers: the source-generated types of this folder first,
    /// then reflection for the types of callers of <see cref="ExecuteAsync{T}(string, object?, CancellationToken)"/>.
    /// </summary>
    private static readonly JsonSerializerOptions s_options = new(QmpJsonContext.Default.Options)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(QmpJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, PendingCommand> _pending = new();
    private readonly Lock _subscribersLock = new();
    private readonly List<Channel<QmpEvent>> _subscribers = [];
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopReading = new();
    private Task _readLoop = Task.CompletedTask;
    private long _lastId;
    private int _disposed;

    private QmpClient(Socket socket, string socketPath)
    {
        _socket = socket;
        SocketPath = socketPath;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024);
    }

    /// <summary>The socket this client is connected to.</summary>
    public string SocketPath { get; }

    /// <summary>QEMU's greeting: its version and the capabilities it offered.</summary>
    public QmpGreeting Greeting { get; private set; } = null!;

    /// <summary>Completes, with the reason in words, when the connection has ended.</summary>
    public Task<string> Closed => _closed.Task;

    /// <summary>Whether the connection is still open.</summary>
    public bool IsConnected => !_closed.Task.IsCompleted;

    /// <summary>How long QEMU may take to greet a new client before the connection is given up.</summary>
    public static readonly TimeSpan GreetingTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Connects to the QMP socket at <paramref name="socketPath"/>, reads QEMU's greeting and leaves
    /// capabilities negotiation mode, so that every command is available. A QMP socket serves one
    /// client at a time: while another is connected QEMU does not greet, and this fails after
    /// <see cref="GreetingTimeout"/> saying so.
    /// </summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new QmpConnectionClosedException($"Could not connect to QEMU's QMP socket {socketPath}: {e.Message}.");
        }

        var client = new QmpClient(socket, socketPath);
        try
        {
            string? line;
            using (var greetingWait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                greetingWait.CancelAfter(GreetingTimeout);
                try
                {
                    line = await client._reader.ReadLineAsync(greetingWait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new QmpConnectionClosedException(
                        $"QEMU did not greet on {socketPath} within {GreetingTimeout.TotalSeconds:0} s; its QMP socket serves one client at a time, is another connected?");
                }
                catch (IOException e)
                {
                    throw new QmpConnectionClosedException($"QEMU closed its QMP socket {socketPath} before greeting: {e.Message}");
                }
            }

            if (line is null)
            {
                throw new QmpConnectionClosedException($"QEMU closed its QMP socket {socketPath} before greeting.");
            }

            var greeting = JsonSerializer.Deserialize(line, QmpJsonContext.Default.QmpGreetingMessage)?.Qmp
                ?? throw new InvalidDataException($"QEMU's QMP greeting could not be read: {line}");
            client.Greeting = new QmpGreeting(greeting.Version, greeting.Capabilities ?? []);
            client._readLoop = Task.Run(client.ReadLoopAsync, CancellationToken.None);
            await client.ExecuteAsync("qmp_capabilities", null, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // ------------------------------------------------------------------ commands

    /// <summary><c>query-status</c>: whether the guest runs, and QEMU's run state.</summary>
    public Task<QmpStatus> QueryStatusAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync("query-status", null, QmpJsonContext.Default.QmpStatus, cancellationToken);

    /// <summary><c>stop</c>: pauses the guest's vCPUs (a <c>STOP</c> event follows).</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => ExecuteAsync("stop", null, cancellationToken);

    /// <summary><c>cont</c>: resumes a paused guest, or starts one that QEMU was started with <c>-S</c> (a <c>RESUME</c> event follows).</summary>
    public Task ContAsync(CancellationToken cancellationToken = default) => ExecuteAsync("cont", null, cancellationToken);

    /// <summary><c>system_powerdown</c>: presses the ACPI power button; the guest decides what to do (a <c>POWERDOWN</c> event follows).</summary>
    public Task SystemPowerdownAsync(CancellationToken cancellationToken = default) => ExecuteAsync("system_powerdown", null, cancellationToken);

    /// <summary><c>system_reset</c>: resets the machine at once, like a reset button (a <c>RESET</c> event follows).</summary>
    public Task SystemResetAsync(CancellationToken cancellationToken = default) => ExecuteAsync("system_reset", null, cancellationToken);

    /// <summary>
    /// <c>quit</c>: QEMU stops the guest and exits. Completes when QEMU has acknowledged it or closed
    /// the connection, whichever comes first; <see cref="Closed"/> completes when the socket closes.
    /// </summary>
    public Task QuitAsync(CancellationToken cancellationToken = default) =>
        SendAsync("quit", null, closingAnswers: true, cancellationToken);

    /// <summary><c>query-version</c>: QEMU's version and package.</summary>
    public Task<QmpVersion> QueryVersionAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync("query-version", null, QmpJsonContext.Default.QmpVersion, cancellationToken);

    /// <summary><c>query-cpus-fast</c>: the vCPUs and the host threads that run them.</summary>
    public Task<IReadOnlyList<QmpCpu>> QueryCpusFastAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync("query-cpus-fast", null, QmpJsonContext.Default.IReadOnlyListQmpCpu, cancellationToken);

    /// <summary><c>query-block</c>: the block devices and their media.</summary>
    public Task<IReadOnlyList<QmpBlockDevice>> QueryBlockAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync("query-block", null, QmpJsonContext.Default.IReadOnlyListQmpBlockDevice, cancellationToken);

    /// <summary><c>query-blockstats</c>: cumulative I/O counters of the block devices.</summary>
    public Task<IReadOnlyList<QmpBlockStats>> QueryBlockStatsAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync("query-blockstats", null, QmpJsonContext.Default.IReadOnlyListQmpBlockStats, cancellationToken);

    /// <summary>
    /// <c>query-stats</c> (QEMU 7.1 and later) for a target, <c>vm</c> or <c>vcpu</c>: the accelerator's
    /// counters. KVM has them; under TCG the list is empty.
    /// </summary>
    public Task<IReadOnlyList<QmpStatsResult>> QueryStatsAsync(string target = "vm", CancellationToken cancellationToken = default) =>
        ExecuteAsync("query-stats", new QueryStatsArguments(target), QmpJsonContext.Default.IReadOnlyListQmpStatsResult, cancellationToken);

    /// <summary><c>query-commands</c>: the names of the commands this QEMU knows.</summary>
    public async Task<IReadOnlyList<string>> QueryCommandsAsync(CancellationToken cancellationToken = default) =>
        [.. (await ExecuteAsync("query-commands", null, QmpJsonContext.Default.IReadOnlyListQmpCommandInfo, cancellationToken).ConfigureAwait(false)).Select(c => c.Name)];

    /// <summary>
    /// <c>human-monitor-command</c>: runs a command of the human monitor (HMP), e.g. <c>info registers</c>,
    /// and returns its text. An escape hatch for what QMP does not offer; HMP's output is not a stable interface.
    /// </summary>
    public Task<string> HumanMonitorCommandAsync(string commandLine, CancellationToken cancellationToken = default) =>
        ExecuteAsync("human-monitor-command", new HumanMonitorArguments(commandLine), QmpJsonContext.Default.String, cancellationToken);

    /// <summary>
    /// Runs any QMP command and reads its answer as <typeparamref name="T"/> (a <see cref="JsonElement"/> for
    /// the raw answer). <paramref name="arguments"/> is serialized with QMP's kebab-case names and with
    /// nulls left out: a record, an anonymous object, a dictionary or a <c>JsonObject</c>.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(string command, object? arguments = null, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(command, arguments, closingAnswers: false, cancellationToken).ConfigureAwait(false);
        return answer.Deserialize<T>(s_options)!;
    }

    /// <summary>Runs any QMP command whose answer does not matter (it is <c>{}</c> for most actions).</summary>
    public Task ExecuteAsync(string command, object? arguments = null, CancellationToken cancellationToken = default) =>
        SendAsync(command, arguments, closingAnswers: false, cancellationToken);

    /// <summary>Runs any QMP command and reads its answer with a source-generated type.</summary>
    public async Task<T> ExecuteAsync<T>(string command, object? arguments, JsonTypeInfo<T> answerType, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(command, arguments, closingAnswers: false, cancellationToken).ConfigureAwait(false);
        return answer.Deserialize(answerType)
            ?? throw new InvalidDataException($"QEMU answered '{command}' with null.");
    }

    private async Task<JsonElement> SendAsync(string command, object? arguments, bool closingAnswers, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var id = Interlocked.Increment(ref _lastId);
        var pending = new PendingCommand(command, closingAnswers);
        _pending[id] = pending;
        if (_closed.Task.IsCompleted)
        {
            // Closed before the request was registered: the close did not see it.
            _pending.TryRemove(id, out _);
            return closingAnswers ? default : throw new QmpConnectionClosedException(_closed.Task.Result);
        }

        using var registration = cancellationToken.Register(() =>
        {
            if (_pending.TryRemove(id, out var p))
            {
                p.Answer.TrySetCanceled(cancellationToken);
            }
        });
        var request = Serialize(command, arguments, id);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            _pending.TryRemove(id, out _);
            if (closingAnswers)
            {
                return default;
            }

            throw new QmpConnectionClosedException($"QEMU's QMP connection closed while sending '{command}': {e.Message}");
        }
        finally
        {
            _writeLock.Release();
        }

        return await pending.Answer.Task.ConfigureAwait(false);
    }

    private static ReadOnlyMemory<byte> Serialize(string command, object? arguments, long id)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("execute", command);
            if (arguments is not null)
            {
                writer.WritePropertyName("arguments");
                JsonSerializer.Serialize(writer, arguments, arguments.GetType(), s_options);
            }

            writer.WriteNumber("id", id);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenMemory;
    }

    // ------------------------------------------------------------------ events

    /// <summary>
    /// A stream of the events QEMU sends from now on, until the connection closes (then the stream
    /// ends) or the subscription is disposed. Subscribe before the command whose event you await.
    /// Each subscriber gets every event; one that does not read keeps them in memory.
    /// </summary>
    public QmpEventSubscription Subscribe()
    {
        var channel = Channel.CreateUnbounded<QmpEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        lock (_subscribersLock)
        {
            if (_closed.Task.IsCompleted)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                _subscribers.Add(channel);
            }
        }

        return new QmpEventSubscription(channel.Reader, () => Unsubscribe(channel), () => _closed.Task.IsCompleted ? _closed.Task.Result : "the subscription ended");
    }

    /// <summary>The events from now on as an async stream (subscribes at the first <c>MoveNextAsync</c>).</summary>
    public async IAsyncEnumerable<QmpEvent> ReadEventsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var subscription = Subscribe();
        await foreach (var e in subscription.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    private void Unsubscribe(Channel<QmpEvent> channel)
    {
        lock (_subscribersLock)
        {
            _subscribers.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    private void Publish(QmpEvent e)
    {
        lock (_subscribersLock)
        {
            foreach (var channel in _subscribers)
            {
                channel.Writer.TryWrite(e);
            }
        }
    }

    // ------------------------------------------------------------------ reading

    private async Task ReadLoopAsync()
    {
        var reason = $"QEMU closed its QMP socket {SocketPath} (QEMU exited or closed its monitor)";
        try
        {
            while (await _reader.ReadLineAsync(_stopReading.Token).ConfigureAwait(false) is { } line)
            {
                if (line.Length > 0)
                {
                    Dispatch(line);
                }
            }
        }
        catch (OperationCanceledException) when (_stopReading.IsCancellationRequested)
        {
            reason = "The QMP client was closed.";
        }
        catch (Exception e) when (IsReset(e))
        {
            // QEMU exiting with a reply still unread on its side resets the connection: the same end.
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            reason = $"The QMP connection to {SocketPath} broke: {e.Message}";
        }
        finally
        {
            Close(reason);
        }
    }

    private static bool IsReset(Exception e) =>
        (e as SocketException ?? e.InnerException as SocketException)?.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted;

    private void Dispatch(string line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return; // not QMP; nothing can be matched to it
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            if (root.TryGetProperty("event", out var name))
            {
                Publish(new QmpEvent(name.GetString() ?? "", Timestamp(root), root.TryGetProperty("data", out var data) ? data.Clone() : default));
                return;
            }

            // A reply without an id answers a request QEMU could not parse; none of ours.
            if (!root.TryGetProperty("id", out var idElement) || !idElement.TryGetInt64(out var id) || !_pending.TryRemove(id, out var pending))
            {
                return;
            }

            if (root.TryGetProperty("error", out var error))
            {
                var errorClass = error.TryGetProperty("class", out var c) ? c.GetString() ?? "GenericError" : "GenericError";
                var description = error.TryGetProperty("desc", out var d) ? d.GetString() ?? "" : "";
                pending.Answer.TrySetException(new QmpException(pending.Command, errorClass, description));
            }
            else
            {
                pending.Answer.TrySetResult(root.TryGetProperty("return", out var answer) ? answer.Clone() : default);
            }
        }
    }

    private static DateTimeOffset Timestamp(JsonElement root)
    {
        if (root.TryGetProperty("timestamp", out var t)
            && t.TryGetProperty("seconds", out var s) && s.TryGetInt64(out var seconds)
            && t.TryGetProperty("microseconds", out var us) && us.TryGetInt64(out var micro))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micro * 10);
        }

        return DateTimeOffset.UtcNow;
    }

    private void Close(string reason)
    {
        if (!_closed.TrySetResult(reason))
        {
            return;
        }

        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                if (pending.ClosingAnswers)
                {
                    pending.Answer.TrySetResult(default);
                }
                else
                {
                    pending.Answer.TrySetException(new QmpConnectionClosedException($"{reason}; '{pending.Command}' got no answer."));
                }
            }
        }

        lock (_subscribersLock)
        {
            foreach (var channel in _subscribers)
            {
                channel.Writer.TryComplete();
            }

            _subscribers.Clear();
        }
    }

    /// <summary>Closes the connection (QEMU keeps running).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopReading.Cancel();

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // already closed
        }

        await _readLoop.ConfigureAwait(false);
        Close("The QMP client was closed.");
        _reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        _writeLock.Dispose();
        _stopReading.Dispose();
    }

    private sealed class PendingCommand(string command, bool closingAnswers)
    {
        public string Command { get; } = command;

        /// <summary>Whether the connection closing answers this command (<c>quit</c>).</summary>
        public bool ClosingAnswers { get; } = closingAnswers;

        public TaskCompletionSource<JsonElement> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>
/// The events of one subscriber of a <see cref="QmpClient"/>: read them from <see cref="Reader"/>
/// (the stream ends when the connection closes) or wait for one with <see cref="WaitForAsync"/>.
/// </summary>
public sealed class QmpEventSubscription(ChannelReader<QmpEvent> reader, Action unsubscribe, Func<string> closedReason) : IDisposable
{
    /// <summary>The events, in the order QEMU sent them.</summary>
    public ChannelReader<QmpEvent> Reader { get; } = reader;

    /// <summary>
    /// Reads events until one named <paramref name="name"/> (and matching <paramref name="match"/>)
    /// comes, and returns it; events before it are passed over. Throws
    /// <see cref="QmpConnectionClosedException"/> when the connection closes first.
    /// </summary>
    public async Task<QmpEvent> WaitForAsync(string name, Func<QmpEvent, bool>? match = null, CancellationToken cancellationToken = default)
    {
        while (await Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (Reader.TryRead(out var e))
            {
                if (e.Name == name && (match is null || match(e)))
                {
                    return e;
                }
            }
        }

        throw new QmpConnectionClosedException($"{closedReason()}; no {name} event came.");
    }

    public void Dispose() => unsubscribe();
}

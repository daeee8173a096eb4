using System.Collections.Concurrent;
using System.Threading.Channels;
using Ringmaster.Contracts;

namespace Ringmaster.Core.Services;

/// <summary>
/// Host-to-host transfers through the server. Agents only dial the server, so bytes from one host to
/// another go through here: the server opens a transfer for a source and a target host, the source
/// agent streams chunks in (<see cref="WriteAsync"/>) and the target agent streams them out
/// (<see cref="Reader"/>) through a bounded channel, so a slow target holds the source back instead
/// of filling the server's memory. A transfer id is one-time and bound to its two hosts; it fails
/// when either host's agent goes away, and is gone once finished.
/// </summary>
public sealed class TransferRelay
{
    /// <summary>Chunks in flight per transfer (each at most <see cref="MaxChunkBytes"/>).</summary>
    public const int Capacity = 16;

    public const int MaxChunkBytes = 1024 * 1024;

    private readonly ConcurrentDictionary<Guid, Transfer> _transfers = new();

    /// <summary>
    /// A transfer was opened here (before its id is handed to anyone), or closed: with several web
    /// nodes, the others learn where its agents' requests go.
    /// </summary>
    public event Action<Guid>? Opened;

    /// <inheritdoc cref="Opened"/>
    public event Action<Guid>? Closed;

    /// <summary>Opens a transfer from <paramref name="sourceHostId"/> to <paramref name="targetHostId"/>.</summary>
    public Transfer Open(Guid sourceHostId, Guid targetHostId, string purpose)
    {
        var transfer = new Transfer(Guid.NewGuid(), sourceHostId, targetHostId, purpose, this);
        _transfers[transfer.Id] = transfer;
        Opened?.Invoke(transfer.Id);
        return transfer;
    }

    /// <summary>Whether the transfer is open on this node (whoever takes part in it).</summary>
    public bool IsHere(Guid transferId) => _transfers.ContainsKey(transferId);

    public int ActiveCount => _transfers.Count;

    /// <summary>The transfer when <paramref name="hostId"/> is its source and the source has not connected yet.</summary>
    public Transfer? ClaimUpload(Guid transferId, Guid hostId) =>
        _transfers.TryGetValue(transferId, out var t) && t.SourceHostId == hostId && Interlocked.Exchange(ref t.UploadClaimed, 1) == 0 ? t : null;

    /// <summary>The transfer when <paramref name="hostId"/> is its target and the target has not connected yet.</summary>
    public Transfer? ClaimDownload(Guid transferId, Guid hostId) =>
        _transfers.TryGetValue(transferId, out var t) && t.TargetHostId == hostId && Interlocked.Exchange(ref t.DownloadClaimed, 1) == 0 ? t : null;

    /// <summary>The transfer when <paramref name="hostId"/> takes part in it.</summary>
    public Transfer? Find(Guid transferId, Guid hostId) =>
        _transfers.TryGetValue(transferId, out var t) && (t.SourceHostId == hostId || t.TargetHostId == hostId) ? t : null;

    /// <summary>Fails every transfer a host takes part in (its agent went away).</summary>
    public void FailHost(Guid hostId, string reason)
    {
        foreach (var t in _transfers.Values)
        {
            if (t.SourceHostId == hostId || t.TargetHostId == hostId)
            {
                t.Fail(reason);
            }
        }
    }

    internal void Remove(Guid id)
    {
        if (_transfers.TryRemove(id, out _))
        {
            Closed?.Invoke(id);
        }
    }

    /// <summary>One transfer: a bounded pipe of chunks from the source host to the target host.</summary>
    public sealed class Transfer : IDisposable
    {
        private readonly Channel<byte[]> _channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        private readonly CancellationTokenSource _failed = new();
        private readonly TransferRelay _relay;
        private long _bytes;
        private long _delivered;
        internal int UploadClaimed;
        internal int DownloadClaimed;

        internal Transfer(Guid id, Guid sourceHostId, Guid targetHostId, string purpose, TransferRelay relay)
        {
            Id = id;
            SourceHostId = sourceHostId;
            TargetHostId = targetHostId;
            Purpose = purpose;
            _relay = relay;
        }

        public Guid Id { get; }
        public Guid SourceHostId { get; }
        public Guid TargetHostId { get; }
        public string Purpose { get; }
        public string? FailureReason { get; private set; }

        /// <summary>Bytes that went through so far.</summary>
        public long Bytes => Interlocked.Read(ref _bytes);

        /// <summary>Bytes handed on to the target so far (the source waits on it before a short pause).</summary>
        public long Delivered => Interlocked.Read(ref _delivered);

        public void MarkDelivered(int bytes) => Interlocked.Add(ref _delivered, bytes);

        /// <summary>What <see cref="Delivered"/> says, asked by the source; throws with the reason once the transfer failed.</summary>
        public long DeliveredUnlessFailed() => _failed.IsCancellationRequested
            ? throw new TransferFailedException(FailureReason ?? "The transfer failed.")
            : Delivered;

        /// <summary>Cancelled when the transfer fails.</summary>
        public CancellationToken Failed => _failed.Token;

        /// <summary>What the target reads; completes when the source finished, or with the failure.</summary>
        public ChannelReader<byte[]> Reader => _channel.Reader;

        /// <summary>Adds a chunk from the source; waits while the pipe is full.</summary>
        public async ValueTask WriteAsync(byte[] chunk, CancellationToken cancellationToken)
        {
            if (chunk.Length > MaxChunkBytes)
            {
                throw new InvalidOperationException($"A transfer chunk is at most {MaxChunkBytes} bytes.");
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _failed.Token);
            try
            {
                await _channel.Writer.WriteAsync(chunk, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_failed.IsCancellationRequested)
            {
                throw new TransferFailedException(FailureReason ?? "The transfer failed.");
            }
            catch (ChannelClosedException)
            {
                throw new TransferFailedException(FailureReason ?? "The transfer is closed.");
            }

            Interlocked.Add(ref _bytes, chunk.Length);
        }

        /// <summary>
        /// Runs both sides at once: the target's command reads what the source's command sends. A side
        /// that fails fails the transfer, so the other stops too; the caller cancels by failing the
        /// transfer, never the commands. Returns how each side ended.
        /// </summary>
        public async Task<TransferSides> RunAsync(Task<CommandResult> receive, Func<Task<CommandResult>> send, string sourceName, string targetName)
        {
            _ = receive.ContinueWith(t => Fail($"The target host {targetName} failed: {t.Exception?.GetBaseException().Message}"),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            CommandResult? sent = null;
            CommandResult? received = null;
            Exception? sendError = null;
            Exception? receiveError = null;
            try
            {
                sent = await send().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                sendError = ex;
                Fail($"The source host {sourceName} failed: {ex.Message}");
            }

            try
            {
                received = await receive.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                receiveError = ex;
                Fail($"The target host {targetName} failed: {ex.Message}");
            }

            return new TransferSides(sent, sendError, received, receiveError);
        }

        /// <summary>The source sent everything.</summary>
        public void Complete() => _channel.Writer.TryComplete();

        /// <summary>Fails the transfer: both sides stop with <paramref name="reason"/>.</summary>
        public void Fail(string reason)
        {
            if (_channel.Writer.TryComplete(new TransferFailedException(reason)))
            {
                FailureReason = reason;
            }

            FailureReason ??= reason;
            try
            {
                _failed.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        /// <summary>Forgets the transfer; a side still attached fails.</summary>
        public void Dispose()
        {
            Fail("The transfer was closed.");
            _relay.Remove(Id);
            while (_channel.Reader.TryRead(out _))
            {
            }
        }
    }
}

/// <summary>A host-to-host transfer stopped: a side went away, or it was cancelled.</summary>
public sealed class TransferFailedException(string message) : Exception(message);

/// <summary>How the two sides of a transfer ended: each side's result, or what it failed with.</summary>
public sealed record TransferSides(CommandResult? Sent, Exception? SendError, CommandResult? Received, Exception? ReceiveError);

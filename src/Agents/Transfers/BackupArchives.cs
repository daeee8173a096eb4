using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Transfers;

/// <summary>
/// Copies backup archives from this host's store to another host's through the server's relay, so
/// a backup restores on a host that does not share the store. Each archive goes as a header chunk
/// (<c>H</c>, the backup id, its kind, its length), data chunks (<c>D</c>) and an end chunk (<c>E</c>
/// with its SHA-256). The receiver writes beside the final name and renames only when the length and
/// checksum match, so a broken transfer never leaves a half archive in the store.
/// </summary>
public sealed class BackupArchives(BackupStore store, HostTransfers transfers, ILogger<BackupArchives> logger)
{
    private const int DataBytes = 256 * 1024;
    private const byte Header = (byte)'H';
    private const byte Data = (byte)'D';
    private const byte End = (byte)'E';

    /// <summary>Sends the archives of <paramref name="order"/>'s backups; returns the bytes of archive sent.</summary>
    public async Task<long> SendAsync(BackupArchiveOrder order, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var files = order.BackupIds.Select(id => (Id: id, Archive: Find(id) ?? throw new GuestException($"Backup {id} is not in this host's backup store ({store.Path})."))).ToList();
        var total = Math.Max(1, files.Sum(f => new FileInfo(f.Archive.Path).Length));
        long sent = 0;
        await transfers.SendAsync(order.TransferId, async (sink, ct) =>
        {
            foreach (var (id, archive) in files)
            {
                await using var input = new FileStream(archive.Path, FileMode.Open, FileAccess.Read, FileShare.Read, DataBytes, useAsync: true);
                var header = new byte[1 + 16 + 1 + 8];
                header[0] = Header;
                id.TryWriteBytes(header.AsSpan(1, 16));
                header[17] = archive.Container ? (byte)1 : (byte)0;
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(18), input.Length);
                await sink.WriteAsync(header, ct).ConfigureAwait(false);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                while (true)
                {
                    var chunk = new byte[1 + DataBytes];
                    var read = await input.ReadAtLeastAsync(chunk.AsMemory(1), DataBytes, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    chunk[0] = Data;
                    hash.AppendData(chunk, 1, read);
                    await sink.WriteAsync(read == DataBytes ? chunk : chunk[..(1 + read)], ct).ConfigureAwait(false);
                    sent += read;
                    progress.Report((int)(5 + (90 * sent / total)));
                }

                await sink.WriteAsync([End, .. hash.GetHashAndReset()], ct).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Sent {Count} backup archive(s), {Bytes} bytes, through transfer {Transfer}", files.Count, sent, order.TransferId);
        return sent;
    }

    /// <summary>Receives archives into this host's store until the sender ends; returns the bytes written.</summary>
    public async Task<long> ReceiveAsync(BackupArchiveOrder order, CancellationToken cancellationToken)
    {
        store.Ensure();
        string? partial = null;
        FileStream? output = null;
        IncrementalHash? hash = null;
        (Guid Id, string Path, long Length) current = default;
        long written = 0;
        long total = 0;
        var received = new List<Guid>();
        try
        {
            await foreach (var chunk in transfers.ReceiveAsync(order.TransferId, cancellationToken).ConfigureAwait(false))
            {
                switch (chunk.Length > 0 ? chunk[0] : (byte)0)
                {
                    case Header when output is null && chunk.Length == 26:
                    {
                        var id = new Guid(chunk.AsSpan(1, 16));
                        if (!order.BackupIds.Contains(id))
                        {
                            throw new GuestException($"The transfer carried backup {id}, which was not asked for.");
                        }

                        var final = chunk[17] == 1 ? store.ContainerArchiveOf(id) : store.ArchiveOf(id);
                        current = (id, final, BinaryPrimitives.ReadInt64LittleEndian(chunk.AsSpan(18)));
                        partial = final + ".part";
                        output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, DataBytes, useAsync: true);
                        hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                        written = 0;
                        break;
                    }

                    case Data when output is not null:
                        await output.WriteAsync(chunk.AsMemory(1), cancellationToken).ConfigureAwait(false);
                        hash!.AppendData(chunk, 1, chunk.Length - 1);
                        written += chunk.Length - 1;
                        if (written > current.Length)
                        {
                            throw new GuestException($"Backup {current.Id} arrived longer than announced.");
                        }

                        break;

                    case End when output is not null && chunk.Length == 33:
                    {
                        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                        await output.DisposeAsync().ConfigureAwait(false);
                        output = null;
                        var sum = hash!.GetHashAndReset();
                        hash.Dispose();
                        hash = null;
                        if (written != current.Length || !sum.AsSpan().SequenceEqual(chunk.AsSpan(1)))
                        {
                            throw new GuestException($"Backup {current.Id} arrived damaged ({written} of {current.Length} bytes, checksum {(sum.AsSpan().SequenceEqual(chunk.AsSpan(1)) ? "matches" : "differs")}).");
                        }

                        File.Move(partial!, current.Path!, overwrite: true);
                        partial = null;
                        total += written;
                        received.Add(current.Id);
                        break;
                    }

                    default:
                        throw new GuestException("The backup transfer is corrupt (an unexpected chunk).");
                }
            }

            if (output is not null)
            {
                throw new GuestException($"The backup transfer ended in the middle of backup {current.Id}.");
            }

            var missing = order.BackupIds.Except(received).ToList();
            if (missing.Count > 0)
            {
                throw new GuestException($"The backup transfer ended without backup {missing[0]}.");
            }

            logger.LogInformation("Received {Count} backup archive(s) through transfer {Transfer}", received.Count, order.TransferId);
            return total;
        }
        finally
        {
            hash?.Dispose();
            if (output is not null)
            {
                await output.DisposeAsync().ConfigureAwait(false);
            }

            if (partial is not null)
            {
                File.Delete(partial);
            }
        }
    }

    private (string Path, bool Container)? Find(Guid backupId) =>
        File.Exists(store.ArchiveOf(backupId)) ? (store.ArchiveOf(backupId), false)
        : File.Exists(store.ContainerArchiveOf(backupId)) ? (store.ContainerArchiveOf(backupId), true)
        : null;
}

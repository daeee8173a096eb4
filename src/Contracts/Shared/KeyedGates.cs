namespace Ringmaster.Shared;

/// <summary>
/// One holder at a time per key (a machine, a guest), for as many keys as come and go: a key's gate
/// exists only while someone holds it or waits for it, so a long-lived process does not keep one for
/// every machine it ever saw.
/// </summary>
public sealed class KeyedGates<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, Gate> _gates = new();

    /// <summary>How many keys are held or waited for now.</summary>
    public int Count
    {
        get
        {
            lock (_gates)
            {
                return _gates.Count;
            }
        }
    }

    /// <summary>Waits until <paramref name="key"/> is free and takes it; dispose what this returns to let it go.</summary>
    public async Task<IDisposable> EnterAsync(TKey key, CancellationToken cancellationToken = default)
    {
        Gate gate;
        lock (_gates)
        {
            if (!_gates.TryGetValue(key, out gate!))
            {
                _gates[key] = gate = new Gate();
            }

            gate.Users++;
        }

        try
        {
            await gate.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, gate, held: false);
            throw;
        }

        return new Held(this, key, gate);
    }

    private void Leave(TKey key, Gate gate, bool held)
    {
        lock (_gates)
        {
            if (held)
            {
                gate.Semaphore.Release();
            }

            if (--gate.Users == 0)
            {
                _gates.Remove(key);
            }
        }
    }

    private sealed class Gate
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        /// <summary>Holders and waiters; guarded by the dictionary's lock.</summary>
        public int Users { get; set; }
    }

    private sealed class Held(KeyedGates<TKey> owner, TKey key, Gate gate) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Leave(key, gate, held: true);
            }
        }
    }
}

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, so what it saw is there when the call returns.</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>
/// Undo steps of a multi-step action: each step registers how to take itself back; on success the
/// steps are dropped, otherwise disposing runs them newest first (Incus <c>shared/revert</c>).
/// </summary>
internal sealed class Revert : IAsyncDisposable
{
    private readonly Stack<Func<Task>> _undo = new();
    private bool _succeeded;

    public void Add(Func<Task> undo) => _undo.Push(undo);

    public void Success() => _succeeded = true;

    public async ValueTask DisposeAsync()
    {
        if (_succeeded)
        {
            return;
        }

        while (_undo.TryPop(out var undo))
        {
            try
            {
                await undo();
            }
            catch
            {
                // An undo that fails must not hide the error that caused the revert.
            }
        }
    }
}

namespace Ringmaster.Agents.Drivers;

/// <summary>Progress that also says, in words, what is being done (the operation's message and log).</summary>
public interface IProgressWithNotes : IProgress<int>
{
    void Report(int percent, string note);
}

public static class ProgressNotes
{
    /// <summary>Reports a step with its note where the receiver keeps notes, the percentage alone elsewhere.</summary>
    public static void Report(this IProgress<int> progress, int percent, string note)
    {
        if (progress is IProgressWithNotes notes)
        {
            notes.Report(percent, note);
        }
        else
        {
            progress.Report(percent);
        }
    }
}

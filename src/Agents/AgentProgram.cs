namespace Ringmaster.Agents;

/// <summary>Entry point of <c>ringmaster-agent</c>.</summary>
public static class AgentProgram
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("ringmaster-agent: not yet wired");
        return args.Length == 0 ? 1 : 1;
    }
}

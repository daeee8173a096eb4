namespace Ringmaster.Emulator.Tests;

/// <summary>Live migration at the machine level: pages in rounds, then the state, into an incoming machine that continues the shell.</summary>
public partial class LinuxBootTests
{
    private static void CopyPages(RiscVMachine from, RiscVMachine to, IEnumerable<ulong> pages)
    {
        var page = new byte[RiscVMachine.PageBytes];
        foreach (var address in pages)
        {
            from.ReadPage(address, page);
            to.WritePage(address, page);
        }
    }

    [Fact]
    public void Migrate_IdleShell_PagesInRoundsThenState_IncomingMachineAnswersTypedCommands()
    {
        var config = DefaultImage();
        using var source = new RiscVMachine(config);
        var s = new Session(source);
        var prompt = s.WaitFor("~ # ");
        s.Type("c=5; echo at-$c");
        prompt = s.WaitFor("at-5", prompt);

        using var target = RiscVMachine.CreateIncoming(config);
        source.MarkDirtyPages();
        CopyPages(source, target, source.NonZeroPages());
        for (var round = 0; round < 3; round++)
        {
            source.RunSlice(1_000_000);
            var dirty = source.GetDirtyPages();
            source.MarkDirtyPages();
            CopyPages(source, target, dirty);
        }

        source.RunSlice(1_000_000);
        CopyPages(source, target, source.GetDirtyPages());
        var state = new MemoryStream();
        source.SaveState(state);
        state.Position = 0;
        target.LoadState(state);
        var a = new byte[RiscVMachine.PageBytes];
        var b = new byte[RiscVMachine.PageBytes];
        var differ = new List<ulong>();
        for (var address = MemoryMap.RamBase; address < MemoryMap.RamBase + ((ulong)config.MemoryMiB << 20); address += (ulong)RiscVMachine.PageBytes)
        {
            source.ReadPage(address, a);
            target.ReadPage(address, b);
            if (!a.AsSpan().SequenceEqual(b))
                differ.Add(address);
        }

        // Pages the source holds as zeros were never sent: the incoming machine must have zeros there too.
        Assert.True(differ.Count == 0, $"{differ.Count} pages differ from the source: {string.Join(",", differ.Take(20).Select(x => x.ToString("x")))}");

        var t = new Session(target);
        t.Type("echo there-$((40+2))-$c");
        t.WaitFor("there-42-5", 0, 60);
    }
}

using System.Text;
using Ringmaster.Emulator.Cpu;
using static Ringmaster.Emulator.Tests.TestProgram;

namespace Ringmaster.Emulator.Tests;

public class RunnerTests
{
    /// <summary>Prints "hi" then waits in WFI for a console byte, echoes it, and exits.</summary>
    private static byte[] EchoProgram() => new TestProgram()
        .Li(S0, MemoryMap.UartBase)
        .Emit(Rv.Addi(T0, 0, 'h'), Rv.Sb(T0, S0, 0), Rv.Addi(T0, 0, 'i'), Rv.Sb(T0, S0, 0))
        .Label("poll").Emit(Rv.Lbu(T1, S0, 5), Rv.Andi(T1, T1, 1)).To("poll", o => Rv.Beq(T1, 0, o))
        .Emit(Rv.Lbu(T2, S0, 0), Rv.Sb(T2, S0, 0))
        .Pass().Build();

    [Fact]
    public void Runner_ConsoleInputAndPowerOff_RaisesOutputAndStatusEvents()
    {
        using var m = RiscVMachine.ForProgram(EchoProgram(), ToHost);
        using var runner = new MachineRunner(m, sliceBudget: 100_000);
        var output = new StringBuilder();
        var stopped = new ManualResetEventSlim();
        runner.ConsoleOutput += chunk => { lock (output) output.Append(Encoding.ASCII.GetString(chunk.Span)); };
        runner.StatusChanged += s => { if (s == MachineStatus.PoweredOff) stopped.Set(); };
        runner.Start();
        SpinWait.SpinUntil(() => { lock (output) return output.ToString() == "hi"; }, TimeSpan.FromSeconds(10));
        runner.Pause();
        Assert.Equal(MachineStatus.Paused, runner.Status);
        var pausedAt = m.InstructionCount;
        Thread.Sleep(50);
        Assert.Equal(pausedAt, m.InstructionCount);
        runner.Resume();
        m.WriteConsoleInput("!"u8);
        Assert.True(stopped.Wait(TimeSpan.FromSeconds(10)), "the program never powered off");
        lock (output) Assert.Equal("hi!", output.ToString());
        Assert.Equal(0, m.ExitCode);
    }
}

using System.Text;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Containers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Containers;

[Collection(PodmanCollection.Name)]
public sealed class ContainerConsoleTests : ContainerTestBase
{
    [Fact]
    public async Task AttachConsoleAsync_EchoHi_OutputShowsHi()
    {
        var definition = Define();
        await CreateRunningAsync(definition);

        await using var console = await Driver.Lifecycle.AttachConsoleAsync(definition.Id, Timeout);
        await console.WriteAsync("echo hi\n"u8.ToArray(), Timeout);

        // The terminal echoes the typed line ("echo hi"); the shell's answer is a line of its own.
        await ReadUntilAsync(console, "\nhi\r\n");
    }

    [Fact]
    public async Task AttachConsoleAsync_BeforeStart_SeesTheShellAfterStart()
    {
        var definition = Define();
        await Driver.Lifecycle.CreateAsync(definition, new Progress<int>(), Timeout);

        await using var console = await Driver.Lifecycle.AttachConsoleAsync(definition.Id, Timeout);
        await Driver.Lifecycle.StartAsync(definition.Id, Timeout);
        await console.WriteAsync("echo early-$((1 + 1))\n"u8.ToArray(), Timeout);

        await ReadUntilAsync(console, "\nearly-2\r\n");
    }

    [Fact]
    public async Task AttachConsoleAsync_TwoAttachments_BothSeeTheOutput()
    {
        var definition = Define();
        await CreateRunningAsync(definition);

        await using var first = await Driver.Lifecycle.AttachConsoleAsync(definition.Id, Timeout);
        await using var second = await Driver.Lifecycle.AttachConsoleAsync(definition.Id, Timeout);
        await first.WriteAsync("echo $((6 * 7))\n"u8.ToArray(), Timeout);

        await ReadUntilAsync(first, "\n42\r\n");
        await ReadUntilAsync(second, "\n42\r\n");
    }

    [Fact]
    public async Task ResizeAsync_AttachedConsole_TerminalHasTheNewSize()
    {
        var definition = Define();
        await CreateRunningAsync(definition);
        await using var console = await Driver.Lifecycle.AttachConsoleAsync(definition.Id, Timeout);

        await console.ResizeAsync(100, 30, Timeout);
        await console.WriteAsync("stty size\n"u8.ToArray(), Timeout);

        await ReadUntilAsync(console, "\n30 100\r\n");
    }

    [Fact]
    public async Task GetLogsAsync_AfterEcho_ContainsTheOutput()
    {
        var definition = Define();
        await CreateRunningAsync(definition);
        await using (var console = await Driver.Lifecycle.AttachConsoleAsync(definition.Id, Timeout))
        {
            await console.WriteAsync("echo logged-$((40 + 2))\n"u8.ToArray(), Timeout);
            await ReadUntilAsync(console, "logged-42");
        }

        var logs = await Driver.Get<ContainerLifecycle>().GetLogsAsync(definition.Id, tail: null, Timeout);

        Assert.Contains("logged-42", logs);
    }

    [Fact]
    public async Task AttachConsoleAsync_StoppedContainer_ThrowsGuestException()
    {
        var definition = Define();
        await CreateRunningAsync(definition);
        await Driver.Lifecycle.StopAsync(definition.Id, TimeSpan.Zero, force: true, Timeout);

        var error = await Assert.ThrowsAsync<GuestException>(() => Driver.Lifecycle.AttachConsoleAsync(definition.Id, Timeout));

        Assert.Contains("not running", error.Message);
    }

    [Fact]
    public async Task GetMetricsAsync_RunningContainer_ReportsMemoryUse()
    {
        var definition = Define(memoryMiB: 64);
        await CreateRunningAsync(definition);

        var metrics = await Driver.Lifecycle.GetMetricsAsync(definition.Id, Timeout);

        Assert.NotNull(metrics);
        Assert.Equal(definition.Id, metrics.Id);
        Assert.True(metrics.MemoryUsedBytes > 0, "memory in use should be above zero");
        Assert.Equal(64L * 1024 * 1024, metrics.MemoryLimitBytes);
        Assert.True(metrics.CpuPercent >= 0);
        Assert.Null(metrics.Mips);
    }

    [Fact]
    public async Task GetMetricsAsync_BusyContainer_ReportsCpuUse()
    {
        var definition = Define();
        await CreateRunningAsync(definition);
        await using var console = await Driver.Lifecycle.AttachConsoleAsync(definition.Id, Timeout);
        await console.WriteAsync("while :; do :; done\n"u8.ToArray(), Timeout);

        await Driver.Lifecycle.GetMetricsAsync(definition.Id, Timeout);
        await Task.Delay(1000);
        var metrics = await Driver.Lifecycle.GetMetricsAsync(definition.Id, Timeout);

        Assert.NotNull(metrics);
        Assert.True(metrics.CpuPercent > 5, $"a busy loop should show CPU use, got {metrics.CpuPercent:0.0} %");
    }

    [Fact]
    public async Task GetMetricsAsync_StoppedContainer_ReturnsNull()
    {
        var definition = Define();
        await Driver.Lifecycle.CreateAsync(definition, new Progress<int>(), Timeout);

        Assert.Null(await Driver.Lifecycle.GetMetricsAsync(definition.Id, Timeout));
    }
}

using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Containers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Containers;

[Collection(PodmanCollection.Name)]
public sealed class ContainerLifecycleTests : ContainerTestBase
{
    [Fact]
    public async Task CreateAsync_BusyboxDefinition_ReturnsStoppedGuestWithItsLabels()
    {
        var definition = Define(labels: new Dictionary<string, string> { ["team"] = "blue" });
        var reported = new List<int>();

        var info = await Driver.Lifecycle.CreateAsync(definition, new SynchronousProgress(reported.Add), Timeout);

        Assert.Equal(definition.Id, info.Id);
        Assert.Equal(definition.Name, info.Name);
        Assert.Equal(MachineKind.Container, info.Kind);
        Assert.Equal(MachineState.Stopped, info.State);
        Assert.Equal("ringmaster/busybox", info.Image);
        Assert.Equal(1, info.Spec.Vcpus);
        Assert.Equal(64, info.Spec.MemoryMiB);
        Assert.Equal("blue", info.Labels["team"]);
        Assert.Equal(100, reported.Last());
        Assert.Contains(definition.Name, await Podman.AllContainerNamesAsync());
        Assert.Equal(definition.Id.ToString(), await Podman.InspectAsync(definition.Name, "{{index .Config.Labels \"ringmaster.id\"}}"));
    }

    [Fact]
    public async Task CreateAsync_BuiltInImageMissing_ImportsItFromTheHostBusybox()
    {
        // Nothing else runs meanwhile (one collection), so no container of another test uses the image.
        await Podman.RunAsync("rmi", "-f", ContainerImages.BuiltInImage);
        var definition = Define(image: "busybox");
        var reported = new List<int>();

        var info = await Driver.Lifecycle.CreateAsync(definition, new SynchronousProgress(reported.Add), Timeout);

        Assert.Equal("busybox", info.Image);
        Assert.Equal(ContainerImages.BuiltInImage, await Podman.InspectAsync(definition.Name, "{{.ImageName}}"));
        Assert.Equal("[sh]", await Podman.InspectAsync(definition.Name, "{{.Config.Cmd}}"));
        Assert.True(reported.Distinct().Count() >= 4, $"progress should move during the import: {string.Join(", ", reported)}");
        Assert.Equal(reported.Order(), reported);
        Assert.Equal(100, reported[^1]);
        await Driver.Lifecycle.StartAsync(definition.Id, Timeout);
        await using var console = await Driver.Lifecycle.AttachConsoleAsync(definition.Id, Timeout);
        await console.WriteAsync("ls /bin/sh /usr/bin/awk && echo applets-ok\n"u8.ToArray(), Timeout);
        await ReadUntilAsync(console, "\napplets-ok\r\n");
    }

    [Fact]
    public async Task StartAsync_CreatedContainer_IsRunning()
    {
        var definition = Define();
        await Driver.Lifecycle.CreateAsync(definition, new Progress<int>(), Timeout);

        var info = await Driver.Lifecycle.StartAsync(definition.Id, Timeout);

        Assert.Equal(MachineState.Running, info.State);
        Assert.Equal("true", await Podman.InspectAsync(definition.Name, "{{.State.Running}}"));
    }

    [Fact]
    public async Task StopAsync_GracefulThenStart_StopsAndRunsAgain()
    {
        var definition = Define();
        await CreateRunningAsync(definition);

        // sh as the first process ignores SIGTERM: the stop kills it after the grace period.
        var stopped = await Driver.Lifecycle.StopAsync(definition.Id, TimeSpan.FromSeconds(1), force: false, Timeout);
        Assert.Equal(MachineState.Stopped, stopped.State);
        Assert.Equal("exited", await Podman.InspectAsync(definition.Name, "{{.State.Status}}"));

        var started = await Driver.Lifecycle.StartAsync(definition.Id, Timeout);
        Assert.Equal(MachineState.Running, started.State);
    }

    [Fact]
    public async Task StopAsync_Force_KillsAtOnce()
    {
        var definition = Define();
        await CreateRunningAsync(definition);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var stopped = await Driver.Lifecycle.StopAsync(definition.Id, TimeSpan.FromSeconds(30), force: true, Timeout);

        Assert.Equal(MachineState.Stopped, stopped.State);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"A forced stop took {watch.Elapsed}.");
    }

    [Fact]
    public async Task StopAsync_StoppedContainer_StaysStopped()
    {
        var definition = Define();
        await Driver.Lifecycle.CreateAsync(definition, new Progress<int>(), Timeout);

        var info = await Driver.Lifecycle.StopAsync(definition.Id, TimeSpan.FromSeconds(1), force: false, Timeout);

        Assert.Equal(MachineState.Stopped, info.State);
    }

    [Fact]
    public async Task PauseAsync_RunningContainer_PausesAndResumes()
    {
        var definition = Define();
        await CreateRunningAsync(definition);

        var paused = await Driver.Lifecycle.PauseAsync(definition.Id, Timeout);
        Assert.Equal(MachineState.Paused, paused.State);
        Assert.Equal("paused", await Podman.InspectAsync(definition.Name, "{{.State.Status}}"));

        var resumed = await Driver.Lifecycle.ResumeAsync(definition.Id, Timeout);
        Assert.Equal(MachineState.Running, resumed.State);
        Assert.Equal("running", await Podman.InspectAsync(definition.Name, "{{.State.Status}}"));
    }

    [Fact]
    public async Task PauseAsync_StoppedContainer_ThrowsGuestException()
    {
        var definition = Define();
        await Driver.Lifecycle.CreateAsync(definition, new Progress<int>(), Timeout);

        var error = await Assert.ThrowsAsync<GuestException>(() => Driver.Lifecycle.PauseAsync(definition.Id, Timeout));

        Assert.Contains("not running", error.Message);
    }

    [Fact]
    public async Task StopAsync_PausedContainer_Stops()
    {
        var definition = Define();
        await CreateRunningAsync(definition);
        await Driver.Lifecycle.PauseAsync(definition.Id, Timeout);

        var info = await Driver.Lifecycle.StopAsync(definition.Id, TimeSpan.FromSeconds(1), force: true, Timeout);

        Assert.Equal(MachineState.Stopped, info.State);
    }

    [Fact]
    public async Task DeleteAsync_RunningContainer_LeavesNothing()
    {
        var definition = Define();
        await CreateRunningAsync(definition);

        await Driver.Lifecycle.DeleteAsync(definition.Id, Timeout);

        Assert.DoesNotContain(await Driver.Lifecycle.ListAsync(Timeout), g => g.Id == definition.Id);
        Assert.DoesNotContain(definition.Name, await Podman.AllContainerNamesAsync());
        await Assert.ThrowsAsync<GuestNotFoundException>(() => Driver.Lifecycle.StartAsync(definition.Id, Timeout));
    }

    [Fact]
    public async Task DeleteAsync_UnknownGuest_Succeeds()
    {
        await Driver.Lifecycle.DeleteAsync(Guid.NewGuid(), Timeout);
    }

    [Fact]
    public async Task StartAsync_UnknownGuest_ThrowsGuestNotFound()
    {
        var id = Guid.NewGuid();

        var error = await Assert.ThrowsAsync<GuestNotFoundException>(() => Driver.Lifecycle.StartAsync(id, Timeout));

        Assert.Contains(id.ToString(), error.Message);
    }

    [Fact]
    public async Task CreateAsync_Limits_VisibleInEngineInspect()
    {
        var definition = Define(vcpus: 2, memoryMiB: 96);

        await Driver.Lifecycle.CreateAsync(definition, new Progress<int>(), Timeout);

        Assert.Equal((96L * 1024 * 1024).ToString(), await Podman.InspectAsync(definition.Name, "{{.HostConfig.Memory}}"));
        Assert.Equal("2000000000", await Podman.InspectAsync(definition.Name, "{{.HostConfig.NanoCpus}}"));
    }

    [Fact]
    public async Task CreateAsync_UnknownImage_ThrowsClearErrorAndLeavesNothing()
    {
        var definition = Define(image: $"rmtest-no-such-image-{Guid.NewGuid():N}:1");

        var error = await Assert.ThrowsAsync<GuestException>(() => Driver.Lifecycle.CreateAsync(definition, new Progress<int>(), Timeout));

        Assert.Contains($"Image '{definition.Image}' not found and no registry is reachable", error.Message);
        Assert.DoesNotContain(definition.Name, await Podman.AllContainerNamesAsync());
        Assert.DoesNotContain(await Driver.Lifecycle.ListAsync(Timeout), g => g.Id == definition.Id);
    }

    [Fact]
    public async Task CreateAsync_NameOfForeignContainer_ThrowsClearError()
    {
        var definition = Define();
        var (code, _, stderr) = await Podman.RunAsync("create", "--name", definition.Name, ContainerImages.BuiltInImage, "sh");
        if (code != 0)
        {
            // The built-in image may not exist yet: let the driver make it, then try again.
            await Driver.Lifecycle.CreateAsync(Define(), new Progress<int>(), Timeout);
            (code, _, stderr) = await Podman.RunAsync("create", "--name", definition.Name, ContainerImages.BuiltInImage, "sh");
        }

        Assert.True(code == 0, stderr);
        try
        {
            var error = await Assert.ThrowsAsync<GuestException>(() => Driver.Lifecycle.CreateAsync(definition, new Progress<int>(), Timeout));

            Assert.Contains("was not made by Ringmaster", error.Message);
            Assert.Equal(string.Empty, await Podman.InspectAsync(definition.Name, "{{index .Config.Labels \"ringmaster.id\"}}"));
        }
        finally
        {
            await Podman.RunAsync("rm", "-f", definition.Name);
        }
    }

    [Fact]
    public async Task CreateAsync_SameNameTwice_ThrowsAndKeepsTheFirst()
    {
        var first = Define();
        await Driver.Lifecycle.CreateAsync(first, new Progress<int>(), Timeout);
        var second = Define() with { Name = first.Name };

        var error = await Assert.ThrowsAsync<GuestException>(() => Driver.Lifecycle.CreateAsync(second, new Progress<int>(), Timeout));

        Assert.Contains(first.Id.ToString(), error.Message);
        Assert.Single(await Driver.Lifecycle.ListAsync(Timeout), g => g.Name == first.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-starts-with-dash")]
    [InlineData("has space")]
    public async Task CreateAsync_BadName_ThrowsGuestException(string name)
    {
        var definition = Define() with { Name = name };

        var error = await Assert.ThrowsAsync<GuestException>(() => Driver.Lifecycle.CreateAsync(definition, new Progress<int>(), Timeout));

        Assert.Contains("cannot name a container", error.Message);
    }

    [Fact]
    public async Task ListAsync_NewDriverInstance_ShowsContainerWithItsState()
    {
        var running = Define(labels: new Dictionary<string, string> { ["role"] = "web" });
        var stopped = Define();
        await CreateRunningAsync(running);
        await Driver.Lifecycle.CreateAsync(stopped, new Progress<int>(), Timeout);

        // As after an agent restart: a fresh driver knows only what the engine's labels tell.
        using var restarted = TestEngine.Containers(new ContainerDriverOptions());
        var list = await restarted.Lifecycle.ListAsync(Timeout);

        var a = Assert.Single(list, g => g.Id == running.Id);
        Assert.Equal(MachineState.Running, a.State);
        Assert.Equal(running.Name, a.Name);
        Assert.Equal("web", a.Labels["role"]);
        Assert.Equal(running.Spec.MemoryMiB, a.Spec.MemoryMiB);
        Assert.Equal(running.Spec.Disks, a.Spec.Disks);
        var b = Assert.Single(list, g => g.Id == stopped.Id);
        Assert.Equal(MachineState.Stopped, b.State);
    }

    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}

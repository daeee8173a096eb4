using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Containers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Containers;

[Collection(PodmanCollection.Name)]
public sealed class ContainerEngineTests
{
    public ContainerEngineTests() => Podman.EnsureInstalled();

    [Fact]
    public async Task CheckAsync_Podman_IsAvailableAndNamesTheEngine()
    {
        using var driver = TestEngine.Containers(new ContainerDriverOptions());

        var availability = await driver.Lifecycle.CheckAsync(CancellationToken.None);
        var engine = await driver.Get<ContainerEngineClient>().GetEngineInfoAsync(CancellationToken.None);

        Assert.True(availability.Available, availability.Detail);
        Assert.Equal(MachineKind.Container, driver.Lifecycle.Kind);
        Assert.Equal("podman", engine.Name);
        Assert.Matches(@"^\d+\.\d+", engine.Version);
        Assert.StartsWith("unix://", engine.Endpoint);
    }

    [Fact]
    public async Task CheckAsync_ConfiguredEndpointThatDoesNotAnswer_IsUnavailableWithTheEndpoint()
    {
        using var driver = TestEngine.Containers(new ContainerDriverOptions { Endpoint = "unix:///run/rmtest-nothing-here.sock" });

        var availability = await driver.Lifecycle.CheckAsync(CancellationToken.None);

        Assert.False(availability.Available);
        Assert.Contains("Container engine not reachable at unix:///run/rmtest-nothing-here.sock", availability.Detail);
    }

    [Fact]
    public async Task ListAsync_EngineNotReachable_ThrowsGuestException()
    {
        using var driver = TestEngine.Containers(new ContainerDriverOptions { Endpoint = "unix:///run/rmtest-nothing-here.sock" });

        var error = await Assert.ThrowsAsync<GuestException>(() => driver.Lifecycle.ListAsync(CancellationToken.None));

        Assert.Contains("not reachable", error.Message);
    }

    [Fact]
    public async Task CheckAsync_NoEngineAnswers_StartsPodmanServiceAndUsesIt()
    {
        if (Environment.GetEnvironmentVariable(ContainerDriverOptions.EndpointVariable) is { Length: > 0 } || File.Exists("/var/run/docker.sock"))
        {
            Assert.Fail("This test needs no configured endpoint and no Docker socket: another engine would answer first.");
        }

        var folder = $"/run/rmtest-{Guid.NewGuid():N}";
        var options = new ContainerDriverOptions
        {
            PodmanSocketPath = $"{folder}/podman.sock",
            PodmanServiceLogPath = $"{folder}/service.log",
        };
        using var driver = TestEngine.Containers(options);
        try
        {
            var availability = await driver.Lifecycle.CheckAsync(CancellationToken.None);

            Assert.True(availability.Available, availability.Detail);
            Assert.Equal($"unix://{folder}/podman.sock", (await driver.Get<ContainerEngineClient>().GetEngineInfoAsync(CancellationToken.None)).Endpoint);
            var service = await driver.Get<PodmanServices>().StartedAsync(options.PodmanSocketPath);
            Assert.NotNull(service);
            Assert.False(service.HasExited);
            Assert.True(File.Exists(options.PodmanServiceLogPath));
            await driver.Lifecycle.ListAsync(CancellationToken.None);
        }
        finally
        {
            if (await driver.Get<PodmanServices>().StartedAsync(options.PodmanSocketPath) is { HasExited: false } service)
            {
                service.Kill();
                await service.WaitForExitAsync();
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task LocateAsync_ServiceListensButAnswersLate_WaitedForNotReplaced()
    {
        // A loaded machine: the engine takes the connection but is slow to answer. Another service
        // started on its socket would take the socket from under it.
        var folder = $"/run/rmtest-{Guid.NewGuid():N}";
        Directory.CreateDirectory(folder);
        var socketPath = $"{folder}/podman.sock";
        var podman = $"{folder}/podman";
        await File.WriteAllTextAsync(podman, $"#!/bin/sh\ntouch {folder}/started\n");
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(podman, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(16);
            var options = new ContainerDriverOptions
            {
                PodmanSocketPath = socketPath,
                PodmanServiceLogPath = $"{folder}/service.log",
                Podman = podman,
                ProbeTimeout = TimeSpan.FromMilliseconds(200),
                EngineStartTimeout = TimeSpan.FromSeconds(1),
            };

            var error = await Assert.ThrowsAsync<GuestException>(() => new ContainerEngineLocator(options).LocateAsync(CancellationToken.None));

            Assert.Contains($"a service listens on unix://{socketPath} but did not answer within 1 s", error.Message);
            Assert.False(File.Exists($"{folder}/started"), "a second service was started on the busy one's socket");
            Assert.True(File.Exists(socketPath));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Candidates_NoEndpointConfigured_ProbesPodmanThenDocker()
    {
        var locator = new ContainerEngineLocator(new ContainerDriverOptions());

        var candidates = locator.Candidates();

        if (Environment.GetEnvironmentVariable(ContainerDriverOptions.EndpointVariable) is { Length: > 0 })
        {
            return;
        }

        Assert.Equal("unix:///run/podman/podman.sock", candidates[0]);
        Assert.Equal("unix:///var/run/docker.sock", candidates[1]);
    }

    [Fact]
    public async Task AddContainerDriver_Configuration_RegistersTheDriverKeyedByEngineWithBoundOptions()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ringmaster:Containers:Endpoint"] = "unix:///run/podman/podman.sock",
            ["Ringmaster:Containers:StopTimeout"] = "00:00:03",
        });

        builder.AddContainerDriver();
        using var host = builder.Build();

        var driver = host.Services.GetRequiredKeyedService<IGuestDriver>(GuestEngineKey.Containers);
        Assert.Same(host.Services.GetRequiredService<ContainerLifecycle>(), driver);
        var options = host.Services.GetRequiredService<IOptions<ContainerDriverOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(3), options.StopTimeout);
        Assert.Equal("unix:///run/podman/podman.sock", options.Endpoint);
        var availability = await driver.CheckAsync(CancellationToken.None);
        Assert.True(availability.Available, availability.Detail);
    }

    [Theory]
    [InlineData("busybox", "busybox", "latest")]
    [InlineData("ringmaster/busybox:1.35", "ringmaster/busybox", "1.35")]
    [InlineData("localhost:5000/app", "localhost:5000/app", "latest")]
    [InlineData("localhost:5000/app:v2", "localhost:5000/app", "v2")]
    public void SplitReference_ImageName_SplitsRepositoryAndTag(string image, string repository, string tag)
    {
        Assert.Equal((repository, tag), ContainerImages.SplitReference(image));
    }

    [Theory]
    [InlineData("created", MachineState.Stopped)]
    [InlineData("exited", MachineState.Stopped)]
    [InlineData("running", MachineState.Running)]
    [InlineData("paused", MachineState.Paused)]
    [InlineData("dead", MachineState.Error)]
    [InlineData("initialized", MachineState.Stopped)]
    [InlineData("stopping", MachineState.Stopping)]
    [InlineData("restarting", MachineState.Starting)]
    [InlineData("removing", MachineState.Stopping)]
    [InlineData("no-such-state", MachineState.Error)]
    public void MapState_EngineState_MachineState(string engineState, MachineState expected)
    {
        Assert.Equal(expected, ContainerEngineClient.MapState(engineState, "status").State);
    }

    [Theory]
    [InlineData("running", "Up Less than a second", null)]
    [InlineData("running", "Up 2 minutes", null)]
    [InlineData("paused", "Up 2 minutes (Paused)", null)]
    [InlineData("created", "Created", null)]
    [InlineData("exited", "Exited (137) 3 minutes ago", "Exited (137)")]
    [InlineData("exited", "Exited (0) Less than a second ago", "Exited (0)")]
    public void MapState_StatusWithARelativeTime_DetailKeepsNothingThatAges(string engineState, string status, string? detail)
    {
        Assert.Equal(detail, ContainerEngineClient.MapState(engineState, status).Detail);
    }
}

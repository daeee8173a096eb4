using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Containers;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Tests.Containers;

[Collection(PodmanCollection.Name)]
public sealed class ContainerEngineTests
{
    public ContainerEngineTests() => Podman.EnsureInstalled();

    [Fact]
    public async Task CheckAsync_Podman_IsAvailableAndNamesTheEngine()
    {
        using var driver = new ContainerDriver(new ContainerDriverOptions());

        var availability = await driver.CheckAsync(CancellationToken.None);
        var engine = await driver.GetEngineInfoAsync(CancellationToken.None);

        Assert.True(availability.Available, availability.Detail);
        Assert.Equal(MachineKind.Container, driver.Kind);
        Assert.Equal("podman", engine.Name);
        Assert.Matches(@"^\d+\.\d+", engine.Version);
        Assert.StartsWith("unix://", engine.Endpoint);
    }

    [Fact]
    public async Task CheckAsync_ConfiguredEndpointThatDoesNotAnswer_IsUnavailableWithTheEndpoint()
    {
        using var driver = new ContainerDriver(new ContainerDriverOptions { Endpoint = "unix:///run/rmtest-nothing-here.sock" });

        var availability = await driver.CheckAsync(CancellationToken.None);

        Assert.False(availability.Available);
        Assert.Contains("Container engine not reachable at unix:///run/rmtest-nothing-here.sock", availability.Detail);
    }

    [Fact]
    public async Task ListAsync_EngineNotReachable_ThrowsGuestException()
    {
        using var driver = new ContainerDriver(new ContainerDriverOptions { Endpoint = "unix:///run/rmtest-nothing-here.sock" });

        var error = await Assert.ThrowsAsync<GuestException>(() => driver.ListAsync(CancellationToken.None));

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
        try
        {
            using var driver = new ContainerDriver(options);

            var availability = await driver.CheckAsync(CancellationToken.None);

            Assert.True(availability.Available, availability.Detail);
            Assert.Equal($"unix://{folder}/podman.sock", (await driver.GetEngineInfoAsync(CancellationToken.None)).Endpoint);
            var service = ContainerEngineLocator.StartedService(options.PodmanSocketPath);
            Assert.NotNull(service);
            Assert.False(service.HasExited);
            Assert.True(File.Exists(options.PodmanServiceLogPath));
            await driver.ListAsync(CancellationToken.None);
        }
        finally
        {
            if (ContainerEngineLocator.StartedService(options.PodmanSocketPath) is { HasExited: false } service)
            {
                service.Kill();
                await service.WaitForExitAsync();
            }

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
    public async Task AddContainerDriver_Configuration_RegistersTheDriverKeyedByKindWithBoundOptions()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ringmaster:Containers:Endpoint"] = "unix:///run/podman/podman.sock",
            ["Ringmaster:Containers:StopTimeout"] = "00:00:03",
        });

        builder.AddContainerDriver();
        using var host = builder.Build();

        var driver = host.Services.GetRequiredKeyedService<IGuestDriver>(MachineKind.Container);
        Assert.Same(host.Services.GetRequiredService<ContainerDriver>(), driver);
        var options = host.Services.GetRequiredService<IOptions<ContainerDriverOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(3), options.StopTimeout);
        Assert.Equal("unix:///run/podman/podman.sock", options.Endpoint);
        Assert.True((await driver.CheckAsync(CancellationToken.None)).Available);
    }

    [Theory]
    [InlineData("busybox", "busybox", "latest")]
    [InlineData("ringmaster/busybox:1.35", "ringmaster/busybox", "1.35")]
    [InlineData("localhost:5000/app", "localhost:5000/app", "latest")]
    [InlineData("localhost:5000/app:v2", "localhost:5000/app", "v2")]
    public void SplitReference_ImageName_SplitsRepositoryAndTag(string image, string repository, string tag)
    {
        Assert.Equal((repository, tag), ContainerDriver.SplitReference(image));
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
        Assert.Equal(expected, ContainerDriver.MapState(engineState, "status").State);
    }
}

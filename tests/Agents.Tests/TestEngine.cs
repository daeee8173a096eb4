using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Containers;
using Ringmaster.Agents.Drivers.Emulator;
using Ringmaster.Agents.Drivers.Qemu;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests;

/// <summary>
/// One engine's capability classes as the agent registers them (its one registration), on a service
/// provider of their own: what a host's agent has for one kind of guest. Disposing it disposes the
/// engine (VMs power off, the engine's connection closes).
/// </summary>
public sealed class TestEngine : IAsyncDisposable, IDisposable
{
    private readonly ServiceProvider _services;
    private readonly GuestDrivers _drivers;

    private TestEngine(IServiceCollection services, GuestEngineKey kind)
    {
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton<GuestDrivers>();
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _drivers = _services.GetRequiredService<GuestDrivers>();
        Kind = kind;
    }

    /// <summary>The RISC-V emulator's VMs in <see cref="EmulatorDriverOptions.VmsPath"/>.</summary>
    public static TestEngine Emulator(EmulatorDriverOptions options) =>
        new(new ServiceCollection().AddSingleton(options).AddEmulatorEngine(), MachineKind.Vm);

    /// <summary>Containers on the engine <paramref name="options"/> find (Podman's socket by default).</summary>
    public static TestEngine Containers(ContainerDriverOptions options) =>
        new(new ServiceCollection().AddSingleton(options).AddContainerEngine(), MachineKind.Container);

    /// <summary>QEMU's x86_64 VMs in <see cref="QemuDriverOptions.VmsPath"/>.</summary>
    public static TestEngine Qemu(QemuDriverOptions options) =>
        new(new ServiceCollection().AddSingleton(options).AddQemuEngine(), GuestEngineKey.Qemu);

    public GuestEngineKey Kind { get; }

    public IGuestDriver Lifecycle => _drivers.For<IGuestDriver>(Kind);

    public IGuestSnapshots Snapshots => _drivers.For<IGuestSnapshots>(Kind);

    public IGuestBackups Backups => _drivers.For<IGuestBackups>(Kind);

    public IMigratableDriver Migration => _drivers.For<IMigratableDriver>(Kind);

    public IGuestSpecUpdater Specs => _drivers.For<IGuestSpecUpdater>(Kind);

    public IGuestImageImporter Images => _drivers.For<IGuestImageImporter>(Kind);

    public IGuestLeftovers Leftovers => _drivers.For<IGuestLeftovers>(Kind);

    /// <summary>A class of the engine's own (its store, its network, its images).</summary>
    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    public void Dispose() => _services.DisposeAsync().AsTask().GetAwaiter().GetResult();
}

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>Settings of the container driver (configuration section <c>Ringmaster:Containers</c>).</summary>
public sealed record ContainerDriverOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Ringmaster:Containers";

    /// <summary>The environment variable that names the engine's endpoint when <see cref="Endpoint"/> is not set.</summary>
    public const string EndpointVariable = "RINGMASTER_CONTAINER_ENDPOINT";

    /// <summary>
    /// The engine's API endpoint (<c>unix:///run/podman/podman.sock</c>, <c>tcp://…</c>). When set (here or in
    /// <see cref="EndpointVariable"/>) only this endpoint is tried; when not, the usual sockets are probed.
    /// </summary>
    public string? Endpoint { get; init; }

    /// <summary>
    /// The agent's host id. Containers carry it as <c>ringmaster.host</c> and the driver lists only its
    /// own, so two agents that share one engine (two hosts' agents on one machine) never claim each
    /// other's guests. Null lists every Ringmaster container.
    /// </summary>
    public string? Owner { get; set; }

    /// <summary>How long a graceful stop waits when the caller passes a negative timeout (<see cref="Timeout.InfiniteTimeSpan"/>).</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether the driver starts <c>podman system service</c> itself when no engine answers.</summary>
    public bool StartPodmanService { get; init; } = true;

    /// <summary>The Podman program the driver starts its service with (a name looked up on PATH, or a path).</summary>
    public string Podman { get; init; } = "podman";

    /// <summary>Where a Podman service started by the driver listens.</summary>
    public string PodmanSocketPath { get; init; } = "/run/podman/podman.sock";

    /// <summary>Where the output of a Podman service started by the driver goes.</summary>
    public string PodmanServiceLogPath { get; init; } = "/var/log/ringmaster-podman-service.log";

    /// <summary>How long to wait for the engine to answer once the driver started it.</summary>
    public TimeSpan EngineStartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a probe of one endpoint may take.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long pulling an image may take before the create fails.</summary>
    public TimeSpan PullTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The static busybox the built-in image is made from (Debian's busybox-static).</summary>
    public string BusyboxPath { get; init; } = "/bin/busybox";
}

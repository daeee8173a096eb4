namespace Ringmaster.Agents.Tests.Containers;

/// <summary>
/// The tests on the real engine run one at a time: some remove the shared built-in image, and the
/// machine has two cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PodmanCollection
{
    public const string Name = "Podman";
}

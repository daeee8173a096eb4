namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>Settings of the emulator (VM) driver (configuration section <c>Ringmaster:Emulator</c>).</summary>
public sealed record EmulatorDriverOptions
{
    public const string SectionName = "Ringmaster:Emulator";

    /// <summary>Where the agent keeps its VMs (definition, disk, saved state); set from the agent's data folder.</summary>
    public string? VmsPath { get; set; }

    /// <summary>
    /// Folders searched, in order, for guest images (<c>NAME/Image.gz</c>, <c>initramfs.cpio.gz</c>,
    /// <c>fw_dynamic.bin</c>): this setting, then <c>RINGMASTER_IMAGES</c>, then the images shipped
    /// beside the agent, then the repository's <c>images/</c> and <c>.state/images/</c>.
    /// </summary>
    public string? ImagesPath { get; init; }

    /// <summary>
    /// The script that builds images from Debian's packages the first time a VM needs one
    /// (default: the repository's <c>scripts/build-images.sh</c> when the agent runs from a checkout).
    /// </summary>
    public string? ImageBuildScript { get; init; }

    /// <summary>Where images built on demand go (default: the repository's <c>.state/images</c>, else <c>built-images</c> beside the VMs' folder); searched too.</summary>
    public string? BuiltImagesPath { get; init; }

    /// <summary>Whether the repository's <c>images/</c> and <c>.state/images/</c> are searched when the agent runs from a checkout.</summary>
    public bool SearchSourceCheckout { get; init; } = true;

    /// <summary>Kernel command line when the image's manifest gives none.</summary>
    public string DefaultBootargs { get; init; } = "console=ttyS0";

    /// <summary>Instructions per slice between checks for pause/stop and console input.</summary>
    public long SliceBudget { get; init; } = 4_000_000;
}

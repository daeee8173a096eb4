using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>
/// The catalog as it can be used now: each template says whether some online host can make a
/// machine from it, why not, and what a launch does first (such as building its image). Placement
/// asks the same question of one host through <see cref="CanRun"/>, so a template offered as
/// available is one a launch can place.
/// </summary>
public sealed class CatalogService(IDbContextFactory<RingmasterDbContext> dbFactory)
{
    public async Task<IReadOnlyList<TemplateView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var templates = await db.Templates.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        var hosts = await db.Hosts.AsNoTracking().Where(h => h.Online).ToListAsync(cancellationToken).ConfigureAwait(false);
        var imported = (await db.Images.AsNoTracking().Select(i => i.Name).ToListAsync(cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        return [.. templates.OrderBy(t => t.Kind).ThenBy(t => t.EngineOf()).ThenBy(t => t.Name, StringComparer.Ordinal).Select(t => Assess(t, hosts, imported))];
    }

    /// <summary>The memory a new template gets when none is asked for.</summary>
    public static int DefaultTemplateMemoryMiB(MachineKind kind) => kind == MachineKind.Vm ? 256 : 64;

    /// <summary>
    /// Adds a template for an image (imported, or one a template already uses): Invalid with the
    /// errors by field, Conflict when the name is taken. ISOs and disks are no template's image.
    /// </summary>
    public async Task<ServiceResult<TemplateView>> CreateAsync(CreateTemplateRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var errors = new Dictionary<string, string[]>();
        if (!ImageService.IsValidName(request.Name))
        {
            errors["name"] = [$"The name must be {ImageService.NameRule}."];
        }

        MachineKind? kind = null;
        if (string.IsNullOrWhiteSpace(request.Image) || request.Image.Length > 256)
        {
            errors["image"] = ["An image is required (see GET /api/v1/images)."];
        }
        else
        {
            var imageKind = await db.Images.Where(i => i.Name == request.Image).Select(i => (ImageKind?)i.Kind).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            kind = imageKind switch
            {
                ImageKind.Vm => MachineKind.Vm,
                ImageKind.Container => MachineKind.Container,
                null => await db.Templates.Where(t => t.Image == request.Image).Select(t => (MachineKind?)t.Kind).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false),
                _ => null,
            };
            if (imageKind == ImageKind.Iso)
            {
                errors["image"] = ["An ISO image is no template's image: install a QEMU VM from it (POST /api/v1/machines with \"iso\")."];
            }
            else if (imageKind == ImageKind.Disk)
            {
                errors["image"] = ["A disk image is no template's image: make a QEMU VM from it (POST /api/v1/machines with \"disk\")."];
            }
            else if (kind is null)
            {
                errors["image"] = ["Unknown image; import it first (POST /api/v1/images)."];
            }
        }

        if (request.Vcpus is { } vcpus && LaunchLimits.Vcpus(vcpus) is { } vcpusError)
        {
            errors["vcpus"] = [vcpusError];
        }

        if (request.MemoryMiB is { } memory && LaunchLimits.Memory(memory, kind ?? MachineKind.Container) is { } memoryError)
        {
            errors["memoryMiB"] = [memoryError];
        }

        if (request.DiskGiB is { } disk && LaunchLimits.Disk(disk) is { } diskError)
        {
            errors["diskGiB"] = [diskError];
        }

        if (InputText.CheckText(request.Description, 1024, "The description") is { } descriptionError)
        {
            errors["description"] = [descriptionError];
        }

        if (request.Command is { } command && (command.Count > 64 || command.Any(c => c is null || c.Length > 1024)))
        {
            errors["command"] = ["At most 64 arguments of at most 1024 characters."];
        }
        else if (request.Command?.FirstOrDefault(InputText.HasHiddenTextCharacters) is not null)
        {
            errors["command"] = ["The command's arguments must not contain control or format characters other than tabs and line breaks."];
        }

        if (errors.Count > 0)
        {
            return ServiceResult<TemplateView>.Invalid(errors);
        }

        if (await db.Templates.AnyAsync(t => t.Name == request.Name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<TemplateView>.Conflict($"A template named '{request.Name}' already exists.");
        }

        var template = new TemplateEntity
        {
            Name = request.Name!,
            Kind = kind!.Value,
            Image = request.Image!,
            Description = request.Description ?? $"From image {request.Image}.",
            Command = request.Command ?? (kind == MachineKind.Container ? ["sh"] : []),
            Vcpus = request.Vcpus ?? 1,
            MemoryMiB = request.MemoryMiB ?? DefaultTemplateMemoryMiB(kind.Value),
            DiskGiB = request.DiskGiB ?? 1,
        };
        db.Templates.Add(template);
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException)
        {
            return ServiceResult<TemplateView>.Conflict($"A template named '{request.Name}' already exists.");
        }

        return ServiceResult<TemplateView>.Ok(template.ToView());
    }

    /// <summary>
    /// Deletes a template; refused while a scaling group makes machines from it, and for the built-in
    /// ones (they come back at every start). Machines made from it keep running: they hold their own copy.
    /// </summary>
    public async Task<ServiceResult<TemplateView>> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var template = name.Length <= 128 ? await db.Templates.FindAsync([name], cancellationToken).ConfigureAwait(false) : null;
        if (template is null)
        {
            return ServiceResult<TemplateView>.NotFound("No such template.");
        }

        if (DatabaseInitializer.BuiltInTemplates.Any(t => t.Name == name))
        {
            return ServiceResult<TemplateView>.Conflict($"'{name}' is a built-in template; it cannot be deleted.");
        }

        var groups = await db.Set<ScalingGroupEntity>().IgnoreQueryFilters().Where(g => g.Template == name).Select(g => g.Name).OrderBy(n => n).Take(5).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (groups.Count > 0)
        {
            return ServiceResult<TemplateView>.Conflict($"Template '{name}' is in use by scaling groups: {string.Join(", ", groups)}; delete or change those first.");
        }

        db.Templates.Remove(template);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<TemplateView>.Ok(template.ToView());
    }

    /// <summary>
    /// Whether <paramref name="host"/> can make a machine of this kind and engine from this image (imported
    /// images are fetched from the server by any emulator host; a QEMU VM needs QEMU and the image on the host).
    /// </summary>
    public static bool CanRun(HostEntity host, MachineKind kind, VmEngine? engine, string image, bool imported) => (kind, MachineEngines.EngineOf(kind, engine)) switch
    {
        (MachineKind.Container, _) => host.Capabilities?.ContainerEngine is not null,
        (_, VmEngine.Qemu) => host.Capabilities?.Qemu is { Problem: null } qemu && (qemu.Images is null || qemu.Images.Contains(image)),
        _ => imported || host.Capabilities?.Images is not { } images || images.Present.Contains(image) || images.Buildable.Contains(image),
    };

    /// <summary>Whether <paramref name="host"/> can make a machine from <paramref name="template"/>.</summary>
    public static bool CanRun(HostEntity host, TemplateEntity template, bool imported) => CanRun(host, template.Kind, template.Engine, template.Image, imported);

    /// <summary>The template as it can be used on these online hosts.</summary>
    public static TemplateView Assess(TemplateEntity template, IReadOnlyCollection<HostEntity> onlineHosts, IReadOnlySet<string> importedImages)
    {
        var view = template.ToView();
        if (onlineHosts.Count == 0)
        {
            return view with { Available = false, UnavailableReason = "No host is online." };
        }

        var imported = importedImages.Contains(template.Image);
        var able = onlineHosts.Where(h => CanRun(h, template, imported)).ToList();
        if (able.Count == 0)
        {
            return view with { Available = false, UnavailableReason = WhyNot(template, onlineHosts) };
        }

        // Only hosts that would build the image first: say so, the first launch takes longer.
        var mustBuild = template.EngineOf() == VmEngine.Emulator && !imported
            && able.All(h => h.Capabilities?.Images is { } images && !images.Present.Contains(template.Image));
        return mustBuild
            ? view with { Note = $"The first launch builds image '{template.Image}' from Debian's packages (about a minute)." }
            : view;
    }

    private static string WhyNot(TemplateEntity template, IReadOnlyCollection<HostEntity> hosts)
    {
        if (template.EngineOf() == VmEngine.Qemu)
        {
            var why = string.Join("; ", hosts.OrderBy(h => h.Name, StringComparer.Ordinal).Select(h => h.Capabilities?.Qemu switch
            {
                null => $"{h.Name}: its agent runs no QEMU engine",
                { Problem: { } problem } => $"{h.Name}: {problem}",
                _ => $"{h.Name}: no x86_64 image '{template.Image}'",
            }));
            return $"No online host can run QEMU VMs from image '{template.Image}' — {why}. Make the image on a host with `sudo bash scripts/build-images.sh {template.Image}`.";
        }

        var perHost = string.Join("; ", hosts.OrderBy(h => h.Name, StringComparer.Ordinal).Select(h => template.Kind == MachineKind.Container
            ? $"{h.Name}: {h.Capabilities?.ContainerEngineProblem ?? "no container engine answers"}"
            : $"{h.Name}: {h.Capabilities?.Images?.BuildProblem ?? "it cannot build it"}"));
        return template.Kind == MachineKind.Container
            ? $"Containers cannot run on any online host — {perHost}."
            : $"Image '{template.Image}' is on no online host and none can build it — {perHost}. Build it with `sudo bash scripts/build-images.sh {template.Image}`.";
    }
}

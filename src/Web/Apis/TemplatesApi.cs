using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

public static class TemplatesApi
{
    public static IEndpointRouteBuilder MapTemplatesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/templates").WithTags("Templates");
        api.MapGet("/", ListTemplates)
            .WithName("ListTemplates").WithSummary("List the catalog, each template with whether it can be launched now");
        // The catalog is shared by every project: admins write it.
        api.MapPost("/", CreateTemplate).RequireAuthorization(nameof(AccessRole.Admin))
            .WithName("CreateTemplate").WithSummary("Add a template for an image");
        api.MapDelete("/{name}", DeleteTemplate).RequireAuthorization(nameof(AccessRole.Admin))
            .WithName("DeleteTemplate").WithSummary("Delete a template no scaling group uses");
        return app;
    }

    /// <summary>Adds a template for an image (imported, or one a template already uses); 201, or 409 when the name is taken.</summary>
    public static async Task<Results<Created<TemplateView>, ValidationProblem, ProblemHttpResult>> CreateTemplate(
        IDbContextFactory<RingmasterDbContext> dbFactory, [Microsoft.AspNetCore.Mvc.FromBody] CreateTemplateRequest request, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
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
            var imageKind = await db.Images.Where(i => i.Name == request.Image).Select(i => (ImageKind?)i.Kind).FirstOrDefaultAsync(cancellationToken);
            kind = imageKind switch
            {
                ImageKind.Vm => MachineKind.Vm,
                ImageKind.Container => MachineKind.Container,
                null => await db.Templates.Where(t => t.Image == request.Image).Select(t => (MachineKind?)t.Kind).FirstOrDefaultAsync(cancellationToken),
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

        var minMemory = kind == MachineKind.Vm ? 64 : 16;
        if (request.Vcpus is { } vcpus && vcpus is < 1 or > 64)
        {
            errors["vcpus"] = ["vCPUs must be between 1 and 64."];
        }

        if (request.MemoryMiB is { } memory && (memory < minMemory || memory > 262_144))
        {
            errors["memoryMiB"] = [$"Memory must be between {minMemory} and 262144 MiB."];
        }

        if (request.DiskGiB is { } disk && disk is < 1 or > 4096)
        {
            errors["diskGiB"] = ["The disk must be between 1 and 4096 GiB."];
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
            return TypedResults.ValidationProblem(errors, title: "The request is not valid.");
        }

        if (await db.Templates.AnyAsync(t => t.Name == request.Name, cancellationToken))
        {
            return ApiResults.Problem(ResultKind.Conflict, $"A template named '{request.Name}' already exists.");
        }

        var template = new Core.Domain.TemplateEntity
        {
            Name = request.Name!,
            Kind = kind!.Value,
            Image = request.Image!,
            Description = request.Description ?? $"From image {request.Image}.",
            Command = request.Command ?? (kind == MachineKind.Container ? ["sh"] : []),
            Vcpus = request.Vcpus ?? 1,
            MemoryMiB = request.MemoryMiB ?? (kind == MachineKind.Vm ? 256 : 64),
            DiskGiB = request.DiskGiB ?? 1,
        };
        db.Templates.Add(template);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return ApiResults.Problem(ResultKind.Conflict, $"A template named '{request.Name}' already exists.");
        }

        return TypedResults.Created($"/api/v1/templates/{template.Name}", template.ToView());
    }

    /// <summary>Deletes a template (not a built-in one, nor one a scaling group uses: 409 naming it).</summary>
    public static async Task<Results<Ok<TemplateView>, ProblemHttpResult>> DeleteTemplate(CatalogService catalog, string name, CancellationToken cancellationToken)
    {
        var result = await catalog.DeleteAsync(name, cancellationToken);
        return result.Kind == ResultKind.Ok ? TypedResults.Ok(result.Value!) : ApiResults.Problem(result.Kind, result.Message);
    }

    /// <summary>The catalog: each template with whether it can be launched now, and why not.</summary>
    public static async Task<Ok<Page<TemplateView>>> ListTemplates(CatalogService catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<TemplateView>([.. (await catalog.ListAsync(cancellationToken)).OrderBy(t => t.Name, StringComparer.Ordinal)], null));
}

using Microsoft.AspNetCore.Http.HttpResults;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;

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
        CatalogService catalog, [Microsoft.AspNetCore.Mvc.FromBody] CreateTemplateRequest request, CancellationToken cancellationToken)
    {
        var result = await catalog.CreateAsync(request, cancellationToken);
        return result.Kind switch
        {
            ResultKind.Ok => TypedResults.Created($"/api/v1/templates/{result.Value!.Name}", result.Value),
            ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid."),
            _ => ApiResults.Problem(result.Kind, result.Message),
        };
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

using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

public static class TemplatesApi
{
    public static IEndpointRouteBuilder MapTemplatesApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/templates").WithTags("Templates").MapGet("/", ListTemplates);
        return app;
    }

    public static async Task<Ok<Page<TemplateView>>> ListTemplates(IDbContextFactory<RingmasterDbContext> dbFactory, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var templates = await db.Templates.AsNoTracking().OrderBy(t => t.Name).ToListAsync(cancellationToken);
        return TypedResults.Ok(new Page<TemplateView>([.. templates.Select(t => t.ToView())], null));
    }
}

using Prometheus;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;

namespace Ringmaster.Web.Observability;

/// <summary>Settings of <c>GET /metrics</c> (section <c>Metrics</c>).</summary>
public sealed record MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>
    /// Serve <c>/metrics</c> without sign-in (Metrics:AllowAnonymous), for a Prometheus that scrapes
    /// over a network only it reaches. Off by default: an admin's API token is needed.
    /// </summary>
    public bool AllowAnonymous { get; init; }
}

public static class PrometheusExtensions
{
    public static IHostApplicationBuilder AddPrometheusMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        builder.Services.AddSingleton<PrometheusExporter>();
        return builder;
    }

    /// <summary><c>GET /metrics</c> in Prometheus' text format: an admin's token, unless <see cref="MetricsOptions.AllowAnonymous"/>.</summary>
    public static IEndpointRouteBuilder MapPrometheusMetrics(this IEndpointRouteBuilder app)
    {
        var exporter = app.ServiceProvider.GetRequiredService<PrometheusExporter>();
        var endpoint = app.MapMetrics("/metrics", exporter.Registry).ExcludeFromDescription();
        if (app.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<MetricsOptions>>().Value.AllowAnonymous)
        {
            endpoint.AllowAnonymous();
        }
        else
        {
            endpoint.RequireAuthorization(nameof(AccessRole.Admin));
        }

        return app;
    }
}

using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using MudBlazor.Services;
using Scalar.AspNetCore;

namespace Ringmaster.Web;

public static class WebExtensions
{
    /// <summary>Serves on <paramref name="address"/> unless --urls, ASPNETCORE_URLS or Kestrel settings say otherwise.</summary>
    public static WebApplicationBuilder UseDefaultAddress(this WebApplicationBuilder builder, string address)
    {
        var configured = builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? builder.Configuration["http_ports"];
        if (string.IsNullOrWhiteSpace(configured) && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(address);
        }

        return builder;
    }

    /// <summary>JSON (camelCase, enums as strings, no NUL in text) and RFC 9457 problem details for every error.</summary>
    public static IHostApplicationBuilder AddRingmasterApi(this IHostApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.TypeInfoResolver = (o.SerializerOptions.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver())
                .WithAddedModifier(NulText.RefuseInObjects);
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(Apis.ApiDescription.Configure);
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Unreadable bodies throw in every environment, so they all get the same explanatory problem document.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return builder;
    }

    /// <summary>The OpenAPI document at /openapi/v1.json, generated from the code, and its reader at /api/docs.</summary>
    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference("/api/docs", o => o.WithTitle("Ringmaster API"));
        return app;
    }

    public static IHostApplicationBuilder AddRingmasterUi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddSingleton<Services.IDashboardData, Services.DashboardData>();
        builder.Services.AddSingleton<Services.IDashboardSearch, Services.DashboardSearch>();
        // What the dashboard changes runs in the name of the circuit's user: one caller per circuit.
        builder.Services.AddScoped<Services.DashboardCaller>();
        builder.Services.AddScoped<Services.IMachineActions, Services.MachineActions>();
        builder.Services.AddScoped<Services.IScalingData, Services.ScalingData>();
        builder.Services.AddScoped<Services.IMachineSavedStates, Services.MachineSavedStates>();
        builder.Services.AddScoped<Services.IMigrationActions, Services.MigrationActions>();
        builder.Services.AddScoped<Services.IAlertActions, Services.AlertActions>();
        builder.Services.AddScoped<Services.AccessAdmin>();
        builder.Services.AddScoped<Services.ImageActions>();
        builder.Services.AddSingleton(sp => new Services.ClientLibraries(sp.GetRequiredService<IWebHostEnvironment>().WebRootFileProvider));
        return builder;
    }

    /// <summary>Errors become problem details (never a stack trace), status-only answers too; a body in a charset the server cannot read is a 415.</summary>
    public static WebApplication UseRingmasterErrors(this WebApplication app)
    {
        app.UseExceptionHandler();
        // A browser asking for a page that is not one gets the dashboard's own page (still a 404);
        // API clients, scripts and the agents' hub get problem details.
        app.UseWhen(WantsPage, page => page.UseStatusCodePagesWithReExecute("/status/{0}", createScopeForStatusCodePages: true));
        app.UseWhen(http => !WantsPage(http), api => api.UseStatusCodePages());
        app.UseKnownRequestCharsets();
        app.UseNoNulText();
        return app;
    }

    private static readonly string[] s_notPages = ["/api", "/hubs", "/openapi", "/metrics", "/health", "/_framework", "/_content", "/_blazor", "/lib", "/js", "/css"];

    private static bool WantsPage(HttpContext http) =>
        HttpMethods.IsGet(http.Request.Method)
        && http.Request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true)
        && !s_notPages.Any(prefix => http.Request.Path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase));
}

using Ringmaster.Core;
using Ringmaster.Core.Services.Scaling;
using Ringmaster.Web;
using Ringmaster.Web.Access;
using Ringmaster.Web.Agents;
using Ringmaster.Web.Apis;
using Ringmaster.Web.Components;
using Ringmaster.Web.Observability;

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultAddress("http://127.0.0.1:5080");
builder.AddRingmasterCore();
builder.AddRingmasterScaling();
builder.AddAgentHub();
builder.AddEmbeddedAgent();
builder.AddRingmasterApi();
builder.AddMigrationApi();
builder.AddRingmasterUi();
builder.AddRingmasterAccess();
builder.AddPrometheusMetrics();

var app = builder.Build();
app.UseRingmasterErrors();
// Routing after the error pages, so a re-executed request (the not-found page) is routed again.
app.UseRouting();
app.UseWebSockets();
app.UseAuthentication();
app.UseRingmasterAccess();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapHealthApi();
app.MapHostsApi();
app.MapMachinesApi();
app.MapMachinePatchApi();
app.MapMetricsApi();
app.MapMigrationApi();
app.MapOperationsApi();
app.MapTemplatesApi();
app.MapSnapshotsApi();
app.MapBackupsApi();
app.MapSchedulesApi();
app.MapAlertsApi();
app.MapAlertRulesApi();
app.MapImagesApi();
app.MapConsoleApi();
app.MapDisplayApi();
app.MapEventsApi();
app.MapAccessApis();
app.MapScalingGroupsApi();
app.MapApiDocs();
app.MapPrometheusMetrics();
app.MapAgentHub();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();

/// <summary>The web host's entry point (public for the API tests' WebApplicationFactory).</summary>
public partial class Program;

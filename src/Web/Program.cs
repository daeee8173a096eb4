using Ringmaster.Core;
using Ringmaster.Web;
using Ringmaster.Web.Agents;
using Ringmaster.Web.Apis;
using Ringmaster.Web.Components;

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultAddress("http://127.0.0.1:5080");
builder.AddRingmasterCore();
builder.AddAgentHub();
builder.AddEmbeddedAgent();
builder.AddRingmasterApi();
builder.AddRingmasterUi();

var app = builder.Build();
app.UseRingmasterErrors();
app.UseWebSockets();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapHealthApi();
app.MapHostsApi();
app.MapMachinesApi();
app.MapMachinePatchApi();
app.MapOperationsApi();
app.MapTemplatesApi();
app.MapImagesApi();
app.MapConsoleApi();
app.MapEventsApi();
app.MapApiDocs();
app.MapAgentHub();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();

/// <summary>The web host's entry point (public for the API tests' WebApplicationFactory).</summary>
public partial class Program;

using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>A bUnit context with a signed-in admin, MudBlazor, the popover and dialog providers, and fake data and actions.</summary>
public abstract class DashboardTestContext : BunitContext, IAsyncLifetime
{
    public static readonly TimeSpan Live = TimeSpan.FromSeconds(5);

    protected FakeDashboardData Data { get; } = new();
    protected FakeMachineActions Actions { get; } = new();
    protected FakeSavedStates States { get; } = new();
    protected FakeMigrationActions Migrations { get; } = new();
    protected FakeAlertActions Alerts { get; } = new();

    /// <summary>The web root's built-in browser libraries: none, unless a test adds one.</summary>
    protected FakeWebRoot WebRoot { get; } = new();

    protected DashboardTestContext()
    {
        // bUnit waits one second by default: on a loaded machine a first render can take longer than
        // that before the check even runs. A wait still ends as soon as what it waits for is there.
        DefaultWaitTimeout = TimeSpan.FromSeconds(30);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IDashboardData>(Data);
        Services.AddSingleton<IDashboardSearch>(new FakeDashboardSearch(Data));
        Services.AddSingleton<IMachineActions>(Actions);
        Services.AddSingleton<IMachineSavedStates>(States);
        Authorization = AddAuthorization();
        Authorization.SetAuthorized("admin");
        Authorization.SetRoles("Admin", "Operator", "Viewer");
        Services.AddSingleton<IMigrationActions>(Migrations);
        Services.AddSingleton<IAlertActions>(Alerts);
        Services.AddSingleton(new ClientLibraries(WebRoot));
    }

    /// <summary>Who the pages see signed in: the admin, unless a test says otherwise.</summary>
    protected BunitAuthorizationContext Authorization { get; }

    /// <summary>The providers MudBlazor's popovers, dialogs and snackbars render into.</summary>
    protected IRenderedComponent<MudPopoverProvider> Popovers { get; private set; } = null!;
    protected IRenderedComponent<MudDialogProvider> Dialogs { get; private set; } = null!;
    protected IRenderedComponent<MudSnackbarProvider> Snackbars { get; private set; } = null!;

    /// <summary>False for tests of the layout, which renders the providers itself.</summary>
    protected virtual bool RendersProviders => true;

    public Task InitializeAsync()
    {
        if (!RendersProviders)
        {
            return Task.CompletedTask;
        }

        Popovers = Render<MudPopoverProvider>();
        Dialogs = Render<MudDialogProvider>();
        Snackbars = Render<MudSnackbarProvider>();
        return Task.CompletedTask;
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}

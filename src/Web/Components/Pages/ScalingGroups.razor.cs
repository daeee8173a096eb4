using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Components.Pages;

public partial class ScalingGroups
{
    private List<ScalingGroupView>? _groups;
    private string? _error;
    private string? _name;
    private string? _template = "busybox";
    private int _min;
    private int _desired = 1;
    private int _max = 3;
    private int _cooldown = 60;
    private List<string>? _problems;

    [Inject] public required NavigationManager Navigation { get; init; }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            _groups = [.. await ScalingData.GroupsAsync(cancellationToken)];
            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = "The scaling groups could not be read: " + ex.Message;
            _groups ??= [];
        }
    }

    internal static Color StatusColor(string status) => status switch
    {
        "stable" => Color.Success,
        "short" => Color.Error,
        "deleting" => Color.Default,
        _ => Color.Info,
    };

    private async Task CreateAsync()
    {
        var result = await ScalingData.CreateAsync(new CreateScalingGroupRequest(_name, _template, _min, _max, _desired, _cooldown), Closed);
        if (result.Kind == ResultKind.Ok)
        {
            _problems = null;
            Navigation.NavigateTo($"/scaling/{result.Value!.Name}");
            return;
        }

        _problems = result.Errors is { } errors ? [.. errors.SelectMany(e => e.Value)] : [result.Message ?? "The group could not be created."];
    }
}

using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

public partial class Operations
{
    private const int PageSize = 50;
    private List<OperationView>? _page;
    private int _total;
    private int _pageIndex;
    private string? _search;
    private OperationStatus? _state;
    private string? _error;

    private bool Filtered => !string.IsNullOrWhiteSpace(_search) || _state is not null;

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var page = await Data.QueryOperationsAsync(new OperationQuery(_pageIndex, PageSize, _search, _state), cancellationToken);
            _page = [.. page.Items];
            _total = page.Total;
            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = "The operations could not be read: " + ex.Message;
        }
    }

    protected override bool Apply(LiveChange change)
    {
        if (change is not OperationChanged { Operation: var op } || _page is null)
        {
            return false;
        }

        var at = _page.FindIndex(o => o.Id == op.Id);
        if (at >= 0 && !Filtered)
        {
            _page[at] = op;
            return true;
        }

        // A new operation, or one whose change may move it in or out of the filtered list.
        if (at >= 0 || _pageIndex == 0)
        {
            RequestReload();
        }

        return false;
    }

    private Task OnSearchChanged(string? value)
    {
        _search = value;
        _pageIndex = 0;
        return LoadAsync(Closed);
    }

    private Task OnStateChanged(OperationStatus? value)
    {
        _state = value;
        _pageIndex = 0;
        return LoadAsync(Closed);
    }

    private Task OnPageChanged(int page)
    {
        _pageIndex = page - 1;
        return LoadAsync(Closed);
    }
}

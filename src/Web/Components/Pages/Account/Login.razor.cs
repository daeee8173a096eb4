using Microsoft.AspNetCore.Components;

namespace Ringmaster.Web.Components.Pages.Account;

/// <summary>The sign-in page: a plain form posted to <c>/account/login</c> with an antiforgery token.</summary>
public partial class Login
{
    [SupplyParameterFromQuery] public string? ReturnUrl { get; set; }
    [SupplyParameterFromQuery] public string? Error { get; set; }

    /// <summary>Only a path on this site: the form never sends the user elsewhere.</summary>
    private string SafeReturnUrl =>
        ReturnUrl is { Length: > 0 } url && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal) ? url : "/";
}

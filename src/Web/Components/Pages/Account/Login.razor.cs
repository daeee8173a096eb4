using Microsoft.AspNetCore.Components;
using Ringmaster.Web.Apis;

namespace Ringmaster.Web.Components.Pages.Account;

/// <summary>The sign-in page: a plain form posted to <c>/account/login</c> with an antiforgery token.</summary>
public partial class Login
{
    [SupplyParameterFromQuery] public string? ReturnUrl { get; set; }
    [SupplyParameterFromQuery] public string? Error { get; set; }

    /// <summary>Why the last sign-in failed: a wrong password, or (only once the password was right) a disabled account.</summary>
    private string ErrorText => Error == AuthApi.DisabledError ? AuthApi.Disabled : "The user name or password is wrong.";

    /// <summary>Only a path on this site: the form never sends the user elsewhere.</summary>
    private string SafeReturnUrl =>
        ReturnUrl is { Length: > 0 } url && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal) ? url : "/";
}

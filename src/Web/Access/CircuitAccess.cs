using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Ringmaster.Web.Access;

/// <summary>
/// Makes the signed-in dashboard user the caller of everything a circuit does (there is no request
/// then), so the store filters the dashboard's machines by the user's projects as it does the API's.
/// </summary>
public sealed class CircuitAccess(AuthenticationStateProvider authentication) : CircuitHandler
{
    private static readonly AsyncLocal<ClaimsPrincipal?> s_current = new();

    /// <summary>The user of the circuit whose work is running, or null outside a circuit.</summary>
    public static ClaimsPrincipal? Current => s_current.Value;

    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
        async context =>
        {
            s_current.Value = (await authentication.GetAuthenticationStateAsync()).User;
            await next(context);
        };
}

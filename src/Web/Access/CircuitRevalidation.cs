using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Access;

/// <summary>
/// The user of an open dashboard tab, read again every <see cref="AccessOptions.CircuitRecheckSeconds"/>:
/// a live connection carries the user it had when it opened, so a user deleted, disabled or signed out
/// elsewhere since is signed out of the tab too (the cookie itself is checked on every request).
/// </summary>
public sealed class CircuitRevalidation(ILoggerFactory loggerFactory, IDbContextFactory<RingmasterDbContext> dbFactory, IOptions<AccessOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(options.Value.CircuitRecheckSeconds);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        if (authenticationState.User.UserIdOf() is null)
        {
            return true;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await AccessExtensions.SessionUserAsync(db, authenticationState.User, cancellationToken) is not null;
    }
}

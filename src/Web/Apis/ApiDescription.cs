using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;

namespace Ringmaster.Web.Apis;

/// <summary>
/// What the OpenAPI document says beyond what each endpoint declares: the API's title, description
/// and licence, a description per tag, and the problem answers every endpoint can give because of the
/// pipeline in front of it (401 signed out, 403 for a role that may not, 429 rate limited, 404 for an
/// object in the path, 400 for a body or query, 409 for a change refused by the object's state, 503
/// when a host must act). Each endpoint names itself (<c>WithName</c>: the operationId) and says what
/// it does (<c>WithSummary</c>); a test lints the document so none comes without them.
/// </summary>
public static class ApiDescription
{
    private static readonly Dictionary<string, string> s_tags = new(StringComparer.Ordinal)
    {
        ["Alert rules"] = "Metric rules: an alert opens when a machine's or host's figure stays past a threshold for a while, and resolves when it is back.",
        ["Agents"] = "Join tokens that let agents join, and the agents that did (admins).",
        ["Audit"] = "Every change made through the API or the dashboard, sign-ins and refusals (admins).",
        ["Auth"] = "Signing in for an API token.",
        ["Backups"] = "Backups of machines: take, list, verify, restore, delete; they outlive their machine.",
        ["Events"] = "Changes as they happen, as server-sent events.",
        ["Health"] = "Liveness and readiness probes (no sign-in).",
        ["Hosts"] = "The hosts agents run on, and what each can do.",
        ["Images"] = "Imported images (container root filesystems, VM images), shared by every project.",
        ["Machines"] = "Virtual machines and containers: create, act, change, delete, console.",
        ["Migration"] = "Moving machines between hosts, and emptying a host.",
        ["Operations"] = "Long actions: progress, log, result; wait for one or cancel it.",
        ["Projects"] = "Projects own machines and what is made from them; quotas and members.",
        ["Scaling groups"] = "Groups of identical machines kept between a minimum and a maximum, with policies and scripts.",
        ["Schedules"] = "Snapshot and backup jobs on cron schedules, with retention.",
        ["Snapshots"] = "Snapshots of a machine (with memory for a running VM), revert, clones.",
        ["Templates"] = "The catalog machines are made from, shared by every project.",
        ["Tokens"] = "API tokens of the caller (and, for admins, of everyone).",
        ["Users"] = "Users and their roles (admins).",
    };

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Ringmaster API";
            document.Info.Description = "Run and manage virtual machines and containers across Linux hosts. Every long action answers 202 with an "
                + "operation and a Location header; every error is an RFC 9457 problem document. Sign in with a bearer token "
                + "(`POST /api/v1/auth/login`, or an API token).";
            document.Info.License = new OpenApiLicense { Name = "Ringmaster licence (see the repository)" };
            // The server's address as the client reached it, without the trailing slash a base URL must not have.
            foreach (var server in document.Servers ?? [])
            {
                server.Url = server.Url?.TrimEnd('/');
            }

            document.Tags = new HashSet<OpenApiTag>(s_tags.Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }));
            return Task.CompletedTask;
        });

        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var method = context.Description.HttpMethod ?? "GET";
            var path = context.Description.RelativePath ?? "";
            var returns = metadata.OfType<MethodInfo>().FirstOrDefault()?.ReturnType.ToString() ?? "";
            var anonymous = metadata.OfType<IAllowAnonymous>().Any() || Access.SignedInHandler.IsPublicPath("/" + path);
            var adminOnly = metadata.OfType<IAuthorizeData>().Any(a => a.Policy == nameof(AccessRole.Admin));
            var write = method != "GET" || Access.WriteRuleMiddleware.IsConsole("/" + path);
            operation.Responses ??= [];
            void Problem(int status, string description)
            {
                if (!operation.Responses.ContainsKey(status.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                {
                    operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
                    {
                        Description = description,
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", context.Document) },
                        },
                    };
                }
            }

            if (!anonymous)
            {
                Problem(StatusCodes.Status401Unauthorized, "Not signed in, or the token is not valid.");
                Problem(StatusCodes.Status429TooManyRequests, "Too many requests with this token (or bad tokens from this address).");
            }

            if (!anonymous && (write || adminOnly))
            {
                Problem(StatusCodes.Status403Forbidden, adminOnly ? "Only an admin may do this." : "The caller's role may only read.");
            }

            if (path.Contains('{', StringComparison.Ordinal))
            {
                Problem(StatusCodes.Status404NotFound, "No such object, or not one of the caller's projects.");
            }

            if (operation.RequestBody is not null || operation.Parameters?.Any(p => p.In == ParameterLocation.Query) == true)
            {
                Problem(StatusCodes.Status400BadRequest, "The request is not valid; the problem says which field and why.");
            }

            if (write && returns.Contains(nameof(ProblemHttpResult), StringComparison.Ordinal))
            {
                Problem(StatusCodes.Status409Conflict, "Refused by the state of what it acts on (busy, in use, a quota, a name taken); the problem says why.");
            }

            if (returns.Contains(nameof(OperationAccepted), StringComparison.Ordinal))
            {
                Problem(StatusCodes.Status503ServiceUnavailable, "No host that could do it is online.");
            }

            return Task.CompletedTask;
        });
    }
}

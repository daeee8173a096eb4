using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Ringmaster.Agents;
using Ringmaster.Core;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Cluster;

namespace Ringmaster.Web.Agents;

public static class AgentHubExtensions
{
    /// <summary>The agent hub, the join token that guards it, and the gateway the core uses to reach agents.</summary>
    public static IHostApplicationBuilder AddAgentHub(this IHostApplicationBuilder builder)
    {
        var dataPath = RingmasterOptions.Resolve(builder.Configuration[$"{RingmasterOptions.Section}:Data"]);
        builder.Services.AddSingleton(JoinToken.Resolve(builder.Configuration, dataPath));
        builder.Services.AddOptions<AgentHubOptions>()
            .BindConfiguration(AgentHubOptions.Section)
            .Validate(o => o.OfflineAfterSeconds is >= 2 and <= 3600, "Agent:OfflineAfterSeconds must be between 2 and 3600.")
            .ValidateOnStart();
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, JoinTokenAuthentication>(JoinTokenAuthentication.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddSignalR(o =>
            {
                o.MaximumReceiveMessageSize = 4 * 1024 * 1024;
                o.EnableDetailedErrors = false;
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddSingleton<AgentConnections>();
        if (builder.Configuration[$"{RingmasterOptions.Section}:Redis"] is { Length: > 0 } redis)
        {
            // Several web nodes: hub calls reach an agent on any node through SignalR's Redis
            // backplane; live changes, consoles and command outcomes through RedisBackplane.
            var connection = new RedisConnection(redis);
            builder.Services.AddSingleton(connection);
            // The agent hub only: a dashboard page is a circuit held by the node that drew it (the
            // proxy keeps its browser there), so the dashboards' own hub needs no backplane, and goes on
            // working while Redis is away.
            builder.Services.Configure<Microsoft.AspNetCore.SignalR.StackExchangeRedis.RedisOptions>(o =>
            {
                o.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal("ringmaster-hub");
                o.ConnectionFactory = async _ => await connection.GetAsync();
            });
            builder.Services.AddSingleton<Microsoft.AspNetCore.SignalR.HubLifetimeManager<AgentHub>, Microsoft.AspNetCore.SignalR.StackExchangeRedis.RedisHubLifetimeManager<AgentHub>>();
            builder.Services.AddSingleton<RedisBackplane>();
            builder.Services.AddSingleton<IAgentRoutes>(sp => sp.GetRequiredService<RedisBackplane>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<RedisBackplane>());
        }
        else
        {
            builder.Services.AddSingleton<IAgentRoutes, SingleNodeRoutes>();
        }

        builder.Services.AddSingleton<AgentCredentials>();
        builder.Services.AddSingleton<IAgentGateway, HubAgentGateway>();
        builder.Services.AddHostedService<HostMonitor>();
        return builder;
    }

    /// <summary>
    /// Runs an agent in this process (Agent:Embedded, on by default) that dials this server's own
    /// hub over loopback: the same code path as a standalone agent on another host.
    /// </summary>
    public static IHostApplicationBuilder AddEmbeddedAgent(this IHostApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue("Agent:Embedded", true))
        {
            return builder;
        }

        var dataPath = RingmasterOptions.Resolve(builder.Configuration[$"{RingmasterOptions.Section}:Data"]);
        builder.Configuration["Agent:Data"] ??= Path.Combine(dataPath, "agent");
        builder.AddRingmasterAgent(stopOnRejectedToken: false);
        builder.Services.AddSingleton<IAgentServerAddress, OwnServerAddress>();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IPostConfigureOptions<AgentOptions>, EmbeddedAgentToken>();
        return builder;
    }

    private sealed class EmbeddedAgentToken(JoinToken token) : Microsoft.Extensions.Options.IPostConfigureOptions<AgentOptions>
    {
        public void PostConfigure(string? name, AgentOptions options) => options.Token = token.Value;
    }

    /// <summary>This server's own address, once Kestrel listens (wildcards become loopback).</summary>
    private sealed class OwnServerAddress(IServer server, IHostApplicationLifetime lifetime) : IAgentServerAddress
    {
        public async ValueTask<Uri> GetAsync(CancellationToken cancellationToken)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            using (cancellationToken.Register(() => started.TrySetCanceled(cancellationToken)))
            {
                await started.Task.ConfigureAwait(false);
            }

            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal))
                ?? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("The web server has no address for the embedded agent to dial.");
            var uri = new UriBuilder(address.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal));
            if (uri.Host is "0.0.0.0" or "[::]" or "::" or "localhost")
            {
                uri.Host = "127.0.0.1";
            }

            return uri.Uri;
        }
    }

    public static void MapAgentHub(this IEndpointRouteBuilder app) => app.MapHub<AgentHub>(AgentHubPaths.Hub);
}

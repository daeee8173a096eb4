using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>What every capability interface of a driver extends: the mark <see cref="GuestEngine.With{T}"/> registers by.</summary>
public interface IGuestCapability;

public static class GuestEngines
{
    /// <summary>
    /// Starts the one registration of an engine: its capability classes, each a singleton and keyed by
    /// <paramref name="engine"/> under every capability interface it implements (see <c>Drivers/README.md</c>).
    /// </summary>
    public static GuestEngine AddGuestEngine(this IServiceCollection services, GuestEngineKey engine) => new(services, engine);

    /// <summary>An engine's options bound from <paramref name="section"/>, and their value as a singleton for its classes.</summary>
    public static OptionsBuilder<TOptions> AddEngineOptions<TOptions>(this IHostApplicationBuilder builder, string section)
        where TOptions : class
    {
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<TOptions>>().Value);
        return builder.Services.AddOptions<TOptions>().BindConfiguration(section);
    }
}

/// <summary>The capability classes of one engine, registered for the guests of one engine.</summary>
public sealed class GuestEngine(IServiceCollection services, GuestEngineKey key)
{
    public GuestEngineKey Key => key;

    /// <summary>The services the engine is registered in.</summary>
    public IServiceCollection Services => services;

    /// <summary>Registers <typeparamref name="T"/> as a singleton and as the engine's capabilities it implements.</summary>
    public GuestEngine With<T>()
        where T : class
    {
        services.TryAddSingleton<T>();
        var capabilities = typeof(T).GetInterfaces()
            .Where(i => i != typeof(IGuestCapability) && typeof(IGuestCapability).IsAssignableFrom(i))
            .ToList();
        if (capabilities.Count == 0)
        {
            throw new InvalidOperationException($"{typeof(T).Name} implements no guest capability.");
        }

        foreach (var capability in capabilities)
        {
            services.AddKeyedSingleton(capability, key, (sp, _) => sp.GetRequiredService<T>());
        }

        return this;
    }

    /// <summary>Registers a class the capability classes share (the engine's store of guests, its helpers) as a singleton.</summary>
    public GuestEngine Sharing<T>()
        where T : class
    {
        services.TryAddSingleton<T>();
        return this;
    }
}

using Ringmaster.Core.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>The open alerts a test sets; acknowledging takes one away, or is refused as the test says.</summary>
public sealed class FakeAlertActions : IAlertActions
{
    public List<AlertView> Open { get; } = [];

    public List<Guid> Acknowledged { get; } = [];

    /// <summary>When set, acknowledging is refused with this message.</summary>
    public string? RefuseWith { get; set; }

    public Task<IReadOnlyList<AlertView>> OpenAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AlertView>>([.. Open]);

    public Task<ServiceResult<AlertView>> AcknowledgeAsync(Guid id, string subject, CancellationToken cancellationToken = default)
    {
        if (RefuseWith is { } message)
        {
            return Task.FromResult(ServiceResult<AlertView>.Conflict(message));
        }

        var alert = Open.Single(a => a.Id == id);
        Open.Remove(alert);
        Acknowledged.Add(id);
        return Task.FromResult(ServiceResult<AlertView>.Ok(alert with { State = "acknowledged", AcknowledgedAt = DateTimeOffset.UtcNow, AcknowledgedBy = "admin" }));
    }

    public static AlertView Alert(string rule, string severity, string subject, string message, Guid? hostId = null, Guid? machineId = null) =>
        new(Guid.NewGuid(), rule, severity, "open", subject, message, null, hostId, machineId, null, DateTimeOffset.UtcNow.AddMinutes(-2), null, null, null);
}

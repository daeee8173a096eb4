using System.Text.Json;
using Ringmaster.Contracts;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// A backup's last verification is kept with the backup: why it failed is read back later (a new
/// request, a reloaded page), not only in the operation that ran it; a later pass clears it.
/// </summary>
public sealed class BackupVerifyTests : IAsyncLifetime
{
    private const string FailedCheck = "disk root, block 12: checksum mismatch";

    private readonly RingmasterFactory _factory = new();
    private ScriptedAgent _agent = null!;
    private ApiClient _api = null!;
    private volatile bool _verifyPasses;

    public async Task InitializeAsync()
    {
        _api = new ApiClient(_factory.StartKestrel());
        _agent = new ScriptedAgent(_api.Http.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "verifying");
        var id = Guid.NewGuid();
        _agent.Guests[id] = ScriptedAgent.Guest(id, "kept-vm", MachineState.Running, MachineKind.Vm);
        _agent.AutoComplete = command => command.Kind switch
        {
            AgentCommandKind.Backup => new CommandResult(command.CommandId, true, null, null, OperationId: command.OperationId,
                Backup: new BackupInfo(command.Backup!.BackupId, command.MachineId, "kept-vm", MachineKind.Vm, null, false, DateTimeOffset.UtcNow, 4096, 1 << 20, 1, "kept-vm.rmbk")),
            AgentCommandKind.VerifyBackup => new CommandResult(command.CommandId, true, null, null, OperationId: command.OperationId,
                Verify: _verifyPasses
                    ? new VerifyReport(true, ["chain: 1 archive", "every block's checksum matches"], null)
                    : new VerifyReport(false, ["chain: 1 archive", FailedCheck], null)),
            _ => null,
        };
        await _agent.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private async Task<JsonElement> EndedAsync(Guid operationId) =>
        await HttpJson.EventuallyAsync(() => _api.GetAsync($"/api/v1/operations/{operationId}"),
            o => o.GetProperty("state").GetString() is "Succeeded" or "Failed" or "Cancelled", TimeSpan.FromSeconds(60), $"operation {operationId} to end");

    [Fact]
    public async Task Verify_Fails_ReasonReadBackWithTheBackup_ClearedWhenALaterOnePasses()
    {
        var backup = await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Post, "/api/v1/machines/kept-vm/backups", new { }), TimeSpan.FromSeconds(60));
        var backupId = backup.GetProperty("result").GetProperty("id").GetGuid();

        var failed = await EndedAsync(await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/backups/{backupId}/verify", new { }));

        Assert.Equal("Failed", failed.GetProperty("state").GetString());
        var afterFailure = await _api.GetAsync($"/api/v1/backups/{backupId}");
        Assert.False(afterFailure.GetProperty("verifyOk").GetBoolean());
        Assert.Equal(FailedCheck, afterFailure.GetProperty("verifyMessage").GetString());
        var listed = Assert.Single((await _api.GetAsync("/api/v1/backups")).EnumerateArray(), b => b.GetProperty("id").GetGuid() == backupId);
        Assert.Equal(FailedCheck, listed.GetProperty("verifyMessage").GetString());

        _verifyPasses = true;
        var passed = await EndedAsync(await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/backups/{backupId}/verify", new { }));

        Assert.Equal("Succeeded", passed.GetProperty("state").GetString());
        var afterPass = await _api.GetAsync($"/api/v1/backups/{backupId}");
        Assert.True(afterPass.GetProperty("verifyOk").GetBoolean());
        Assert.Equal(JsonValueKind.Null, afterPass.GetProperty("verifyMessage").ValueKind);
    }
}

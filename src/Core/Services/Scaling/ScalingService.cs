using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services.Scaling;

/// <summary>Scaling groups, their policies, scripts (with versions) and history: what the API and the UI change and read.</summary>
public sealed class ScalingService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    ScalingMetrics metrics,
    OperationService operations,
    MachineService machines,
    [FromKeyedServices(ScalingMetrics.ClockKey)] TimeProvider clock,
    IAccessScope? scope = null)
{
    /// <summary>The label that marks a machine as a member; its value is the group's id.</summary>
    public const string MemberLabel = "ringmaster.io/scaling-group";
    public const int MaxNameLength = 40;
    public const int MaxMembers = 1000;
    public const int HistoryInView = 50;

    private static readonly string[] s_placements = ["spread", "pack"];

    // --- groups ---

    public async Task<IReadOnlyList<ScalingGroupView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var groups = await db.Set<ScalingGroupEntity>().AsNoTracking().OrderBy(g => g.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        var members = await MembersAsync(db, cancellationToken).ConfigureAwait(false);
        return [.. groups.Select(g => ToView(g, members.GetValueOrDefault(g.Id) ?? [], []))];
    }

    public async Task<ScalingGroupEntity?> FindAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await FindAsync(db, idOrName, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<ScalingGroupEntity?> FindAsync(RingmasterDbContext db, string idOrName, CancellationToken cancellationToken) =>
        Guid.TryParse(idOrName, out var id)
            ? await db.Set<ScalingGroupEntity>().FirstOrDefaultAsync(g => g.Id == id, cancellationToken).ConfigureAwait(false)
            : idOrName.Length <= MaxNameLength
                ? await db.Set<ScalingGroupEntity>().FirstOrDefaultAsync(g => g.Name == idOrName, cancellationToken).ConfigureAwait(false)
                : null;

    public async Task<ScalingGroupView?> GetAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var group = await FindAsync(db, idOrName, cancellationToken).ConfigureAwait(false);
        if (group is null)
        {
            return null;
        }

        var members = await MembersAsync(db, cancellationToken).ConfigureAwait(false);
        var history = await db.Set<ScalingDecisionEntity>().AsNoTracking().Where(d => d.GroupId == group.Id)
            .OrderByDescending(d => d.Id).Take(HistoryInView).ToListAsync(cancellationToken).ConfigureAwait(false);
        return ToView(group, members.GetValueOrDefault(group.Id) ?? [], history);
    }

    public async Task<IReadOnlyList<ScalingDecisionView>> HistoryAsync(Guid groupId, int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rows = await db.Set<ScalingDecisionEntity>().AsNoTracking().Where(d => d.GroupId == groupId)
            .OrderByDescending(d => d.Id).Take(limit).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(ToView)];
    }

    public async Task<ServiceResult<ScalingGroupView>> CreateAsync(CreateScalingGroupRequest request, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var errors = new Errors();
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            errors.Add("name", "A name is required.");
        }
        else if (!MachineNames.IsValid(request.Name) || request.Name.Length > MaxNameLength)
        {
            errors.Add("name", $"The name must be 1–{MaxNameLength} characters of lowercase letters, digits and '-', starting and ending with a letter or digit (members are named after it).");
        }

        TemplateEntity? template = null;
        if (string.IsNullOrWhiteSpace(request.Template))
        {
            errors.Add("template", "A template is required.");
        }
        else if (request.Template.Length > 128 || (template = await db.Templates.FindAsync([request.Template], cancellationToken).ConfigureAwait(false)) is null)
        {
            var known = await db.Templates.Select(t => t.Name).OrderBy(n => n).ToListAsync(cancellationToken).ConfigureAwait(false);
            errors.Add("template", $"Unknown template. Known templates: {string.Join(", ", known)}.");
        }

        var min = request.Min ?? 0;
        var max = request.Max ?? Math.Max(min, request.Desired ?? 1);
        var desired = request.Desired ?? min;
        ValidateCounts(min, max, desired, errors);
        ValidateSettings(request.CooldownSeconds, request.Placement, request.MaxParallel, errors);
        if (request.Labels is { } labels)
        {
            if (labels.Count > 32)
            {
                errors.Add("labels", "At most 32 labels.");
            }

            if (labels.Any(l => !LabelKeys.IsValid(l.Key) || l.Key == MemberLabel || !LabelKeys.IsValidValue(l.Value)))
            {
                errors.Add("labels", $"Label keys must be 1–63 characters of letters, digits, '-', '_', '.' and '/' (not '{MemberLabel}'); values at most 256 characters, without control or format characters.");
            }
        }

        var project = await ProjectNames.ResolveAsync(db, scope ?? UnrestrictedScope.Instance, request.Project, cancellationToken).ConfigureAwait(false);
        if (project is null)
        {
            errors.Add("project", ProjectNames.Refusal);
        }

        if (errors.Any || project is null)
        {
            return ServiceResult<ScalingGroupView>.Invalid(errors.ToDictionary());
        }

        if (await db.Set<ScalingGroupEntity>().IgnoreQueryFilters().AnyAsync(g => g.Name == request.Name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<ScalingGroupView>.Conflict($"A scaling group named '{request.Name}' already exists.");
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var group = new ScalingGroupEntity
        {
            Id = Guid.NewGuid(),
            Name = request.Name!,
            Project = project,
            Template = template!.Name,
            Kind = template.Kind,
            Min = min,
            Max = max,
            Desired = desired,
            CooldownSeconds = request.CooldownSeconds ?? 60,
            Placement = (request.Placement ?? "spread").ToLowerInvariant(),
            MaxParallel = request.MaxParallel ?? 10,
            Labels = request.Labels ?? [],
            Status = desired == 0 ? "stable" : "scaling",
            StatusDetail = desired == 0 ? null : $"Creating {desired} member(s).",
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Set<ScalingGroupEntity>().Add(group);
        AddDecision(db, group.Id, now, "user", user, null, new { }, 0, desired, $"Group created by {user} with min {min}, max {max}, desired {desired}.");
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException)
        {
            return ServiceResult<ScalingGroupView>.Conflict($"A scaling group named '{request.Name}' already exists.");
        }

        return ServiceResult<ScalingGroupView>.Ok((await GetAsync(group.Id.ToString(), cancellationToken).ConfigureAwait(false))!);
    }

    public async Task<ServiceResult<ScalingGroupView>> UpdateAsync(Guid groupId, UpdateScalingGroupRequest request, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var group = await db.Set<ScalingGroupEntity>().FindAsync([groupId], cancellationToken).ConfigureAwait(false);
        if (group is null || group.Deleting)
        {
            return ServiceResult<ScalingGroupView>.NotFound("No such scaling group.");
        }

        var errors = new Errors();
        var min = request.Min ?? group.Min;
        var max = request.Max ?? group.Max;
        var desired = request.Desired ?? group.Desired;
        if (request.Desired is null)
        {
            // Changing only the bounds carries the desired count along inside them.
            desired = Math.Clamp(desired, min, Math.Max(min, max));
        }

        ValidateCounts(min, max, desired, errors);
        ValidateSettings(request.CooldownSeconds, request.Placement, request.MaxParallel, errors);
        if (errors.Any)
        {
            return ServiceResult<ScalingGroupView>.Invalid(errors.ToDictionary());
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var old = group.Desired;
        var changes = new List<string>();
        void Note(string what, object before, object after)
        {
            if (!Equals(before, after))
            {
                changes.Add($"{what} {before} → {after}");
            }
        }

        Note("min", group.Min, min);
        Note("max", group.Max, max);
        Note("desired", group.Desired, desired);
        Note("cooldown", group.CooldownSeconds, request.CooldownSeconds ?? group.CooldownSeconds);
        Note("placement", group.Placement, request.Placement?.ToLowerInvariant() ?? group.Placement);
        Note("parallel", group.MaxParallel, request.MaxParallel ?? group.MaxParallel);
        group.Min = min;
        group.Max = max;
        group.Desired = desired;
        group.CooldownSeconds = request.CooldownSeconds ?? group.CooldownSeconds;
        group.Placement = request.Placement?.ToLowerInvariant() ?? group.Placement;
        group.MaxParallel = request.MaxParallel ?? group.MaxParallel;
        group.UpdatedAt = now;
        if (old != desired)
        {
            group.LastScaledAt = now;
        }

        if (changes.Count > 0)
        {
            AddDecision(db, group.Id, now, "user", user, null, new { min, max, desired }, old, desired, $"Changed by {user}: {string.Join(", ", changes)}.");
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<ScalingGroupView>.Ok((await GetAsync(group.Id.ToString(), cancellationToken).ConfigureAwait(false))!);
    }

    /// <summary>Deletes the group as an operation: its members first (each through the machine service), then the group.</summary>
    public async Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid groupId, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var group = await db.Set<ScalingGroupEntity>().FindAsync([groupId], cancellationToken).ConfigureAwait(false);
        if (group is null)
        {
            return ServiceResult<OperationAccepted>.NotFound("No such scaling group.");
        }

        if (group.Deleting)
        {
            return ServiceResult<OperationAccepted>.Conflict($"Scaling group {group.Name} is already being deleted.");
        }

        group.Deleting = true;
        group.Status = "deleting";
        group.StatusDetail = "Removing its members.";
        var operation = OperationService.New(OperationKind.ScalingGroupDelete, null, group.Name, user, group.Project);
        db.Operations.Add(operation);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        var name = group.Name;
        operations.Run(operation, async context =>
        {
            context.OnUndo("keep the group", () => UndeleteAsync(groupId));
            var removed = 0;
            var stuckRounds = 0;
            for (var round = 0; ; round++)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                IReadOnlyList<MachineEntity> left;
                await using (var read = await dbFactory.CreateDbContextAsync(context.CancellationToken).ConfigureAwait(false))
                {
                    left = (await MembersAsync(read, context.CancellationToken).ConfigureAwait(false)).GetValueOrDefault(groupId) ?? [];
                }

                if (left.Count == 0)
                {
                    break;
                }

                if (round > 600)
                {
                    throw new InvalidOperationException($"{left.Count} member(s) could not be deleted: {string.Join(", ", left.Select(m => $"{m.Name} ({m.State})"))}.");
                }

                await context.ReportAsync(Math.Min(90, 10 + removed * 80 / Math.Max(1, removed + left.Count)), $"Deleting {left.Count} member(s) of {name}").ConfigureAwait(false);
                var started = new List<Guid>();
                var refusals = new List<string>();
                foreach (var member in left.Where(m => m.State is not (MachineState.Creating or MachineState.Deleting)))
                {
                    var result = await machines.DeleteAsync(member.Id, user, context.CancellationToken).ConfigureAwait(false);
                    if (result.Kind == ResultKind.Ok)
                    {
                        started.Add(result.Value!.Operation.Id);
                    }
                    else
                    {
                        refusals.Add(result.Message ?? member.Name);
                    }
                }

                // Members that cannot be deleted (their host is offline) and nothing else under way: say so rather than wait forever.
                stuckRounds = started.Count == 0 && refusals.Count == left.Count ? stuckRounds + 1 : 0;
                if (stuckRounds >= 20)
                {
                    throw new InvalidOperationException($"{refusals.Count} member(s) cannot be deleted: {string.Join(" ", refusals)} Delete the group again when their host is back, or delete those machines.");
                }

                foreach (var id in started)
                {
                    while (operations.IsActive(id))
                    {
                        await Task.Delay(100, context.CancellationToken).ConfigureAwait(false);
                    }
                }

                removed += started.Count;
                if (started.Count == 0)
                {
                    await Task.Delay(500, context.CancellationToken).ConfigureAwait(false);
                }
            }

            await using var write = await dbFactory.CreateDbContextAsync(context.CancellationToken).ConfigureAwait(false);
            await write.Set<ScalingGroupEntity>().Where(g => g.Id == groupId).ExecuteDeleteAsync(context.CancellationToken).ConfigureAwait(false);
            metrics.ForgetGroup(groupId);
            return new { deleted = groupId, name, members = removed };
        });
        return ServiceResult<OperationAccepted>.Ok(new OperationAccepted(operation.ToView(), null));
    }

    private async Task UndeleteAsync(Guid groupId)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        await db.Set<ScalingGroupEntity>().Where(g => g.Id == groupId)
            .ExecuteUpdateAsync(u => u.SetProperty(g => g.Deleting, false).SetProperty(g => g.Status, "scaling").SetProperty(g => g.StatusDetail, "The delete did not finish; keeping the group."))
            .ConfigureAwait(false);
    }

    public async Task<ServiceResult<bool>> ReportMetricAsync(Guid groupId, ReportMetricRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new Errors();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 64 || !LabelKeys.IsValid(request.Name))
        {
            errors.Add("name", "A metric name is 1–63 characters of letters, digits, '-', '_', '.' and '/'.");
        }
        else if (ScalingMetrics.BuiltIn.Contains(request.Name))
        {
            errors.Add("name", $"'{request.Name}' is measured by Ringmaster itself; report a custom metric under another name.");
        }

        if (request.Value is not { } value || double.IsNaN(value) || double.IsInfinity(value))
        {
            errors.Add("value", "A value is required (a finite number).");
        }

        Guid? member = null;
        if (request.Member is { } m)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var members = (await MembersAsync(db, cancellationToken).ConfigureAwait(false)).GetValueOrDefault(groupId) ?? [];
            member = members.FirstOrDefault(x => x.Id.ToString() == m || x.Name == m)?.Id;
            if (member is null)
            {
                errors.Add("member", "Not a member of this group (give a member's id or name).");
            }
        }

        if (errors.Any)
        {
            return ServiceResult<bool>.Invalid(errors.ToDictionary());
        }

        metrics.Report(groupId, request.Name!, request.Value!.Value, member);
        return ServiceResult<bool>.Ok(true);
    }

    // --- policies ---

    public async Task<IReadOnlyList<ScalingPolicyView>> PoliciesAsync(Guid groupId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rows = await db.Set<ScalingPolicyEntity>().AsNoTracking().Where(p => p.GroupId == groupId).OrderBy(p => p.CreatedAt).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(ToView)];
    }

    public async Task<ServiceResult<ScalingPolicyView>> AddPolicyAsync(Guid groupId, CreateScalingPolicyRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new Errors();
        var kind = request.Kind?.ToLowerInvariant();
        if (InputText.CheckName(request.Name, 128) is { } nameError)
        {
            errors.Add("name", nameError);
        }

        var policy = new ScalingPolicyEntity { Id = Guid.NewGuid(), GroupId = groupId, Name = request.Name?.Trim() ?? "", Kind = kind ?? "", Enabled = request.Enabled ?? true, CreatedAt = clock.GetUtcNow().UtcDateTime };
        if (kind == "metric")
        {
            if (string.IsNullOrWhiteSpace(request.Metric) || request.Metric.Length > 64 || !LabelKeys.IsValid(request.Metric))
            {
                errors.Add("metric", "A metric is required: 'cpu' (average % of one core per member), 'memory' (average % of the members' memory) or a custom metric's name.");
            }

            if (request.Operator?.ToLowerInvariant() is not ("above" or "below"))
            {
                errors.Add("operator", "The operator is 'above' or 'below'.");
            }

            if (request.Threshold is not { } threshold || double.IsNaN(threshold) || double.IsInfinity(threshold))
            {
                errors.Add("threshold", "A threshold (a number) is required.");
            }

            if (request.DurationSeconds is not { } duration || duration is < 0 or > 86_400)
            {
                errors.Add("durationSeconds", "durationSeconds (how long the condition holds before it acts) must be between 0 and 86400.");
            }

            if (request.Adjustment is not { } adjustment || adjustment == 0 || Math.Abs(adjustment) > MaxMembers)
            {
                errors.Add("adjustment", "adjustment is the number of members to add (positive) or remove (negative), not 0.");
            }

            policy.Metric = request.Metric?.ToLowerInvariant();
            policy.Operator = request.Operator?.ToLowerInvariant();
            policy.Threshold = request.Threshold ?? 0;
            policy.DurationSeconds = request.DurationSeconds ?? 0;
            policy.Adjustment = request.Adjustment ?? 0;
        }
        else if (kind == "schedule")
        {
            if (!CronSchedule.TryParse(request.Cron, out _, out var cronError))
            {
                errors.Add("cron", cronError!);
            }

            if (request.Target?.ToLowerInvariant() is not ("desired" or "min"))
            {
                errors.Add("target", "The target is 'desired' or 'min'.");
            }

            if (request.Value is not { } value || value is < 0 or > MaxMembers)
            {
                errors.Add("value", $"value must be between 0 and {MaxMembers}.");
            }

            policy.Cron = request.Cron?.Trim();
            policy.Target = request.Target?.ToLowerInvariant();
            policy.Value = request.Value ?? 0;
        }
        else
        {
            errors.Add("kind", "The kind is 'metric' (a threshold on cpu, memory or a custom metric) or 'schedule' (cron). Scripts live under …/scripts.");
        }

        if (errors.Any)
        {
            return ServiceResult<ScalingPolicyView>.Invalid(errors.ToDictionary());
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        db.Set<ScalingPolicyEntity>().Add(policy);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<ScalingPolicyView>.Ok(ToView(policy));
    }

    public async Task<bool> DeletePolicyAsync(Guid groupId, Guid policyId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Set<ScalingPolicyEntity>().Where(p => p.GroupId == groupId && p.Id == policyId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    // --- scripts ---

    public async Task<IReadOnlyList<ScalingScriptView>> ScriptsAsync(Guid groupId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var scripts = await db.Set<ScalingScriptEntity>().AsNoTracking().Where(s => s.GroupId == groupId).OrderBy(s => s.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<ScalingScriptView>();
        foreach (var s in scripts)
        {
            var source = await SourceAsync(db, s.Id, s.Version, cancellationToken).ConfigureAwait(false);
            result.Add(ToView(s, source ?? ""));
        }

        return result;
    }

    public async Task<ScalingScriptView?> ScriptAsync(Guid groupId, string idOrName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var script = await FindScriptAsync(db, groupId, idOrName, cancellationToken).ConfigureAwait(false);
        return script is null ? null : ToView(script, await SourceAsync(db, script.Id, script.Version, cancellationToken).ConfigureAwait(false) ?? "");
    }

    private static async Task<ScalingScriptEntity?> FindScriptAsync(RingmasterDbContext db, Guid groupId, string idOrName, CancellationToken cancellationToken) =>
        Guid.TryParse(idOrName, out var id)
            ? await db.Set<ScalingScriptEntity>().FirstOrDefaultAsync(s => s.GroupId == groupId && s.Id == id, cancellationToken).ConfigureAwait(false)
            : await db.Set<ScalingScriptEntity>().FirstOrDefaultAsync(s => s.GroupId == groupId && s.Name == idOrName, cancellationToken).ConfigureAwait(false);

    private static Task<string?> SourceAsync(RingmasterDbContext db, Guid scriptId, int version, CancellationToken cancellationToken) =>
        db.Set<ScalingScriptVersionEntity>().Where(v => v.ScriptId == scriptId && v.Version == version).Select(v => v.Source).FirstOrDefaultAsync(cancellationToken);

    /// <summary>Creates a script (its version 1) or, with <paramref name="scriptId"/>, saves a new version of one.</summary>
    public async Task<ServiceResult<ScalingScriptView>> SaveScriptAsync(Guid groupId, string? scriptId, SaveScalingScriptRequest request, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        ScalingScriptEntity? script = null;
        if (scriptId is not null)
        {
            script = await FindScriptAsync(db, groupId, scriptId, cancellationToken).ConfigureAwait(false);
            if (script is null)
            {
                return ServiceResult<ScalingScriptView>.NotFound("No such script in this group.");
            }
        }

        var errors = new Errors();
        if (script is null && InputText.CheckName(request.Name, 128) is { } nameError)
        {
            errors.Add("name", nameError);
        }

        if (request.Source is null)
        {
            if (script is null)
            {
                errors.Add("source", "The script's source is required.");
            }
        }
        else if (ScriptSandbox.Validate(request.Source) is { } syntax)
        {
            errors.Add("source", syntax);
        }

        if (request.IntervalSeconds is { } interval && interval is < 1 or > 86_400)
        {
            errors.Add("intervalSeconds", "intervalSeconds (how often it runs) must be between 1 and 86400.");
        }

        if (InputText.CheckText(request.Note, 256, "A note") is { } noteError)
        {
            errors.Add("note", noteError);
        }

        if (errors.Any)
        {
            return ServiceResult<ScalingScriptView>.Invalid(errors.ToDictionary());
        }

        var now = clock.GetUtcNow().UtcDateTime;
        if (script is null)
        {
            if (await db.Set<ScalingScriptEntity>().AnyAsync(s => s.GroupId == groupId && s.Name == request.Name, cancellationToken).ConfigureAwait(false))
            {
                return ServiceResult<ScalingScriptView>.Conflict($"This group already has a script named '{request.Name}'.");
            }

            script = new ScalingScriptEntity { Id = Guid.NewGuid(), GroupId = groupId, Name = request.Name!.Trim(), CreatedAt = now };
            db.Set<ScalingScriptEntity>().Add(script);
        }

        if (request.Source is not null)
        {
            script.LatestVersion++;
            script.Version = script.LatestVersion;
            script.LastError = null;
            db.Set<ScalingScriptVersionEntity>().Add(new ScalingScriptVersionEntity { ScriptId = script.Id, Version = script.Version, Source = request.Source, User = user, Note = request.Note, CreatedAt = now });
        }

        script.IntervalSeconds = request.IntervalSeconds ?? script.IntervalSeconds;
        script.Enabled = request.Enabled ?? script.Enabled;
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<ScalingScriptView>.Ok(ToView(script, request.Source ?? await SourceAsync(db, script.Id, script.Version, cancellationToken).ConfigureAwait(false) ?? ""));
    }

    public async Task<IReadOnlyList<ScalingScriptVersionView>?> VersionsAsync(Guid groupId, string scriptId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var script = await FindScriptAsync(db, groupId, scriptId, cancellationToken).ConfigureAwait(false);
        if (script is null)
        {
            return null;
        }

        var rows = await db.Set<ScalingScriptVersionEntity>().AsNoTracking().Where(v => v.ScriptId == script.Id).OrderByDescending(v => v.Version).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(v => new ScalingScriptVersionView(v.Version, v.Source, v.User, v.Note, Views.Utc(v.CreatedAt)))];
    }

    /// <summary>Rolls back to an older version by saving its source as a new version (history is never rewritten).</summary>
    public async Task<ServiceResult<ScalingScriptView>> RollbackAsync(Guid groupId, string scriptId, int? version, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var script = await FindScriptAsync(db, groupId, scriptId, cancellationToken).ConfigureAwait(false);
        if (script is null)
        {
            return ServiceResult<ScalingScriptView>.NotFound("No such script in this group.");
        }

        if (version is not { } v || await SourceAsync(db, script.Id, v, cancellationToken).ConfigureAwait(false) is not { } source)
        {
            return ServiceResult<ScalingScriptView>.Invalid("version", $"Give a version between 1 and {script.LatestVersion}.");
        }

        return await SaveScriptAsync(groupId, script.Id.ToString(), new SaveScalingScriptRequest(null, source, Note: $"rollback to version {v}"), user, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> DeleteScriptAsync(Guid groupId, string scriptId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var script = await FindScriptAsync(db, groupId, scriptId, cancellationToken).ConfigureAwait(false);
        if (script is null)
        {
            return false;
        }

        db.Remove(script);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The source a dry run evaluates: what was sent, a stored version, or the script's current one.</summary>
    public async Task<ServiceResult<string>> DryRunSourceAsync(Guid groupId, string? scriptId, DryRunRequest request, CancellationToken cancellationToken = default)
    {
        if (request.Source is { } source)
        {
            return ServiceResult<string>.Ok(source);
        }

        if (scriptId is null)
        {
            return ServiceResult<string>.Invalid("source", "Send the source to try.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var script = await FindScriptAsync(db, groupId, scriptId, cancellationToken).ConfigureAwait(false);
        if (script is null)
        {
            return ServiceResult<string>.NotFound("No such script in this group.");
        }

        var stored = await SourceAsync(db, script.Id, request.Version ?? script.Version, cancellationToken).ConfigureAwait(false);
        return stored is null
            ? ServiceResult<string>.Invalid("version", $"Give a version between 1 and {script.LatestVersion}.")
            : ServiceResult<string>.Ok(stored);
    }

    // --- shared ---

    /// <summary>Every group's members, by group id (machines carrying the member label).</summary>
    internal static async Task<Dictionary<Guid, List<MachineEntity>>> MembersAsync(RingmasterDbContext db, CancellationToken cancellationToken)
    {
        var all = await db.Machines.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<Guid, List<MachineEntity>>();
        foreach (var machine in all)
        {
            if (machine.Labels.TryGetValue(MemberLabel, out var value) && Guid.TryParse(value, out var groupId))
            {
                (result.TryGetValue(groupId, out var list) ? list : result[groupId] = []).Add(machine);
            }
        }

        return result;
    }

    internal static void AddDecision(RingmasterDbContext db, Guid groupId, DateTime at, string source, string? sourceName, int? version, object inputs, int oldDesired, int newDesired, string reason) =>
        db.Set<ScalingDecisionEntity>().Add(new ScalingDecisionEntity
        {
            GroupId = groupId,
            At = at,
            Source = source,
            SourceName = sourceName is { Length: > 128 } ? sourceName[..128] : sourceName,
            ScriptVersion = version,
            Inputs = inputs is JsonElement json ? json.GetRawText() : JsonSerializer.Serialize(inputs, JsonSerializerOptions.Web),
            OldDesired = oldDesired,
            NewDesired = newDesired,
            Reason = reason.Length > 4000 ? reason[..4000] : reason,
        });

    private static void ValidateCounts(int min, int max, int desired, Errors errors)
    {
        if (min < 0 || min > MaxMembers)
        {
            errors.Add("min", $"min must be between 0 and {MaxMembers}.");
        }

        if (max < 1 || max > MaxMembers)
        {
            errors.Add("max", $"max must be between 1 and {MaxMembers}.");
        }
        else if (max < min)
        {
            errors.Add("max", $"max ({max}) must not be below min ({min}).");
        }

        if (desired < min || desired > max)
        {
            errors.Add("desired", $"desired ({desired}) must be between min ({min}) and max ({max}).");
        }
    }

    private static void ValidateSettings(int? cooldown, string? placement, int? maxParallel, Errors errors)
    {
        if (cooldown is { } c && c is < 0 or > 86_400)
        {
            errors.Add("cooldownSeconds", "cooldownSeconds must be between 0 and 86400.");
        }

        if (placement is not null && !s_placements.Contains(placement.ToLowerInvariant()))
        {
            errors.Add("placement", "placement is 'spread' (members across hosts) or 'pack' (fill one host first).");
        }

        if (maxParallel is { } p && p is < 1 or > 100)
        {
            errors.Add("maxParallel", "maxParallel (members provisioned at once) must be between 1 and 100.");
        }
    }

    public static ScalingGroupView ToView(ScalingGroupEntity g, IReadOnlyList<MachineEntity> members, IReadOnlyList<ScalingDecisionEntity> history) => new(
        g.Id, g.Name, g.Template, g.Kind, g.Min, g.Max, g.Desired, g.CooldownSeconds, g.Placement, g.MaxParallel, g.Labels,
        [.. members.OrderBy(m => m.CreatedAt).Select(m => m.Id)],
        members.Count(m => m.State == MachineState.Running),
        g.Status, g.StatusDetail, g.LastError, Views.Utc(g.LastScaledAt), Views.Utc(g.CreatedAt),
        [.. history.Select(ToView)], g.Project);

    public static ScalingDecisionView ToView(ScalingDecisionEntity d) => new(
        d.Id, Views.Utc(d.At), d.Source, d.SourceName, d.ScriptVersion, JsonDocument.Parse(d.Inputs).RootElement.Clone(), d.OldDesired, d.NewDesired, d.Reason);

    public static ScalingPolicyView ToView(ScalingPolicyEntity p) => new(
        p.Id, p.Name, p.Kind, p.Enabled, p.Metric, p.Operator, p.Threshold, p.DurationSeconds, p.Adjustment, p.Cron, p.Target, p.Value,
        Views.Utc(p.LastFiredAt), Describe(p));

    public static string Describe(ScalingPolicyEntity p) => p.Kind == "metric"
        ? $"{p.Metric} {p.Operator} {p.Threshold:0.##} for {p.DurationSeconds} s → {(p.Adjustment > 0 ? "add" : "remove")} {Math.Abs(p.Adjustment)}"
        : $"at '{p.Cron}' (UTC) → set {p.Target} to {p.Value}";

    public static ScalingScriptView ToView(ScalingScriptEntity s, string source) => new(
        s.Id, s.GroupId, s.Name, s.Version, s.LatestVersion, s.Enabled, s.IntervalSeconds, source, Views.Utc(s.LastRunAt), s.LastError, Views.Utc(s.CreatedAt));

    private sealed class Errors
    {
        private readonly Dictionary<string, List<string>> _errors = [];

        public bool Any => _errors.Count > 0;

        public void Add(string field, string message) => (_errors.TryGetValue(field, out var list) ? list : _errors[field] = []).Add(message);

        public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Acornima;
using Jint;
using Jint.Native;
using Jint.Runtime;
using Jint.Runtime.Interop;
using Ringmaster.Contracts;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services.Scaling;

/// <summary>What a scaling script sees of its group.</summary>
public sealed record ScriptGroup(Guid Id, string Name, int Min, int Max, int Desired, int Running, IReadOnlyList<ScriptMember> Members);

public sealed record ScriptMember(Guid Id, string Name, string State, string? Host);

/// <summary>Where a script reads metrics from: the group's average, or one member's, over a window.</summary>
public interface IScriptMetrics
{
    double? Group(string metric, TimeSpan window);

    double? Member(Guid member, string metric, TimeSpan window);
}

/// <summary>What a script asked for and what it said.</summary>
public sealed record ScriptOutcome(int? Requested, IReadOnlyList<string> Logs, IReadOnlyDictionary<string, double?> Inputs, string? Error, TimeSpan Elapsed)
{
    public JsonElement InputsJson => JsonSerializer.SerializeToElement(Inputs, JsonSerializerOptions.Web);
}

/// <summary>
/// Runs scaling scripts in Jint with no way out: no .NET types (CLR access is never allowed), no
/// files, network, modules or eval; a time limit, a memory limit, a statement limit and a recursion
/// limit. Globals: <c>group</c> (frozen), <c>now</c>, <c>metric(name, seconds)</c>,
/// <c>memberMetric(id, name, seconds)</c>, <c>scaleTo(n)</c>, <c>scaleBy(k)</c>, <c>log(...)</c>.
/// </summary>
public static class ScriptSandbox
{
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(1);
    public const long MemoryLimitBytes = 32L * 1024 * 1024;
    public const int MaxStatements = 100_000_000;
    public const int MaxRecursion = 64;
    public const int MaxSourceChars = 64 * 1024;
    public const int MaxLogLines = 100;
    public const int MaxWindowSeconds = 3600;

    /// <summary>Checks the syntax; null when it parses, else the problem with its line and column.</summary>
    public static string? Validate(string source)
    {
        if (source.Length > MaxSourceChars)
        {
            return $"A script is at most {MaxSourceChars / 1024} KiB.";
        }

        try
        {
            new Parser().ParseScript(source, "script", strict: true);
            return null;
        }
        catch (ParseErrorException ex)
        {
            return $"Syntax error at line {ex.LineNumber}, column {ex.Column}: {ex.Description}";
        }
    }

    /// <summary>Runs a script once; never throws for anything the script does.</summary>
    public static ScriptOutcome Run(string source, ScriptGroup group, IScriptMetrics metrics, DateTimeOffset now)
    {
        var logs = new List<string>();
        var inputs = new Dictionary<string, double?>(StringComparer.Ordinal);
        int? requested = null;
        var started = System.Diagnostics.Stopwatch.StartNew();
        string? error = Validate(source);
        if (error is null)
        {
            try
            {
                var engine = new Engine(o => o
                    .Strict()
                    .DisableStringCompilation()
                    .TimeoutInterval(TimeLimit)
                    .LimitMemory(MemoryLimitBytes)
                    .MaxStatements(MaxStatements)
                    .LimitRecursion(MaxRecursion));

                engine.SetValue("log", new ClrFunction(engine, "log", (_, args) =>
                {
                    if (logs.Count < MaxLogLines)
                    {
                        logs.Add(InputText.Clip(string.Join(' ', args.Select(Text)), 1000));
                    }

                    return JsValue.Undefined;
                }));
                engine.SetValue("metric", new ClrFunction(engine, "metric", (_, args) =>
                {
                    var name = MetricName(args, 0);
                    var window = Window(args, 1);
                    var value = metrics.Group(name, window);
                    inputs[$"{name}[{window.TotalSeconds:0}s]"] = value;
                    return value is { } v ? new JsNumber(Math.Round(v, 3)) : JsValue.Null;
                }));
                engine.SetValue("memberMetric", new ClrFunction(engine, "memberMetric", (_, args) =>
                {
                    var id = args.Length > 0 && args[0].IsString() && Guid.TryParse(args[0].AsString(), out var g)
                        ? g
                        : throw new ArgumentException("memberMetric(id, name, seconds): id must be a member's id (see group.members).");
                    var name = MetricName(args, 1);
                    var window = Window(args, 2);
                    var value = metrics.Member(id, name, window);
                    inputs[$"{name}[{window.TotalSeconds:0}s]@{id}"] = value;
                    return value is { } v ? new JsNumber(Math.Round(v, 3)) : JsValue.Null;
                }));
                engine.SetValue("scaleTo", new ClrFunction(engine, "scaleTo", (_, args) =>
                {
                    requested = Count(args, "scaleTo(n)");
                    return JsValue.Undefined;
                }));
                engine.SetValue("scaleBy", new ClrFunction(engine, "scaleBy", (_, args) =>
                {
                    requested = (requested ?? group.Desired) + Count(args, "scaleBy(k)");
                    return JsValue.Undefined;
                }));
                engine.SetValue("__group", JsonSerializer.Serialize(group, JsonSerializerOptions.Web));
                engine.SetValue("now", now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                engine.Execute("""
                    globalThis.group = JSON.parse(__group);
                    group.members.forEach(Object.freeze);
                    Object.freeze(group.members);
                    Object.freeze(group);
                    delete globalThis.__group;
                    """);
                engine.Execute(source, "script");
            }
            catch (TimeoutException)
            {
                error = $"Stopped: it ran longer than its time limit of {TimeLimit.TotalSeconds:0.#} s.";
            }
            catch (StatementsCountOverflowException)
            {
                error = $"Stopped: it ran more than its statement limit of {MaxStatements:N0} statements.";
            }
            catch (MemoryLimitExceededException)
            {
                error = $"Stopped: it used more than its memory limit of {MemoryLimitBytes / (1024 * 1024)} MB.";
            }
            catch (RecursionDepthOverflowException)
            {
                error = $"Stopped: its calls nest deeper than its recursion limit of {MaxRecursion}.";
            }
            catch (JavaScriptException ex)
            {
                error = $"The script threw at line {ex.Location.Start.Line}, column {ex.Location.Start.Column}: {ex.Message}";
            }
            catch (ArgumentException ex)
            {
                error = ex.Message;
            }
            catch (JintException ex)
            {
                error = "The script failed: " + ex.Message;
            }
            catch (InvalidOperationException ex)
            {
                error = "The script failed: " + ex.Message;
            }
        }

        return new ScriptOutcome(error is null ? requested : null, logs, inputs, error, started.Elapsed);
    }

    private static string MetricName(JsValue[] args, int index)
    {
        if (args.Length <= index || !args[index].IsString() || args[index].AsString() is not { Length: > 0 and <= 64 } name)
        {
            throw new ArgumentException("metric(name, seconds): name must be 'cpu', 'memory' or a custom metric's name.");
        }

        return name.ToLowerInvariant();
    }

    private static TimeSpan Window(JsValue[] args, int index)
    {
        var seconds = args.Length > index && args[index].IsNumber() ? args[index].AsNumber() : 60;
        if (double.IsNaN(seconds) || seconds < 1 || seconds > MaxWindowSeconds)
        {
            throw new ArgumentException($"metric window must be between 1 and {MaxWindowSeconds} seconds.");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static int Count(JsValue[] args, string call)
    {
        if (args.Length < 1 || !args[0].IsNumber() || double.IsNaN(args[0].AsNumber()) || double.IsInfinity(args[0].AsNumber()) || Math.Abs(args[0].AsNumber()) > 100_000)
        {
            throw new ArgumentException($"{call} needs a whole number.");
        }

        return (int)Math.Round(args[0].AsNumber());
    }

    private static string Text(JsValue value) => value.IsString() ? value.AsString() : value.ToString();

}

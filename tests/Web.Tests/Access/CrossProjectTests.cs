using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>
/// Every operation of the API's own OpenAPI document, for every caller: nobody unsigned gets in, a
/// Viewer changes nothing, and an Operator of one project (with its session and with a token bound
/// to its project) neither reads nor changes anything of another project — with that project's
/// objects in the path or named in the body. The operations are read from the document, so a new
/// endpoint is probed without editing this test.
/// </summary>
public sealed class CrossProjectTests(TenancyFixture fixture) : IClassFixture<TenancyFixture>
{
    /// <summary>Answered without credentials by design: probes, the API's description, signing in.</summary>
    private static readonly string[] s_public = ["/healthz", "/readyz", "/openapi", "/api/docs", "/api/v1/auth/login"];

    /// <summary>What any signed-in role may write for itself: its own tokens, signing out.</summary>
    private static readonly string[] s_selfService = ["POST /api/v1/tokens", "DELETE /api/v1/tokens/{id}", "POST /api/v1/auth/logout"];

    private sealed record Operation(string Method, string Template, JsonElement? RequestSchema);

    private sealed record Probe(string Method, string Path, string? Body)
    {
        public override string ToString() => $"{Method} {Path} {Body}";
    }

    private async Task<(List<Operation> Operations, JsonElement Document)> ReadDocumentAsync()
    {
        var document = await (await fixture.Admin.GetAsync("/openapi/v1.json")).ReadJsonAsync();
        var operations = new List<Operation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject().Where(m => m.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                JsonElement? schema = method.Value.TryGetProperty("requestBody", out var body) && body.TryGetProperty("content", out var content)
                    && content.EnumerateObject().FirstOrDefault(c => c.Name.Contains("json", StringComparison.Ordinal)) is { Value.ValueKind: JsonValueKind.Object } json
                    && json.Value.TryGetProperty("schema", out var s) ? s : null;
                operations.Add(new Operation(method.Name.ToUpperInvariant(), path.Name, schema));
            }
        }

        Assert.True(operations.Count > 50, $"the document lists only {operations.Count} operations");
        return (operations, document);
    }

    /// <summary>The path with each parameter filled by the object of <paramref name="objects"/> its resource names; unknown ones get each id in turn.</summary>
    private static IEnumerable<string> Fill(string template, TenancyFixture.ProjectObjects objects)
    {
        var segments = template.Split('/');
        var choices = new List<IReadOnlyList<string>>();
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (!segment.StartsWith('{'))
            {
                choices.Add([segment]);
                continue;
            }

            var name = segment.Trim('{', '}').Split(':')[0];
            var resource = i > 0 ? segments[i - 1] : "";
            IReadOnlyList<string> values = (resource, name) switch
            {
                ("machines", _) => [objects.MachineName, objects.MachineId.ToString()],
                ("snapshots", _) => [objects.SnapshotId.ToString()],
                ("backups", _) => [objects.BackupId.ToString()],
                ("schedules", _) => [objects.ScheduleId.ToString()],
                ("scaling-groups", _) => [objects.GroupName],
                ("policies", _) => [objects.PolicyId.ToString()],
                ("scripts", _) => [objects.ScriptName],
                ("operations", _) => [objects.OperationId.ToString(), objects.MachinelessOperationId.ToString()],
                ("tokens", _) => [objects.TokenId.ToString()],
                ("projects", _) => [objects.Project],
                (_, "action") => ["start", "stop", "force-stop", "restart", "pause", "resume"],
                _ => objects.All,
            };
            choices.Add(values);
        }

        IEnumerable<string> paths = [""];
        foreach (var choice in choices)
        {
            paths = paths.SelectMany(p => choice.Select(c => p.Length == 0 && c.Length == 0 ? "" : p + "/" + c));
        }

        return paths.Select(p => p.Length == 0 ? "/" : p).Distinct();
    }

    /// <summary>A body for the schema: reference-like fields name <paramref name="objects"/>' objects, the rest plausible values.</summary>
    private static string? Body(JsonElement? schema, JsonElement document, TenancyFixture.ProjectObjects objects, int serial)
    {
        if (schema is not { } s)
        {
            return null;
        }

        var node = Value(Resolve(s, document), document, "", objects, serial, depth: 0);
        return node?.ToJsonString();
    }

    private static JsonElement Resolve(JsonElement schema, JsonElement document)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/')[^1];
            return document.GetProperty("components").GetProperty("schemas").GetProperty(name);
        }

        return schema;
    }

    private static JsonNode? Value(JsonElement schema, JsonElement document, string field, TenancyFixture.ProjectObjects o, int serial, int depth)
    {
        schema = Resolve(schema, document);
        var types = schema.TryGetProperty("type", out var t)
            ? t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(x => x.GetString()).ToList() : [t.GetString()]
            : [];
        if (schema.TryGetProperty("properties", out var properties) && depth < 3)
        {
            var obj = new JsonObject();
            foreach (var p in properties.EnumerateObject())
            {
                obj[p.Name] = Value(p.Value, document, p.Name, o, serial, depth + 1);
            }

            return obj;
        }

        var f = field.ToLowerInvariant();
        if (types.Contains("string"))
        {
            return f switch
            {
                _ when f.Contains("machine", StringComparison.Ordinal) => o.MachineName,
                _ when f.Contains("project", StringComparison.Ordinal) => o.Project,
                _ when f.Contains("backup", StringComparison.Ordinal) => o.BackupId.ToString(),
                _ when f.Contains("snapshot", StringComparison.Ordinal) => o.SnapshotId.ToString(),
                _ when f.Contains("group", StringComparison.Ordinal) => o.GroupName,
                _ when f == "selector" => $"tier={o.Project}",
                _ when f == "host" => "far-host",
                _ when f == "template" => "busybox",
                _ when f == "cron" => "0 4 * * *",
                _ when f == "job" => "snapshot",
                _ when f == "source" => "log(1);",
                _ when f == "password" => "probe-password-0123",
                _ when f == "username" => $"probe-user-{serial}",
                _ when f == "name" => $"probe-{serial}",
                _ => "probe",
            };
        }

        if (types.Contains("integer") || types.Contains("number"))
        {
            return 1;
        }

        if (types.Contains("boolean"))
        {
            return false;
        }

        return types.Contains("array") ? new JsonArray() : null;
    }

    private static bool IsPublic(string template) => s_public.Any(p => template.StartsWith(p, StringComparison.Ordinal));

    private async Task<(HttpStatusCode Status, string Text)> SendAsync(HttpClient client, Probe probe)
    {
        using var request = new HttpRequestMessage(new HttpMethod(probe.Method), probe.Path)
        {
            Content = probe.Body is null ? null : new StringContent(probe.Body, Encoding.UTF8, "application/json"),
        };
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        // An event stream never ends: its status and headers are the answer.
        var text = response.Content.Headers.ContentType?.MediaType == "text/event-stream" ? "" : await response.Content.ReadAsStringAsync(cancel.Token);
        return (response.StatusCode, text);
    }

    [Fact]
    public async Task EveryOperation_NoCredentials_Unauthorized()
    {
        var (operations, _) = await ReadDocumentAsync();
        using var anonymous = fixture.Factory.CreateAnonymousClient();
        var failures = new List<string>();
        foreach (var operation in operations.Where(o => !IsPublic(o.Template)))
        {
            var probe = new Probe(operation.Method, Fill(operation.Template, fixture.Objects["alpha"]).First(), operation.Method is "GET" or "DELETE" ? null : "{}");
            var (status, _) = await SendAsync(anonymous, probe);
            if (status != HttpStatusCode.Unauthorized)
            {
                failures.Add($"{probe}: {(int)status}");
            }
        }

        Assert.True(failures.Count == 0, "Answered without credentials:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task EveryWrite_Viewer_ChangesNothing()
    {
        var (operations, document) = await ReadDocumentAsync();
        using var viewer = fixture.As("vic");
        var failures = new List<string>();
        var serial = 0;
        foreach (var operation in operations.Where(o => o.Method != "GET" && !IsPublic(o.Template) && !s_selfService.Contains($"{o.Method} {o.Template}")))
        {
            foreach (var path in Fill(operation.Template, fixture.Objects["alpha"]))
            {
                var probe = new Probe(operation.Method, path, Body(operation.RequestSchema, document, fixture.Objects["alpha"], serial++));
                var (status, text) = await SendAsync(viewer, probe);
                if ((int)status < 300)
                {
                    failures.Add($"{probe}: {(int)status} {text[..Math.Min(200, text.Length)]}");
                }
            }
        }

        Assert.True(failures.Count == 0, "A Viewer changed something:\n" + string.Join("\n", failures));
    }

    [Theory]
    [InlineData("session")]
    [InlineData("project token")]
    public async Task EveryOperation_OperatorOfAlpha_NeverReadsOrChangesBeta(string credential)
    {
        var (operations, document) = await ReadDocumentAsync();
        using var otto = credential == "session" ? fixture.As("otto") : fixture.WithToken(fixture.ProjectTokens["alpha"]);
        var before = await fixture.BetaStateAsync();
        var alpha = fixture.Objects["alpha"];
        var beta = fixture.Objects["beta"];
        var failures = new List<string>();
        var serial = 0;
        foreach (var operation in operations.Where(o => !IsPublic(o.Template)))
        {
            var probes = new List<(Probe Probe, bool NamesBeta)>();
            // Beta's objects in the path (and in the body).
            if (operation.Template.Contains('{'))
            {
                probes.AddRange(Fill(operation.Template, beta).Select(p => (new Probe(operation.Method, p, Body(operation.RequestSchema, document, beta, serial++)), true)));
            }

            // Alpha's own objects in the path: lists and reads (whose answers must not show beta), and
            // writes whose body names beta's objects (which must not touch them).
            foreach (var path in Fill(operation.Template, alpha).Take(1))
            {
                if (operation.Method == "GET")
                {
                    probes.Add((new Probe("GET", path, null), false));
                }
                else if (Body(operation.RequestSchema, document, beta, serial++) is { } body && body.Contains("beta", StringComparison.Ordinal))
                {
                    probes.Add((new Probe(operation.Method, path, body), true));
                }
            }

            foreach (var (probe, namesBeta) in probes)
            {
                var (status, text) = await SendAsync(otto, probe);
                if (text.Contains(TenancyFixture.BetaSecret, StringComparison.Ordinal))
                {
                    failures.Add($"{probe}: {(int)status} shows beta's data: {text[..Math.Min(300, text.Length)]}");
                }
                else if (namesBeta && (int)status < 300)
                {
                    failures.Add($"{probe}: {(int)status} (reached beta) {text[..Math.Min(200, text.Length)]}");
                }
                else if ((int)status >= 500)
                {
                    failures.Add($"{probe}: {(int)status} {text[..Math.Min(200, text.Length)]}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"Across projects ({credential}):\n" + string.Join("\n", failures));
        Assert.Equal(before, await fixture.BetaStateAsync());
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ringmaster.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Every endpoint with hostile bodies, queries and ids: no 5xx. The operations come from the app's
/// own OpenAPI document, so a new endpoint is covered without editing this test. Each is called as
/// an admin, with ids that are hostile and with ids of real objects (a running container and VM, a
/// snapshot, a backup, an image, users, projects, tokens, schedules, a scaling group with a policy
/// and a script), with malformed and wrongly typed bodies (built from the operation's schema and
/// from every property name the API knows), with wrong content types, and with hostile query values.
/// No operation is skipped: the console WebSocket is called as plain HTTP (it answers 400, connect
/// with a WebSocket client), and the event stream, which never ends by design, is judged by its
/// headers. What is not in the document (the agents' hub and transfer endpoints, which take the
/// join token, not an admin) is not called.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>How long any answer may take; the event stream answers its headers and then streams for ever, so only its headers are awaited.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(40);

    private readonly RingmasterFactory _factory = new()
    {
        Embedded = true,
        Settings =
        {
            // Every request reaches its handler: no rate limit answers in their place.
            ["Access:TokenRequestsPerMinute"] = "0",
            ["Access:SignInPermitLimit"] = "1000000",
        },
    };

    private readonly Dictionary<string, List<string>> _valid = new(StringComparer.Ordinal);
    private readonly List<string> _failures = [];
    private readonly SortedDictionary<int, int> _statuses = [];
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private ApiClient _api = null!;
    private int _sent;

    /// <summary>Path values, already escaped: huge, negative, traversal, NUL, CR/LF, bidi, 10 kB, invalid UTF-8, an empty GUID.</summary>
    private static readonly string[] s_hostileIds =
    [
        "99999999999999999999999999999999", "-1", "-9223372036854775809", "0", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%00", "a%0D%0AX-Injected:%201",
        "%E2%80%AE", "%E2%80%8Bzero", new string('x', 10_000), "00000000-0000-0000-0000-000000000000", "%27%20OR%201%3D1%20--", "%25", "%C0%AE", "%FF",
    ];

    /// <summary>Query values, already escaped.</summary>
    private static readonly string[] s_hostileQueryValues =
    [
        "", "-1", "0", "99999999999999999999", "1e400", "abc", "true", "%00", "a%0D%0AX-Injected:%201", "%E2%80%AE", "..%2F..%2Fetc%2Fpasswd", new string('q', 10_000), "%FF", "%3D%3D%3D", "null",
    ];

    /// <summary>Strings for every string property.</summary>
    private static readonly string[] s_hostileStrings =
    [
        "", " ", "../../etc/passwd", "/etc/shadow", "a\r\nX-Injected: 1", "nul\0byte", "\u202Eevil", "\u2028", "zero\u200Bwidth", new string('s', 10_000),
        "' OR 1=1 --", "${jndi:ldap://x}", "<script>alert(1)</script>", "%00", "00000000-0000-0000-0000-000000000000", "-1", "NaN",
    ];

    /// <summary>Numbers for every numeric property (as JSON text): negative, zero, fractions, overflow of int and long, huge exponents.</summary>
    private static readonly string[] s_hostileNumbers = ["-1", "0", "0.5", "-2147483649", "2147483648", "9223372036854775808", "1e308", "-1e308", "1e400"];

    /// <summary>The bodies sent to operations whose body the document does not describe.</summary>
    private static readonly HashSet<string> s_bodiesReadByHand =
    [
        "an empty JSON body", "a body without a content type", "null", "invalid JSON", "invalid UTF-8", "arrays 10000 deep", "a 2 MB string", "text/plain",
        "multipart that is not", "an unknown charset", "every known property as a 10 kB hostile string", "every known property \"a\\r\\nX-Injected: 1\"",
        "every known property -1", "every known property 1e400",
    ];

    public async Task InitializeAsync()
    {
        _api = new ApiClient(_factory.StartKestrel());
        _api.Http.Timeout = Timeout.InfiniteTimeSpan;
        await CreateObjectsAsync();
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();

        // What the calls made (clones, restores) and what the last deletions could not reach (the
        // host's credential is revoked last).
        if (_valid.TryGetValue("hosts", out var host))
        {
            await Podman.RemoveOwnedByAsync(host[0]);
        }
    }

    [Fact]
    public async Task EveryOperation_HostileIdsBodiesAndQueries_No5xx()
    {
        using var document = JsonDocument.Parse(await _api.Http.GetStringAsync("/openapi/v1.json"));
        var operations = Operations(document.RootElement);
        var propertyNames = AllPropertyNames(document.RootElement);
        Assert.True(operations.Count >= 80, $"the OpenAPI document lists only {operations.Count} operations");

        // Deletions last (they take away the objects the other calls go deep with), revoking the
        // embedded agent's credential last of all (it takes the host away).
        foreach (var operation in operations.OrderBy(o => o.Method == "DELETE").ThenBy(o => o.Path.StartsWith("/api/v1/agents", StringComparison.Ordinal)))
        {
            await ProbeAsync(operation, document.RootElement, propertyNames);
        }

        output.WriteLine($"{_sent} requests to {operations.Count} operations; answers: {string.Join(", ", _statuses.Select(s => $"{s.Key} × {s.Value}"))}");
        Assert.True(_failures.Count == 0, $"{_failures.Count} of {_sent} hostile requests were answered with a server error or not at all:\n" + string.Join('\n', _failures.Take(60)));
    }

    private async Task ProbeAsync(ApiOperation operation, JsonElement root, IReadOnlyList<string> propertyNames)
    {
        var valid = operation.PathParameters.Select(p => ValidFor(operation.Path, p)).ToList();
        var anyValid = valid.Select(v => v.FirstOrDefault() ?? s_hostileIds[^4]).ToList();
        var bodies = Bodies(operation, root, propertyNames);

        // Hostile ids: in every path parameter at once, and in each one with real ids in the others.
        foreach (var id in s_hostileIds)
        {
            await SendAsync(operation, Fill(operation, _ => id), null, null, $"id {Clip(id)}");
            for (var i = 0; i < operation.PathParameters.Count && operation.PathParameters.Count > 1; i++)
            {
                var at = i;
                await SendAsync(operation, Fill(operation, j => j == at ? id : anyValid[j]), null, null, $"id {Clip(id)} in {operation.PathParameters[at]}");
            }

            if (operation.HasBody)
            {
                await SendAsync(operation, Fill(operation, _ => id), "application/json", "{}"u8.ToArray(), $"id {Clip(id)} with {{}}");
            }
        }

        // Real ids (or none) with every hostile body, and with hostile query values.
        var paths = new List<string>();
        if (operation.PathParameters.Count == 0)
        {
            paths.Add(operation.Path);
        }
        else if (valid.All(v => v.Count > 0))
        {
            paths.AddRange(Enumerable.Range(0, valid.Max(v => v.Count)).Select(k => Fill(operation, j => valid[j][Math.Min(k, valid[j].Count - 1)])));
        }
        else
        {
            paths.Add(Fill(operation, j => anyValid[j]));
        }

        foreach (var path in paths)
        {
            if (operation.HasBody)
            {
                foreach (var (contentType, body, what) in bodies)
                {
                    await SendAsync(operation, path, contentType, body, what);
                }
            }

            foreach (var name in operation.QueryParameters.Append("unknown"))
            {
                foreach (var value in s_hostileQueryValues)
                {
                    await SendAsync(operation, $"{path}?{name}={value}", null, null, $"query {name}={Clip(value)}");
                }

                await SendAsync(operation, $"{path}?{name}=1&{name}=2", null, null, $"query {name} twice");
            }

            if (operation.QueryParameters.Count > 1)
            {
                foreach (var value in s_hostileQueryValues)
                {
                    await SendAsync(operation, path + "?" + string.Join('&', operation.QueryParameters.Select(n => $"{n}={value}")), null, null, $"every query parameter {Clip(value)}");
                }
            }
        }
    }

    private async Task SendAsync(ApiOperation operation, string url, string? contentType, byte[]? body, string what)
    {
        _sent++;
        using var request = new HttpRequestMessage(new HttpMethod(operation.Method), url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        // Past the precondition check of merge patches, so their bodies are read.
        request.Headers.TryAddWithoutValidation("If-Match", "*");
        using var timeout = new CancellationTokenSource(AnswerTimeout);
        var input = $"{operation.Method} {operation.Path} with {what}";
        try
        {
            using var response = await _api.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            _statuses[(int)response.StatusCode] = _statuses.GetValueOrDefault((int)response.StatusCode) + 1;
            if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            {
                // The event stream never ends by design: its 200 headers are its answer.
                return;
            }

            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            if ((int)response.StatusCode >= 500)
            {
                _failures.Add($"{input} → {(int)response.StatusCode} {Clip(text, 300)}");
            }
        }
        catch (OperationCanceledException)
        {
            _failures.Add($"{input} → no answer within {AnswerTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            _failures.Add($"{input} → the connection failed: {e.Message} ({e.HttpRequestError}; {e.InnerException?.Message})");
        }
    }

    /// <summary>Hostile bodies for an operation: from its schema when it has one, and from every property name the API knows (for bodies read by hand).</summary>
    private static List<(string? ContentType, byte[] Body, string What)> Bodies(ApiOperation operation, JsonElement root, IReadOnlyList<string> propertyNames)
    {
        var json = "application/json";
        var bodies = new List<(string?, byte[], string)>
        {
            (json, [], "an empty JSON body"),
            (null, "{}"u8.ToArray(), "a body without a content type"),
            (json, "null"u8.ToArray(), "null"),
            (json, "[]"u8.ToArray(), "[]"),
            (json, "\"text\""u8.ToArray(), "a JSON string"),
            (json, "12"u8.ToArray(), "a JSON number"),
            (json, "true"u8.ToArray(), "true"),
            (json, "{"u8.ToArray(), "invalid JSON"),
            (json, "{\"name\":"u8.ToArray(), "truncated JSON"),
            (json, "{\"a\":1,}"u8.ToArray(), "a trailing comma"),
            (json, "{'name': 'x'}"u8.ToArray(), "single quotes"),
            (json, [0xff, 0xfe, 0x00, 0x7b, 0xc0, 0xaf], "invalid UTF-8"),
            (json, "{\"name\": \"\\uD800\"}"u8.ToArray(), "half a surrogate pair"),
            (json, Encoding.UTF8.GetBytes(new string('[', 10_000) + new string(']', 10_000)), "arrays 10000 deep"),
            (json, Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000)), "objects 5000 deep"),
            (json, Encoding.UTF8.GetBytes("{\"name\": \"" + new string('a', 2_000_000) + "\"}"), "a 2 MB string"),
            ("text/plain", "{\"name\": \"x\"}"u8.ToArray(), "text/plain"),
            ("application/xml", "<name>x</name>"u8.ToArray(), "XML"),
            ("application/x-www-form-urlencoded", "name=x&kind=container"u8.ToArray(), "a form"),
            ("multipart/form-data", "not multipart"u8.ToArray(), "multipart without a boundary"),
            ("multipart/form-data; boundary=xyz", "not multipart"u8.ToArray(), "multipart that is not"),
            ("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.tar\"\r\n\r\ncut"u8.ToArray(), "truncated multipart"),
            ("application/json; charset=utf-99", "{}"u8.ToArray(), "an unknown charset"),
            ("application/json; charset=utf-16", "{}"u8.ToArray(), "UTF-8 said to be UTF-16"),
            ("application/merge-patch+json", "{\"name\": null, \"spec\": {\"vcpus\": \"x\"}, \"labels\": [1]}"u8.ToArray(), "a wrongly typed merge patch"),
            ("application/json", Encoding.UTF8.GetBytes(KitchenSink(propertyNames, _ => JsonValue.Create(new string('x', 10_000) + "\0\r\n\u202E"))!.ToJsonString()), "every known property as a 10 kB hostile string"),
        };

        foreach (var value in s_hostileStrings)
        {
            bodies.Add((json, Encoding.UTF8.GetBytes(KitchenSink(propertyNames, _ => JsonValue.Create(value))!.ToJsonString()), $"every known property \"{Clip(value)}\""));
        }

        foreach (var number in s_hostileNumbers)
        {
            bodies.Add((json, Encoding.UTF8.GetBytes(KitchenSink(propertyNames, _ => JsonNode.Parse(number))!.ToJsonString()), $"every known property {number}"));
        }

        if (operation.BodySchema is null)
        {
            // Bodies read by hand (or not at all): the malformed ones and the known properties, not
            // every variation (each call on a real machine may start an operation).
            return [.. bodies.Where(b => s_bodiesReadByHand.Contains(b.Item3))];
        }

        if (operation.BodySchema is { } schema && Resolve(root, schema) is { } resolved && resolved.TryGetProperty("properties", out var properties))
        {
            var props = properties.EnumerateObject().Select(p => (p.Name, Kind: KindOf(root, p.Value))).ToList();
            JsonObject Build(Func<string, string, JsonNode?> value) => new(props.Select(p => KeyValuePair.Create(p.Name, value(p.Name, p.Kind))));

            bodies.Add((json, Encoding.UTF8.GetBytes(Build((_, kind) => WrongType(kind)).ToJsonString()), "every property of the wrong type"));
            bodies.Add((json, Encoding.UTF8.GetBytes(Build((_, _) => null).ToJsonString()), "every property null"));
            var deep = string.Concat(Enumerable.Repeat("{\"a\":", 1_000)) + "1" + new string('}', 1_000);
            bodies.Add((json, Encoding.UTF8.GetBytes(Build((_, _) => JsonValue.Create("deep-placeholder")).ToJsonString().Replace("\"deep-placeholder\"", deep, StringComparison.Ordinal)), "every property an object 1000 deep"));
            foreach (var number in s_hostileNumbers)
            {
                bodies.Add((json, Encoding.UTF8.GetBytes(Build((_, kind) => kind == "number" ? JsonNode.Parse(number) : kind == "string" ? JsonValue.Create("x") : null).ToJsonString()), $"every number {number}"));
                bodies.Add((json, Encoding.UTF8.GetBytes(Build((_, kind) => kind == "number" ? JsonValue.Create(number) : null).ToJsonString()), $"every number \"{number}\" as a string"));
            }

            foreach (var value in s_hostileStrings)
            {
                bodies.Add((json, Encoding.UTF8.GetBytes(Build((_, kind) => kind switch
                {
                    "string" => JsonValue.Create(value),
                    "number" => JsonValue.Create(1),
                    "object" => new JsonObject { [value.Length > 200 ? "k" : value] = value },
                    "array" => new JsonArray(JsonValue.Create(value)),
                    _ => null,
                }).ToJsonString()), $"every string \"{Clip(value)}\""));
            }
        }

        return bodies;
    }

    private static JsonNode? WrongType(string kind) => kind switch
    {
        "string" => JsonValue.Create(12345),
        "number" => JsonValue.Create("not a number"),
        "boolean" => JsonValue.Create("yes"),
        "array" => new JsonObject { ["x"] = 1 },
        "object" => new JsonArray(1, 2),
        _ => new JsonArray(),
    };

    private static JsonObject? KitchenSink(IReadOnlyList<string> names, Func<string, JsonNode?> value) =>
        new(names.Select(n => KeyValuePair.Create(n, value(n))));

    /// <summary>string, number, boolean, array or object: what a schema mostly is (numbers may also come as strings).</summary>
    private static string KindOf(JsonElement root, JsonElement schema)
    {
        var resolved = Resolve(root, schema) ?? schema;
        var types = resolved.TryGetProperty("type", out var type)
            ? type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()).ToList() : [type.GetString()]
            : resolved.TryGetProperty("enum", out _) ? ["string"] : ["object"];
        return types.Contains("integer") || types.Contains("number") ? "number"
            : types.Contains("boolean") ? "boolean"
            : types.Contains("array") ? "array"
            : types.Contains("object") ? "object"
            : "string";
    }

    private static JsonElement? Resolve(JsonElement root, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var reference))
        {
            return schema;
        }

        var name = reference.GetString()!.Split('/')[^1];
        return root.GetProperty("components").GetProperty("schemas").TryGetProperty(name, out var found) ? found : null;
    }

    private static List<string> AllPropertyNames(JsonElement root) =>
        [.. root.GetProperty("components").GetProperty("schemas").EnumerateObject()
            .SelectMany(s => s.Value.TryGetProperty("properties", out var p) ? p.EnumerateObject().Select(x => x.Name) : [])
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    private sealed record ApiOperation(string Method, string Path, IReadOnlyList<string> PathParameters, IReadOnlyList<string> QueryParameters, JsonElement? BodySchema)
    {
        /// <summary>Whether to send bodies: every write, whether or not the document describes its body (some are read by hand).</summary>
        public bool HasBody => Method is "POST" or "PUT" or "PATCH" or "DELETE";
    }

    private static List<ApiOperation> Operations(JsonElement root)
    {
        var operations = new List<ApiOperation>();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject().Where(m => m.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                var parameters = method.Value.TryGetProperty("parameters", out var p) ? p.EnumerateArray().ToList() : [];
                JsonElement? body = method.Value.TryGetProperty("requestBody", out var b) && b.GetProperty("content").EnumerateObject().FirstOrDefault(c => c.Name.Contains("json", StringComparison.Ordinal)) is { Value.ValueKind: JsonValueKind.Object } c
                    && c.Value.TryGetProperty("schema", out var schema) ? schema : null;
                operations.Add(new ApiOperation(
                    method.Name.ToUpperInvariant(),
                    path.Name,
                    [.. parameters.Where(x => x.GetProperty("in").GetString() == "path").Select(x => x.GetProperty("name").GetString()!)],
                    [.. parameters.Where(x => x.GetProperty("in").GetString() == "query").Select(x => x.GetProperty("name").GetString()!)],
                    body));
            }
        }

        return operations;
    }

    private static string Fill(ApiOperation operation, Func<int, string> value)
    {
        var path = operation.Path;
        for (var i = 0; i < operation.PathParameters.Count; i++)
        {
            path = path.Replace("{" + operation.PathParameters[i] + "}", value(i), StringComparison.Ordinal);
        }

        return path;
    }

    /// <summary>Ids of real objects for a path parameter, by the collection it follows ("/machines/{id}": machines), escaped.</summary>
    private List<string> ValidFor(string path, string parameter)
    {
        var segments = path.Split('/');
        var at = Array.IndexOf(segments, "{" + parameter + "}");
        var collection = at > 0 ? segments[at - 1] : "";
        return _valid.TryGetValue(collection, out var ids) ? [.. ids.Select(Uri.EscapeDataString)]
            : _valid.TryGetValue("{" + parameter + "}", out var byName) ? byName
            : [];
    }

    private void Remember(string collection, params string[] ids) => _valid[collection] = [.. ids];

    /// <summary>Machine names are the container engine's too, which other test runs share.</summary>
    private string Ctr => "fz-ctr-" + _suffix;

    private string Vm => "fz-vm-" + _suffix;

    /// <summary>One of everything, so that calls with real ids get past their lookups.</summary>
    private async Task CreateObjectsAsync()
    {
        var hosts = await HttpJson.EventuallyAsync(
            () => _api.GetAsync("/api/v1/hosts"),
            page => page.GetProperty("items").EnumerateArray().Any(h => h.GetProperty("online").GetBoolean()),
            TimeSpan.FromSeconds(60), "the embedded host online");
        var hostId = hosts.GetProperty("items")[0].GetProperty("id").GetString()!;
        Remember("hosts", hostId);
        Remember("agents", hostId);

        using (var upload = await _api.Http.PostAsync("/api/v1/images", ImageTarballs.Upload("fz-image", "container", ImageTarballs.BusyboxRootfs(false))))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }

        Remember("images", "fz-image");
        await CreatedAsync("/api/v1/templates", new { name = "fz-template", image = "fz-image" });
        Remember("templates", "fz-template");

        var createOperation = await _api.StartOperationAsync(HttpMethod.Post, "/api/v1/machines", new { name = Ctr, template = "busybox" });
        var container = (await _api.WaitSucceededAsync(createOperation, TimeSpan.FromMinutes(3))).GetProperty("result").GetProperty("id").GetString()!;
        await _api.CreateMachineAsync(new { name = Vm, template = "default", memoryMiB = 128 }, TimeSpan.FromMinutes(3));
        Remember("machines", container, Vm);
        Remember("operations", createOperation.ToString());

        await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{Ctr}/snapshots", new { name = "fz-snap" }), TimeSpan.FromMinutes(3));
        Remember("snapshots", "fz-snap");
        await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{Ctr}/backups", new { }), TimeSpan.FromMinutes(3));
        Remember("backups", (await _api.GetAsync($"/api/v1/backups?machine={container}"))[0].GetProperty("id").GetString()!);

        Remember("schedules", (await CreatedAsync("/api/v1/schedules", new { name = "fz-schedule", job = "snapshot", cron = "0 3 * * *", selector = "team=fz" })).GetProperty("id").ToString());
        await CreatedAsync("/api/v1/projects", new { name = "fz-project" });
        Remember("projects", "fz-project");
        await CreatedAsync("/api/v1/users", new { userName = "fz-user", password = "fz-user-password", projects = new[] { "fz-project" } });
        Remember("users", "fz-user");
        Remember("members", "fz-user");
        Remember("tokens", (await CreatedAsync("/api/v1/tokens", new { name = "fz-token" })).GetProperty("id").ToString());
        Remember("join-tokens", (await CreatedAsync("/api/v1/join-tokens", new { name = "fz-join" })).GetProperty("id").ToString());

        var group = (await CreatedAsync("/api/v1/scaling-groups", new { name = "fz-group", template = "busybox", min = 0, max = 2, desired = 0 })).GetProperty("id").ToString();
        Remember("scaling-groups", group);
        Remember("policies", (await CreatedAsync($"/api/v1/scaling-groups/{group}/policies", new { name = "fz-policy", kind = "schedule", cron = "0 8 * * *", target = "min", value = 0 })).GetProperty("id").ToString());
        Remember("scripts", (await CreatedAsync($"/api/v1/scaling-groups/{group}/scripts", new { name = "fz-script", source = "log(1);" })).GetProperty("id").ToString());

        // Machine actions by name (a parameter that follows another parameter).
        _valid["{action}"] = ["start"];
    }

    private async Task<JsonElement> CreatedAsync(string path, object body)
    {
        using var response = await _api.Http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string Clip(string value, int length = 24) =>
        (value.Length <= length ? value : value[..length] + $"…({value.Length})").Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);
}

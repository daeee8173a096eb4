using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>Image import through the API: uploads and server-side paths, checked strictly.</summary>
public sealed class ImagesApiTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private HttpClient _client = null!;

    private string ImportRoot => Path.Combine(_factory.DataPath, "import");

    public Task InitializeAsync()
    {
        _factory.Settings["Ringmaster:MaxImageMiB"] = "8";
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<int> ImageCountAsync() =>
        (await (await _client.GetAsync("/api/v1/images")).ReadJsonAsync()).GetProperty("items").GetArrayLength();

    [Fact]
    public async Task Upload_BusyboxRootfs_201WithChecksumAndListed()
    {
        var tarball = ImageTarballs.BusyboxRootfs(gzip: true);

        var response = await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("my-busybox", "container", tarball, "rootfs.tar.gz"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/v1/images/my-busybox", response.Headers.Location?.ToString());
        var image = await response.ReadJsonAsync();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(tarball)), image.GetProperty("sha256").GetString());
        Assert.Equal(tarball.Length, image.GetProperty("sizeBytes").GetInt64());
        Assert.Equal("container", image.GetProperty("kind").GetString());
        Assert.Equal("upload:rootfs.tar.gz", image.GetProperty("source").GetString());
        var listed = await (await _client.GetAsync("/api/v1/images")).ReadJsonAsync();
        Assert.Equal("my-busybox", listed.GetProperty("items")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task UploadTwice_SameName_409()
    {
        var tarball = ImageTarballs.BusyboxRootfs(gzip: false);
        Assert.Equal(HttpStatusCode.Created, (await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("twice", "container", tarball))).StatusCode);

        await ProblemAsync(await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("twice", "container", tarball)), HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("a/b")]
    [InlineData("UPPER")]
    [InlineData("x..y")]
    [InlineData(".hidden")]
    [InlineData("\u202eevil")]
    [InlineData("")]
    public async Task Upload_HostileName_ValidationProblemAndNothingStored(string name)
    {
        var problem = await ProblemAsync(await _client.PostAsync("/api/v1/images", ImageTarballs.Upload(name, "container", ImageTarballs.BusyboxRootfs(false))), HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _), problem.ToString());
        Assert.Equal(0, await ImageCountAsync());
        Assert.False(File.Exists(Path.Combine(_factory.DataPath, "etc", "passwd")));
        Assert.Empty(Directory.Exists(Path.Combine(_factory.DataPath, "images")) ? Directory.GetFiles(Path.Combine(_factory.DataPath, "images")) : []);
    }

    [Theory]
    [InlineData("../../evil.tar")]
    [InlineData("/etc/passwd")]
    [InlineData("dir/rootfs.tar")]
    [InlineData("..")]
    public async Task Upload_HostileFileName_Rejected(string fileName)
    {
        var problem = await ProblemAsync(await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("fine-name", "container", ImageTarballs.BusyboxRootfs(false), fileName)), HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("file", out _), problem.ToString());
        Assert.Equal(0, await ImageCountAsync());
    }

    [Fact]
    public async Task Upload_TarballWithTraversalEntry_Rejected()
    {
        var problem = await ProblemAsync(await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("sneaky", "container", ImageTarballs.WithEntry("../../etc/cron.d/x"))), HttpStatusCode.BadRequest);

        Assert.Contains("outside its root", problem.GetProperty("errors").GetProperty("file")[0].GetString());
    }

    [Fact]
    public async Task Upload_NotATarball_Rejected()
    {
        var problem = await ProblemAsync(await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("junk", "container", Encoding.UTF8.GetBytes(new string('x', 5000)))), HttpStatusCode.BadRequest);

        Assert.Contains("root filesystem tarball", problem.GetProperty("errors").GetProperty("file")[0].GetString());
    }

    [Fact]
    public async Task Upload_UnknownKind_400()
    {
        var problem = await ProblemAsync(await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("fine", "mainframe", ImageTarballs.BusyboxRootfs(false))), HttpStatusCode.BadRequest);

        Assert.Contains("Unknown kind", problem.GetProperty("errors").GetProperty("kind")[0].GetString());
    }

    [Fact]
    public async Task Upload_VmKindWithoutKernel_Rejected()
    {
        var problem = await ProblemAsync(await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("vm-junk", "vm", ImageTarballs.BusyboxRootfs(false))), HttpStatusCode.BadRequest);

        Assert.Contains("VM image", problem.GetProperty("errors").GetProperty("file")[0].GetString());
    }

    [Fact]
    public async Task Upload_OverTheSizeLimit_413AndNothingStored()
    {
        var big = new byte[9 * 1024 * 1024];

        await ProblemAsync(await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("big", "container", big)), HttpStatusCode.RequestEntityTooLarge);

        Assert.Equal(0, await ImageCountAsync());
    }

    [Fact]
    public async Task Upload_GzipBomb_413AndNothingLeftBehind()
    {
        var bomb = ImageTarballs.GzipBomb(64);
        Assert.True(bomb.Length < 1024 * 1024, $"the bomb is {bomb.Length} bytes compressed");

        var problem = await ProblemAsync(await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("bomb", "container", bomb, "rootfs.tar.gz")), HttpStatusCode.RequestEntityTooLarge);

        Assert.Contains("expands to more than 8 MiB", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await ImageCountAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/images/bomb")).StatusCode);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_factory.DataPath, "images"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task ImportPath_GzipBomb_413AndNothingLeftBehind()
    {
        Directory.CreateDirectory(ImportRoot);
        await File.WriteAllBytesAsync(Path.Combine(ImportRoot, "bomb.tar.gz"), ImageTarballs.GzipBomb(64, "Image"));

        var problem = await ProblemAsync(await _client.PostAsJsonAsync("/api/v1/images", new { name = "bomb", kind = "vm", path = "bomb.tar.gz" }), HttpStatusCode.RequestEntityTooLarge);

        Assert.Contains("expands to more than 8 MiB", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await ImageCountAsync());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_factory.DataPath, "images"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Upload_GzipTarballUnderTheLimitExpanded_201()
    {
        var response = await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("small-zeros", "container", ImageTarballs.GzipBomb(6), "rootfs.tar.gz"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("multipart/form-data; boundary=xyz", "not multipart")]
    [InlineData("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\ncut")]
    [InlineData("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.tar\"\r\n\r\nno closing boundary")]
    [InlineData("multipart/form-data; boundary=xyz", "")]
    public async Task Upload_BodyNotMultipart_400ProblemSaysWhatIsWrong(string contentType, string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var problem = await ProblemAsync(await _client.PostAsync("/api/v1/images", content), HttpStatusCode.BadRequest);

        Assert.Contains("multipart/form-data", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await ImageCountAsync());
        Assert.Empty(Directory.Exists(Path.Combine(_factory.DataPath, "images")) ? Directory.EnumerateFiles(Path.Combine(_factory.DataPath, "images"), "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task Upload_NoFile_400()
    {
        var problem = await ProblemAsync(await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("nofile", "container", null)), HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("file", out _));
    }

    [Fact]
    public async Task ImportPath_FileUnderImportRoot_201()
    {
        Directory.CreateDirectory(ImportRoot);
        await File.WriteAllBytesAsync(Path.Combine(ImportRoot, "rootfs.tar"), ImageTarballs.BusyboxRootfs(false));

        var response = await _client.PostAsJsonAsync("/api/v1/images", new { name = "from-path", kind = "container", path = "rootfs.tar" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("path:rootfs.tar", (await response.ReadJsonAsync()).GetProperty("source").GetString());
    }

    [Theory]
    [InlineData("../ringmaster.db")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../ringmaster.db")]
    [InlineData("link-out")]
    [InlineData("missing.tar")]
    public async Task ImportPath_OutsideImportRootOrMissing_Rejected(string path)
    {
        Directory.CreateDirectory(ImportRoot);
        File.CreateSymbolicLink(Path.Combine(ImportRoot, "link-out"), "/etc/passwd");

        var problem = await ProblemAsync(await _client.PostAsJsonAsync("/api/v1/images", new { name = "stolen", kind = "container", path }), HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("path", out _), problem.ToString());
        Assert.Equal(0, await ImageCountAsync());
    }

    [Fact]
    public async Task Post_WrongContentType_415()
    {
        await ProblemAsync(await _client.PostAsync("/api/v1/images", new StringContent("name=a", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Content_WithoutJoinToken_Refused()
    {
        Assert.Equal(HttpStatusCode.Created, (await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("secret", "container", ImageTarballs.BusyboxRootfs(false)))).StatusCode);
        using var anonymous = _factory.CreateClient();
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "not-the-join-token");

        var response = await anonymous.GetAsync("/api/v1/images/secret/content");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Template_ForImportedImage_201ThenListed()
    {
        Assert.Equal(HttpStatusCode.Created, (await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("tpl-image", "container", ImageTarballs.BusyboxRootfs(false)))).StatusCode);

        var response = await _client.PostAsJsonAsync("/api/v1/templates", new { name = "tpl", image = "tpl-image", memoryMiB = 32 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var templates = await (await _client.GetAsync("/api/v1/templates")).ReadJsonAsync();
        var template = templates.GetProperty("items").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "tpl");
        Assert.Equal("container", template.GetProperty("kind").GetString());
        Assert.Equal(32, template.GetProperty("memoryMiB").GetInt32());
        await ProblemAsync(await _client.PostAsJsonAsync("/api/v1/templates", new { name = "tpl", image = "tpl-image" }), HttpStatusCode.Conflict);
        await ProblemAsync(await _client.PostAsJsonAsync("/api/v1/templates", new { name = "tpl2", image = "no-such-image" }), HttpStatusCode.BadRequest);
    }
}

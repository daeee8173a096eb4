using System.Net;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>With the default size limit (4 GiB), a small gzip that expands a thousand times is still refused: no image expands like that.</summary>
public sealed class ImageBombTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Upload_HalfAMegabyteThatExpandsTo512MiB_413AtTheDefaultLimit_NothingLeft()
    {
        var bomb = ImageTarballs.GzipBomb(512);
        Assert.True(bomb.Length < 1024 * 1024, $"the bomb is {bomb.Length} bytes compressed");

        var response = await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("bomb", "container", bomb, "rootfs.tar.gz"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{(int)response.StatusCode} {text}");
        Assert.Contains("compression bomb", JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString());
        Assert.Equal(0, (await (await _client.GetAsync("/api/v1/images")).ReadJsonAsync()).GetProperty("items").GetArrayLength());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_factory.DataPath, "images"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Upload_RealRootfsGzip_Accepted()
    {
        var response = await _client.PostAsync("/api/v1/images", ImageTarballs.Upload("real", "container", ImageTarballs.BusyboxRootfs(gzip: true), "rootfs.tar.gz"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}

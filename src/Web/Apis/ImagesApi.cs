using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Agents;

namespace Ringmaster.Web.Apis;

/// <summary>
/// Images: <c>GET /api/v1/images</c>, <c>GET /api/v1/images/{name}</c>, and <c>POST /api/v1/images</c>
/// as a multipart upload (<c>name</c>, <c>kind</c>, <c>file</c>) or JSON <c>{"name", "kind", "path"}</c>
/// for a file under the server's import folder. Agents fetch an image's bytes from
/// <c>GET /api/v1/images/{name}/content</c> with their join token.
/// </summary>
public static class ImagesApi
{
    private const int MaxFieldBytes = 1024;

    public static IEndpointRouteBuilder MapImagesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/images").WithTags("Images");
        api.MapGet("/", ListImages)
            .WithName("ListImages").WithSummary("List imported images");
        api.MapGet("/{name}", GetImage)
            .WithName("GetImage").WithSummary("Read one imported image");
        // Images are shared by every project: admins add and remove them.
        api.MapDelete("/{name}", DeleteImage).RequireAuthorization(nameof(AccessRole.Admin))
            .WithName("DeleteImage").WithSummary("Delete an imported image no template or machine uses");
        api.MapPost("/", ImportImage)
            .RequireAuthorization(nameof(AccessRole.Admin))
            .WithMetadata(new AcceptsMetadata(["multipart/form-data", "application/json"], typeof(ImportImageRequest)))
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithName("ImportImage").WithSummary("Import an image (multipart upload, or a file under the import folder)");
        api.MapGet("/{name}/content", GetContent)
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = JoinTokenAuthentication.SchemeName })
            .WithName("GetImageContent").WithSummary("Download an image's bytes (agents, with their credential)");
        return app;
    }

    public static async Task<Ok<Page<ImageView>>> ListImages(ImageService images, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<ImageView>(await images.ListAsync(cancellationToken), null));

    public static async Task<Results<Ok<ImageView>, ProblemHttpResult>> GetImage(ImageService images, string name, CancellationToken cancellationToken) =>
        await images.FindAsync(name, cancellationToken) is { } image
            ? TypedResults.Ok(image)
            : ApiResults.Problem(ResultKind.NotFound, "No such image.");

    /// <summary>Deletes an imported image and its file (409 naming what uses it while something does).</summary>
    public static async Task<Results<Ok<ImageView>, ProblemHttpResult>> DeleteImage(ImageService images, string name, CancellationToken cancellationToken)
    {
        var result = await images.DeleteAsync(name, cancellationToken);
        return result.Kind == ResultKind.Ok ? TypedResults.Ok(result.Value!) : ApiResults.Problem(result.Kind, result.Message);
    }

    /// <summary>The image's bytes, for agents that lack it (checked by them against its SHA-256).</summary>
    public static async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> GetContent(ImageService images, string name, CancellationToken cancellationToken)
    {
        var image = await images.FindAsync(name, cancellationToken);
        var path = images.ContentPath(name);
        if (image is null || path is null || !File.Exists(path))
        {
            return ApiResults.Problem(ResultKind.NotFound, "No such image.");
        }

        return TypedResults.PhysicalFile(path, "application/octet-stream", entityTag: new EntityTagHeaderValue($"\"{image.Sha256}\""));
    }

    public static async Task<Results<Created<ImageView>, ValidationProblem, ProblemHttpResult>> ImportImage(HttpContext http, ImageService images, CancellationToken cancellationToken)
    {
        var limit = images.MaxBytes + (1024 * 1024);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        if (http.Request.ContentLength > limit)
        {
            return TooLarge(images);
        }

        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var media))
        {
            return Unsupported();
        }

        try
        {
            ServiceResult<ImageView> result;
            if (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            {
                ImportImageRequest? request;
                try
                {
                    var json = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
                    request = await JsonSerializer.DeserializeAsync<ImportImageRequest>(http.Request.Body, json, cancellationToken);
                }
                catch (NulInTextException e)
                {
                    return TypedResults.Problem(NulText.Problem(e));
                }
                catch (JsonException e)
                {
                    return TypedResults.Problem($"The body is not valid JSON for this request: {e.Message.Split(" Path:")[0]}", statusCode: StatusCodes.Status400BadRequest, title: "The request could not be read.");
                }

                if (request is null)
                {
                    return ApiResults.Invalid("body", "The body must be a JSON object {\"name\", \"kind\", \"path\"}.");
                }

                result = await images.ImportFromPathAsync(request, cancellationToken);
            }
            else if (media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            {
                result = await ReadUploadAsync(http, media, images, limit, cancellationToken);
            }
            else
            {
                return Unsupported();
            }

            return result.Kind switch
            {
                ResultKind.Ok => TypedResults.Created($"/api/v1/images/{result.Value!.Name}", result.Value),
                ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid."),
                _ => ApiResults.Problem(result.Kind, result.Message),
            };
        }
        catch (ImageTooLargeException e)
        {
            return TooLarge(images, e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(images);
        }
        catch (InvalidDataException e)
        {
            return e.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase)
                ? TooLarge(images)
                : TypedResults.Problem(e.Message == NotMultipart ? e.Message : $"The multipart body could not be read: {e.Message}", statusCode: StatusCodes.Status400BadRequest, title: "The request could not be read.");
        }
    }

    private static async Task<ServiceResult<ImageView>> ReadUploadAsync(HttpContext http, MediaTypeHeaderValue media, ImageService images, long limit, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 200)
        {
            return ServiceResult<ImageView>.Invalid("body", "A multipart body needs a boundary.");
        }

        var reader = new MultipartReader(boundary, http.Request.Body) { BodyLengthLimit = limit, HeadersLengthLimit = 16 * 1024 };
        string? name = null, kind = null;
        StagedImage? staged = null;
        try
        {
            while (await NextSectionAsync(reader, cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var field = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                if (disposition.IsFileDisposition())
                {
                    if (staged is not null)
                    {
                        return ServiceResult<ImageView>.Invalid("file", "Send one file.");
                    }

                    var fileName = disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                    if (!ImageService.IsValidFileName(fileName))
                    {
                        return ServiceResult<ImageView>.Invalid("file", "The file name must be a plain name (letters, digits, '.', '_', '-', space), without folders.");
                    }

                    var early = ImageService.Validate(name ?? "x", kind ?? "container");
                    if (name is not null && kind is not null && early.Count > 0)
                    {
                        return ServiceResult<ImageView>.Invalid(early);
                    }

                    staged = await images.StageAsync(new MalformedAsInvalidData(section.Body), fileName, cancellationToken);
                }
                else if (field is "name" or "kind")
                {
                    var value = await ReadFieldAsync(new MalformedAsInvalidData(section.Body), cancellationToken);
                    if (value is null)
                    {
                        return ServiceResult<ImageView>.Invalid(field, "This field is too long.");
                    }

                    if (field == "name")
                    {
                        name = value;
                    }
                    else
                    {
                        kind = value;
                    }
                }
            }

            if (staged is null)
            {
                var errors = ImageService.Validate(name, kind);
                errors["file"] = ["A file is required (a form field named file)."];
                return ServiceResult<ImageView>.Invalid(errors);
            }

            var result = await images.CommitAsync(name, kind, staged, "upload:" + staged.FileName, cancellationToken);
            staged = null;
            return result;
        }
        finally
        {
            if (staged is not null)
            {
                try
                {
                    File.Delete(staged.TempPath);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>
    /// The next part of a multipart body. The reader says a body that is not multipart (or ends
    /// before its closing boundary) with an IOException; that is the caller's mistake, said as one.
    /// </summary>
    private static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (IOException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidDataException(NotMultipart, e);
        }
    }

    private const string NotMultipart =
        "The body is not multipart/form-data with the boundary its Content-Type names, or it ends before the closing boundary. Send the fields name and kind and the file as parts of one multipart/form-data body.";

    /// <summary>A part's body whose read errors (the multipart reader's "unexpected end of stream") are the sender's: <see cref="InvalidDataException"/>.</summary>
    private sealed class MalformedAsInvalidData(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (IOException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InvalidDataException(NotMultipart, e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    private static async Task<string?> ReadFieldAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
            if (total > MaxFieldBytes)
            {
                return null;
            }
        }

        return System.Text.Encoding.UTF8.GetString(buffer, 0, total).Trim();
    }

    private static ProblemHttpResult TooLarge(ImageService images, string? detail = null) => TypedResults.Problem(
        detail ?? $"An image is at most {images.MaxBytes / (1024 * 1024)} MiB (Ringmaster:MaxImageMiB).", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Image too large");

    private static ProblemHttpResult Unsupported() => TypedResults.Problem(
        "Send multipart/form-data (name, kind, file) or application/json {\"name\", \"kind\", \"path\"}.", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type");
}

using System.CommandLine;
using System.Net.Http.Headers;
using Ringmaster.Contracts;

namespace Ringmaster.Cli;

/// <summary><c>ringmaster images list</c> and <c>ringmaster images import</c>: the images the server keeps, and uploading one.</summary>
internal static class ImagesCommands
{
    /// <summary>How long an upload may take: images are up to gigabytes.</summary>
    private static readonly TimeSpan s_uploadTimeout = TimeSpan.FromHours(1);

    public static Command Build(CliEnvironment env, GlobalOptions globals)
    {
        var list = new Command("list", "List the imported images: their kind, size and checksum.");
        list.Aliases.Add("ls");
        CommandContext.SetAction(list, env, globals, async (context, cancellationToken) =>
        {
            var items = Output.Items(await context.Client.GetAsync("api/v1/images", cancellationToken).ConfigureAwait(false));
            if (context.Json)
            {
                Output.Json(context.Out, items);
                return ExitCodes.Ok;
            }

            Output.Table(context.Out, ["NAME", "KIND", "SIZE", "SHA256", "SOURCE"],
                items.As<List<ImageView>>().Select(i => (IReadOnlyList<string>)
                [
                    i.Name,
                    i.Kind.Wire(),
                    Output.Mib(i.SizeBytes),
                    i.Sha256 is { Length: > 12 } sha ? sha[..12] : i.Sha256 ?? "",
                    i.Source,
                ]));
            return ExitCodes.Ok;
        });

        var name = new Argument<string>("name") { Description = "The image's name (lowercase letters, digits, '.', '_', '-')." };
        var file = new Argument<FileInfo>("file") { Description = "The file to upload." };
        var kind = new Option<string>("--kind", "-k")
        {
            Description = "What it is: disk (a VM disk from another hypervisor: qcow2, VMDK, VDI, VHD, VHDX, raw or an OVA; its format is read from its content), iso, container or vm.",
            DefaultValueFactory = _ => "disk",
        };
        var import = new Command("import", "Upload an image file to the server; a disk image then makes a QEMU VM with machines create --disk-image.") { name, file, kind };
        CommandContext.SetAction(import, env, globals, async (context, cancellationToken) =>
        {
            var path = context.Get(file)!;
            if (!path.Exists)
            {
                throw new CliException($"No such file: {path.FullName}", ExitCodes.Usage);
            }

            await using var stream = path.OpenRead();
            using var content = new MultipartFormDataContent
            {
                { new StringContent(context.Get(name)!), "name" },
                { new StringContent(context.Get(kind) ?? "disk"), "kind" },
            };
            var body = new StreamContent(stream);
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(body, "file", path.Name);
            var image = await context.Client.SendAsync(HttpMethod.Post, "api/v1/images", content, s_uploadTimeout, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Output.Json(context.Out, image);
            }
            else
            {
                var view = image.As<ImageView>();
                Output.Fields(context.Out, [("Name", view.Name), ("Kind", view.Kind.Wire()), ("Size", view.SizeBytes.Wire() + " bytes"), ("SHA-256", view.Sha256 ?? "")]);
            }

            return ExitCodes.Ok;
        });

        return new Command("images", "Images imported into the server.") { list, import };
    }
}

using System.Diagnostics;
using Ringmaster.Shared;

namespace Ringmaster.Web.Tests;

/// <summary>
/// A bootable ISO of Debian 12's installer, made from Debian's own packages: the text installer's
/// kernel and initrd from <c>debian-installer-12-netboot-amd64</c> (fetched with <c>apt-get download</c>),
/// booted by ISOLINUX (packages <c>isolinux</c>, <c>syslinux-common</c>) on an El Torito CD made by
/// <c>genisoimage</c>. The installer runs on the serial console (and stays on VGA). Built once into the
/// checkout's <c>.state/iso</c> and reused.
/// </summary>
public static class InstallerIso
{
    private const string Package = "debian-installer-12-netboot-amd64";
    private const string InstallerFolder = "usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64";

    private static readonly SemaphoreSlim s_build = new(1, 1);

    public static async Task<string> PathAsync()
    {
        var folder = Path.Combine(SourceCheckout.Root ?? throw new InvalidOperationException("The tests run from a source checkout."), ".state", "iso");
        var iso = Path.Combine(folder, "debian-installer-12-netboot.iso");
        await s_build.WaitAsync();
        try
        {
            if (File.Exists(iso))
            {
                return iso;
            }

            Directory.CreateDirectory(folder);
            var work = Directory.CreateTempSubdirectory("rm-iso-").FullName;
            try
            {
                await RunAsync(work, "apt-get", "download", "-q", Package);
                var deb = Assert.Single(Directory.GetFiles(work, Package + "_*.deb"));
                var unpacked = Path.Combine(work, "x");
                await RunAsync(work, "dpkg-deb", "-x", deb, unpacked);
                var root = Path.Combine(work, "cd");
                Directory.CreateDirectory(Path.Combine(root, "isolinux"));
                File.Copy(Path.Combine(unpacked, InstallerFolder, "linux"), Path.Combine(root, "linux"));
                File.Copy(Path.Combine(unpacked, InstallerFolder, "initrd.gz"), Path.Combine(root, "initrd.gz"));
                File.Copy(Required("/usr/lib/ISOLINUX/isolinux.bin", "isolinux"), Path.Combine(root, "isolinux", "isolinux.bin"));
                File.Copy(Required("/usr/lib/syslinux/modules/bios/ldlinux.c32", "syslinux-common"), Path.Combine(root, "isolinux", "ldlinux.c32"));
                // The installer follows the last console= (the serial line); the kernel prints on both.
                await File.WriteAllTextAsync(Path.Combine(root, "isolinux", "isolinux.cfg"), """
                    SERIAL 0 115200
                    DEFAULT install
                    PROMPT 0
                    TIMEOUT 1
                    LABEL install
                      KERNEL /linux
                      APPEND initrd=/initrd.gz console=tty0 console=ttyS0,115200n8 ---

                    """);
                await RunAsync(work, "genisoimage", "-quiet", "-o", iso + ".new", "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat",
                    "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table", "-J", "-R", "-V", "RM_DI_12", root);
                File.Move(iso + ".new", iso, overwrite: true);
                return iso;
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }
        }
        finally
        {
            s_build.Release();
        }
    }

    private static string Required(string path, string package)
    {
        Assert.True(File.Exists(path), $"{path} is missing: install Debian's {package} package (test.sh does it).");
        return path;
    }

    private static async Task RunAsync(string directory, string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
    }
}

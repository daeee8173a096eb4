using System.Diagnostics;

namespace Ringmaster.Emulator.Tests;

/// <summary>
/// The part of <c>scripts/build-images.sh debian</c> that reads Debian's kernel packages
/// (<c>scripts/images/kernel-layout.py</c>), run on packages built from the fixture trees in
/// <c>image-fixtures/</c>: trixie's classic layout (kernel and modules in linux-image-&lt;release&gt;)
/// and sid's split one (linux-binary-&lt;release&gt; + linux-modules-&lt;release&gt;). No network.
/// </summary>
public sealed class ImageScriptTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rm-kernel-layout-");

    public void Dispose() => _work.Delete(recursive: true);

    [Theory]
    [InlineData("classic", "6.12.99+deb13-riscv64", "linux-image-6.12.99+deb13-riscv64", "boot/vmlinux-6.12.99+deb13-riscv64", "linux-image-6.12.99+deb13-riscv64")]
    [InlineData("split", "7.2.99+deb14-riscv64", "linux-binary-7.2.99+deb14-riscv64", "usr/lib/modules/7.2.99+deb14-riscv64/vmlinuz", "linux-modules-7.2.99+deb14-riscv64")]
    public void KernelLayout_EachDebianLayout_FindsKernelModulesAndRelease(string layout, string release, string kernelPackage, string kernelPath, string modulesPackage)
    {
        var debs = BuildPackages(layout);
        var extracted = Path.Combine(_work.FullName, "out");

        var (exit, stdout, stderr) = RunLayout(["--extract", extracted, .. debs]);

        Assert.True(exit == 0, stderr);
        var vars = ParseAssignments(stdout);
        Assert.Equal(release, vars["RELEASE"]);
        Assert.Equal(layout, vars["LAYOUT"]);
        Assert.Equal(kernelPackage, vars["KERNEL_PACKAGE"]);
        Assert.Equal(kernelPath, vars["KERNEL_PATH"]);
        Assert.Equal(modulesPackage, vars["MODULES_PACKAGE"]);
        // The kernel Image is the package's own file, byte for byte.
        var fixtureKernel = Directory.GetFiles(Path.Combine(FixtureRoot(), layout, kernelPackage), Path.GetFileName(kernelPath), SearchOption.AllDirectories).Single();
        Assert.Equal(File.ReadAllBytes(fixtureKernel), File.ReadAllBytes(Path.Combine(extracted, "Image")));
        // The modules tree lands under modules/<release>/kernel, whichever package held it.
        Assert.True(File.Exists(Path.Combine(extracted, "modules", release, "kernel", "drivers", "virtio", "virtio_mmio.ko.xz")));
        Assert.True(File.Exists(Path.Combine(extracted, "modules", release, "kernel", "fs", "ext4", "ext4.ko.xz")));
    }

    [Fact]
    public void KernelLayout_ReleaseComesFromPackageMetadata_NotFromTheFolderName()
    {
        // Trixie's vmlinux sits in boot/: a release read off its folder would be "boot".
        var (exit, stdout, stderr) = RunLayout(BuildPackages("classic"));

        Assert.True(exit == 0, stderr);
        Assert.Equal("6.12.99+deb13-riscv64", ParseAssignments(stdout)["RELEASE"]);
    }

    [Fact]
    public void KernelLayout_SplitLayoutWithoutItsModulesPackage_FailsNamingWhatIsMissing()
    {
        var debs = BuildPackages("split").Where(d => !Path.GetFileName(d).StartsWith("linux-modules-", StringComparison.Ordinal)).ToArray();

        var (exit, _, stderr) = RunLayout(debs);

        Assert.Equal(2, exit);
        Assert.Contains("no modules for 7.2.99+deb14-riscv64", stderr);
    }

    [Fact]
    public void KernelLayout_KernelThatIsNoRiscVImage_FailsSoTheNextSuiteIsTried()
    {
        var tree = CopyFixture("classic");
        File.WriteAllBytes(Path.Combine(tree, "linux-image-6.12.99+deb13-riscv64", "boot", "vmlinux-6.12.99+deb13-riscv64"), new byte[256]);
        var debs = Directory.GetDirectories(tree).Select(Build).ToArray();

        var (exit, _, stderr) = RunLayout(["--extract", Path.Combine(_work.FullName, "out"), .. debs]);

        Assert.Equal(2, exit);
        Assert.Contains("is not a RISC-V kernel Image", stderr);
    }

    [Fact]
    public void KernelLayout_OnlyTheMetapackage_FailsSayingNoKernelPackage()
    {
        var debs = BuildPackages("classic").Where(d => Path.GetFileName(d).StartsWith("linux-image-riscv64", StringComparison.Ordinal)).ToArray();

        var (exit, _, stderr) = RunLayout(debs);

        Assert.Equal(2, exit);
        Assert.Contains("no linux-image-<release>", stderr);
    }

    private string[] BuildPackages(string layout) => Directory.GetDirectories(CopyFixture(layout)).Select(Build).ToArray();

    private string CopyFixture(string layout)
    {
        var target = Path.Combine(_work.FullName, "trees", layout);
        foreach (var file in Directory.GetFiles(Path.Combine(FixtureRoot(), layout), "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Path.Combine(FixtureRoot(), layout), file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to, overwrite: true);
        }
        return target;
    }

    private string Build(string packageTree)
    {
        var deb = Path.Combine(_work.FullName, Path.GetFileName(packageTree) + ".deb");
        var (exit, _, stderr) = Run("dpkg-deb", ["--root-owner-group", "--build", packageTree, deb]);
        Assert.True(exit == 0, $"dpkg-deb --build {packageTree}: {stderr}");
        return deb;
    }

    private static (int Exit, string Stdout, string Stderr) RunLayout(string[] args) =>
        Run("python3", [Path.Combine(RepoRoot(), "scripts", "images", "kernel-layout.py"), .. args]);

    private static Dictionary<string, string> ParseAssignments(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1].Trim('\''));

    private static (int Exit, string Stdout, string Stderr) Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    private static string FixtureRoot() => Path.Combine(RepoRoot(), "tests", "Emulator.Tests", "image-fixtures");

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Console.sln")))
                return d.FullName;
        }
        throw new InvalidOperationException("Cannot find the repository root (Console.sln) above the test binaries.");
    }
}

namespace Ringmaster.Core.Domain;

/// <summary>MAC addresses for guests' NICs.</summary>
public static class MacAddresses
{
    /// <summary>A locally administered unicast MAC address in QEMU's 52:54:00 range.</summary>
    public static string New()
    {
        Span<byte> b = stackalloc byte[3];
        System.Security.Cryptography.RandomNumberGenerator.Fill(b);
        return $"52:54:00:{b[0]:x2}:{b[1]:x2}:{b[2]:x2}";
    }
}

namespace Ringmaster.Emulator;

/// <summary>What this emulator build is and which ISA its harts implement.</summary>
public static class EmulatorInfo
{
    public const string Version = "0.1.0";
    public const string Isa = "rv64imafdc_zicsr_zifencei";
}

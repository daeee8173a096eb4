namespace Ringmaster.Emulator.Cpu;

/// <summary>
/// Trigger Module CSRs (RISC-V debug spec 1.0, chapter "Sdtrig") for a hart that has no triggers.
/// The spec makes tselect, tdata1, tdata2, tdata3 and tinfo optional when no triggers are
/// implemented; this hart implements them so that software probing for triggers reads "none"
/// through the spec's enumeration (write 0 to tselect, read it back, read tinfo: info = 1 means
/// the selected trigger does not exist) instead of taking an illegal-instruction trap:
/// <list type="bullet">
/// <item>tselect (0x7A0): WARL, hard-wired to 0. Every index is at or above the number of triggers
/// (zero), and such writes "may result in a different value in this register than what was written".</item>
/// <item>tdata1 (0x7A1): 0, i.e. type 0 ("there is no trigger at this tselect"); with type 0, dmode
/// and data are hard-wired to 0. Writes are ignored.</item>
/// <item>tdata2, tdata3 (0x7A2, 0x7A3): 0, writes ignored (no trigger to hold their data).</item>
/// <item>tinfo (0x7A4): 1, i.e. info = 1 ("if the currently selected trigger doesn't exist, this field
/// contains 1") and version 0; writes are ignored (every field is read-only). Exactly 1, because
/// firmware compares the whole register with 1.</item>
/// </list>
/// They are machine-level CSRs (address bits 9:8 = 3): from S or U mode they raise illegal
/// instruction through the common privilege check in <see cref="CsrRead"/>. tcontrol, mcontext,
/// hcontext and scontext are left unimplemented (they trap): they only matter with triggers, and
/// Sdtrig itself is not claimed, since the spec requires an Sdtrig hart to have at least one trigger
/// (the device tree and ISA string do not list it). Nothing here holds state, so nothing is added
/// to the snapshot.
/// </summary>
internal sealed partial class Hart
{
    private const uint CsrTselect = 0x7A0, CsrTinfo = 0x7A4;

    /// <summary>tinfo when the selected trigger does not exist: version 0, info = 1 (only type 0).</summary>
    internal const ulong TinfoNoTrigger = 1;

    /// <summary>Reads tselect..tinfo (0x7A0..0x7A4): everything is 0 except tinfo.</summary>
    private static ulong TriggerCsrRead(uint csr) => csr == CsrTinfo ? TinfoNoTrigger : 0;
}

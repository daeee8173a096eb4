namespace Ringmaster.Agents.Drivers.Qemu.Qmp;

/// <summary>
/// QEMU answered a QMP command with an error: its class (<c>GenericError</c>, <c>CommandNotFound</c>,
/// <c>DeviceNotFound</c>, …) and its description, which the message carries as QEMU wrote it.
/// </summary>
public sealed class QmpException(string command, string errorClass, string description)
    : Exception($"QEMU refused '{command}': {description}")
{
    /// <summary>The command QEMU refused.</summary>
    public string Command { get; } = command;

    /// <summary>QEMU's error class, e.g. <c>GenericError</c> or <c>CommandNotFound</c>.</summary>
    public string ErrorClass { get; } = errorClass;

    /// <summary>QEMU's own description of the error.</summary>
    public string Description { get; } = description;
}

/// <summary>
/// The QMP connection ended (QEMU exited, or closed its monitor) before a command was answered or an
/// awaited event came.
/// </summary>
public sealed class QmpConnectionClosedException(string reason) : IOException(reason);

namespace Ringmaster.Core.Services;

/// <summary>How a request to a service ended, so the API can answer with the right status.</summary>
public enum ResultKind
{
    Ok,
    NotFound,
    Invalid,
    Conflict,
    Unavailable,

    /// <summary>The caller may not do this (a project member asking for an admin's action).</summary>
    Forbidden,
}

/// <summary>The outcome of a service call: a value, or why there is none.</summary>
public sealed record ServiceResult<T>(ResultKind Kind, T? Value, string? Message, IReadOnlyDictionary<string, string[]>? Errors)
{
    public static ServiceResult<T> Ok(T value) => new(ResultKind.Ok, value, null, null);
    public static ServiceResult<T> NotFound(string message) => new(ResultKind.NotFound, default, message, null);
    public static ServiceResult<T> Conflict(string message) => new(ResultKind.Conflict, default, message, null);
    public static ServiceResult<T> Unavailable(string message) => new(ResultKind.Unavailable, default, message, null);
    public static ServiceResult<T> Forbidden(string message) => new(ResultKind.Forbidden, default, message, null);
    public static ServiceResult<T> Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new(ResultKind.Invalid, default, "The request is not valid.", errors);
    public static ServiceResult<T> Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]> { [field] = [message] });
}

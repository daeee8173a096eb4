using Ringmaster.Shared;

namespace Ringmaster.Core.Services.Scaling;

/// <summary>
/// A five-field cron expression (minute hour day-of-month month day-of-week, UTC) with <c>*</c>,
/// lists, ranges and steps — what crontab(5) accepts, without names or <c>@</c> shortcuts.
/// </summary>
public sealed class CronSchedule
{
    private static readonly (int Min, int Max, string Name)[] s_fields =
    [
        (0, 59, "minute"), (0, 23, "hour"), (1, 31, "day of month"), (1, 12, "month"), (0, 7, "day of week"),
    ];

    private readonly bool[][] _allowed;
    private readonly bool _anyDayOfMonth;
    private readonly bool _anyDayOfWeek;

    private CronSchedule(bool[][] allowed, bool anyDayOfMonth, bool anyDayOfWeek)
    {
        _allowed = allowed;
        _anyDayOfMonth = anyDayOfMonth;
        _anyDayOfWeek = anyDayOfWeek;
    }

    public static bool TryParse(string? expression, out CronSchedule? schedule, out string? error)
    {
        schedule = null;
        error = null;
        var parts = (expression ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5)
        {
            error = "A schedule is five fields: minute hour day-of-month month day-of-week (UTC), e.g. '0 9 * * 1-5'.";
            return false;
        }

        var allowed = new bool[5][];
        for (var i = 0; i < 5; i++)
        {
            var (min, max, name) = s_fields[i];
            allowed[i] = new bool[max + 1];
            foreach (var item in parts[i].Split(','))
            {
                if (!TryItem(item, min, max, allowed[i]))
                {
                    error = $"The {name} field '{InputText.Clip(parts[i], 32)}' is not valid: use *, a number {min}–{max}, a range a-b, a list a,b or a step */n.";
                    return false;
                }
            }
        }

        if (allowed[4][7])
        {
            allowed[4][0] = true;
        }

        schedule = new CronSchedule(allowed, parts[2] == "*", parts[4] == "*");
        return true;
    }

    private static bool TryItem(string item, int min, int max, bool[] allowed)
    {
        var step = 1;
        var slash = item.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!int.TryParse(item[(slash + 1)..], out step) || step < 1)
            {
                return false;
            }

            item = item[..slash];
        }

        int from, to;
        if (item == "*")
        {
            (from, to) = (min, max);
        }
        else if (item.Split('-') is [var a, var b])
        {
            if (!int.TryParse(a, out from) || !int.TryParse(b, out to))
            {
                return false;
            }
        }
        else if (int.TryParse(item, out from))
        {
            to = slash >= 0 ? max : from;
        }
        else
        {
            return false;
        }

        if (from < min || to > max || from > to)
        {
            return false;
        }

        for (var v = from; v <= to; v += step)
        {
            allowed[v] = true;
        }

        return true;
    }

    /// <summary>Whether the minute that contains <paramref name="at"/> (UTC) is one of the schedule's.</summary>
    public bool Matches(DateTimeOffset at)
    {
        var t = at.UtcDateTime;
        var dayOfMonth = _allowed[2][t.Day];
        var dayOfWeek = _allowed[4][(int)t.DayOfWeek];
        // crontab(5): when both day fields are restricted, either one matching is enough.
        var day = _anyDayOfMonth || _anyDayOfWeek ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek;
        return _allowed[0][t.Minute] && _allowed[1][t.Hour] && _allowed[3][t.Month] && day;
    }

}

using System.Globalization;

namespace Ringmaster.Core.Services;

/// <summary>
/// Which points in time to keep, as Proxmox Backup Server prunes: keep-last N keeps the newest N;
/// then keep-daily N keeps the newest point of each of the newest N days not yet covered by a kept
/// point, and keep-weekly N the same per ISO week. A point any rule keeps is kept; the rest go.
/// With no rule at all everything is kept.
/// </summary>
public static class Retention
{
    public static IReadOnlySet<T> Keep<T>(IEnumerable<T> items, Func<T, DateTime> at, int keepLast, int keepDaily, int keepWeekly)
        where T : notnull
    {
        var list = items.OrderByDescending(at).ToList();
        if (keepLast <= 0 && keepDaily <= 0 && keepWeekly <= 0)
        {
            return list.ToHashSet();
        }

        var keep = new HashSet<T>();
        var decided = new HashSet<T>();
        foreach (var item in list.Take(Math.Max(0, keepLast)))
        {
            keep.Add(item);
            decided.Add(item);
        }

        Mark(list, at, keepDaily, d => d.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), keep, decided);
        Mark(list, at, keepWeekly, d => $"{ISOWeek.GetYear(d)}-W{ISOWeek.GetWeekOfYear(d)}", keep, decided);
        return keep;
    }

    private static void Mark<T>(List<T> newestFirst, Func<T, DateTime> at, int count, Func<DateTime, string> period, HashSet<T> keep, HashSet<T> decided)
        where T : notnull
    {
        if (count <= 0)
        {
            return;
        }

        var covered = keep.Select(k => period(at(k))).ToHashSet();
        var chosen = new HashSet<string>();
        foreach (var item in newestFirst)
        {
            if (decided.Contains(item))
            {
                continue;
            }

            var p = period(at(item));
            if (covered.Contains(p))
            {
                continue;
            }

            if (chosen.Add(p))
            {
                if (chosen.Count > count)
                {
                    break;
                }

                keep.Add(item);
            }

            decided.Add(item);
        }
    }
}

namespace LoraDsl.Data;

/// <summary>
/// Counts the classes found in classification data and spots the one a typo made: a class far rarer than the
/// others whose name is one or two edits (or only case) away from a common class.
/// </summary>
internal static class LabelCensus
{
    /// <summary>A warning listing every class and its count, or null when no class looks like a typo of another.</summary>
    public static string? Warning(IReadOnlyList<string> labels, IEnumerable<TokenizedExample> examples, IReadOnlyList<string> files)
    {
        if (labels.Count < 2) return null;
        var counts = new int[labels.Count];
        foreach (var e in examples) if (e.Labels.Length > 0 && e.Labels[0] >= 0 && e.Labels[0] < counts.Length) counts[e.Labels[0]]++;
        var total = counts.Sum();
        var suspects = new List<string>();
        for (var i = 0; i < labels.Count; i++)
        {
            if (counts[i] * 20 > total) continue; // 5 % or more: a real class
            var twin = Enumerable.Range(0, labels.Count).Where(j => j != i && counts[j] > counts[i] * 10)
                .FirstOrDefault(j => Close(labels[i], labels[j]), -1);
            if (twin >= 0) suspects.Add($"'{labels[i]}' ({counts[i]}) looks like a typo of '{labels[twin]}' ({counts[twin]})");
        }
        if (suspects.Count == 0) return null;
        return $"{string.Join(", ", files)}: {string.Join("; ", suspects)}. Classes and counts: " +
               string.Join(", ", labels.Select((l, i) => $"{l} {counts[i]}")) + ". Fix the data or set data.labels.";
    }

    static bool Close(string a, string b) =>
        string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase) || EditDistance(a.ToLowerInvariant(), b.ToLowerInvariant()) <= 2;

    static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}

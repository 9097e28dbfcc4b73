// Linked into generators/LoraDsl.Generators: one parser for "0..4" at compile time and at run time.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace LoraDsl.Dsl;

/// <summary>
/// Layers a target is limited to: an index ("3"), a C#-style range with exclusive end ("0..4",
/// "..4", "8.."), or a comma list of those ("0,2,4"). Open ends are bounded by the model's depth.
/// </summary>
public sealed class LayerSelection
{
    private readonly (int Start, int? End)[] ranges;

    private LayerSelection(string text, (int Start, int? End)[] ranges)
    {
        Text = text;
        this.ranges = ranges;
    }

    public string Text { get; }

    /// <summary>The largest layer index named explicitly (an exclusive range end counts as end - 1).</summary>
    public int HighestNamedLayer
    {
        get
        {
            var highest = -1;
            foreach (var (start, end) in ranges) highest = Math.Max(highest, end is { } e ? e - 1 : start);
            return highest;
        }
    }

    public bool Contains(int layer)
    {
        foreach (var (start, end) in ranges)
            if (layer >= start && (end is null || layer < end)) return true;
        return false;
    }

    /// <summary>Whether some layer below <paramref name="depth"/> is in both selections.</summary>
    public bool Overlaps(LayerSelection other, int depth)
    {
        for (var layer = 0; layer < depth; layer++)
            if (Contains(layer) && other.Contains(layer)) return true;
        return false;
    }

    /// <summary>Parses <paramref name="text"/>; null when malformed (an empty or inverted range is malformed).</summary>
    public static LayerSelection? TryParse(string text)
    {
        var parts = text.Split(',');
        var ranges = new List<(int, int?)>(parts.Length);
        foreach (var raw in parts)
        {
            var part = raw.Trim();
            var dots = part.IndexOf("..", StringComparison.Ordinal);
            if (dots < 0)
            {
                if (!TryIndex(part, out var index)) return null;
                ranges.Add((index, index + 1));
                continue;
            }
            var left = part.Substring(0, dots).Trim();
            var right = part.Substring(dots + 2).Trim();
            var start = 0;
            int? end = null;
            if (left.Length > 0 && !TryIndex(left, out start)) return null;
            if (right.Length > 0)
            {
                if (!TryIndex(right, out var e) || e <= start) return null;
                end = e;
            }
            ranges.Add((start, end));
        }
        return new LayerSelection(text, ranges.ToArray());
    }

    private static bool TryIndex(string text, out int index) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out index);

    public override string ToString() => Text;
}

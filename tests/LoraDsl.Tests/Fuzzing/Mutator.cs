using System.Text;

namespace LoraDsl.Tests.Fuzzing;

/// <summary>Seeded mutations of file contents: byte flips, cuts, inserted junk, digits and JSON tokens changed.</summary>
sealed class Mutator(int seed)
{
    readonly Random random = new(seed);

    public Random Random => random;

    public byte[] Bytes(byte[] original, int protectedPrefix = 0)
    {
        var b = (byte[])original.Clone();
        switch (random.Next(5))
        {
            case 0: // flip a few bytes
                for (var i = 0; i < 1 + random.Next(4); i++)
                {
                    var at = protectedPrefix + random.Next(Math.Max(1, b.Length - protectedPrefix));
                    if (at < b.Length) b[at] ^= (byte)(1 << random.Next(8));
                }
                return b;
            case 1: // truncate
                return b[..random.Next(b.Length)];
            case 2: // random junk of the same length range
                var junk = new byte[random.Next(b.Length + 16)];
                random.NextBytes(junk);
                return junk;
            case 3: // set a byte of the first 16 (length fields, headers) to an extreme
                if (b.Length > 0) b[random.Next(Math.Min(16, b.Length))] = random.Next(2) == 0 ? (byte)0xFF : (byte)0;
                return b;
            default: // duplicate a chunk in the middle
                var cut = random.Next(b.Length + 1);
                var length = random.Next(Math.Min(64, b.Length - cut) + 1);
                return [.. b[..cut], .. b.AsSpan(cut, length), .. b[cut..]];
        }
    }

    /// <summary>Text edits that keep most of the structure: digits changed, tokens dropped, types swapped, cut short.</summary>
    public string Text(string original)
    {
        var s = new StringBuilder(original);
        switch (random.Next(6))
        {
            case 0: // change a digit run into another number (kept small: huge sizes would only test the allocator)
                var digits = Enumerable.Range(0, s.Length).Where(i => char.IsDigit(s[i])).ToList();
                if (digits.Count > 0)
                {
                    var at = digits[random.Next(digits.Count)];
                    var end = at;
                    while (end < s.Length && char.IsDigit(s[end])) end++;
                    s.Remove(at, end - at).Insert(at, new[] { "0", "-1", "7", "1.5", "99", "3e2", "-0" }[random.Next(7)]);
                }
                return s.ToString();
            case 1: // delete one structural character
                var structural = Enumerable.Range(0, s.Length).Where(i => "{}[],:\"".Contains(s[i])).ToList();
                if (structural.Count > 0) s.Remove(structural[random.Next(structural.Count)], 1);
                return s.ToString();
            case 2: // cut short
                return original[..random.Next(original.Length + 1)];
            case 3: // swap a value for another JSON type
                var colon = Enumerable.Range(0, s.Length).Where(i => s[i] == ':').ToList();
                if (colon.Count == 0) return s.ToString();
                var start = colon[random.Next(colon.Count)] + 1;
                var stop = start;
                var depth = 0;
                while (stop < s.Length && !(depth == 0 && (s[stop] == ',' || s[stop] == '}')))
                {
                    if (s[stop] is '[' or '{') depth++;
                    if (s[stop] is ']' or '}') depth--;
                    stop++;
                }
                s.Remove(start, stop - start).Insert(start, new[] { "null", "\"x\"", "[]", "{}", "true", "[1,\"a\"]", "-3" }[random.Next(7)]);
                return s.ToString();
            case 4: // insert junk characters
                s.Insert(random.Next(s.Length + 1), new[] { "\"", "\\", "\0", "\u00e9", ",,", "\n", "NaN" }[random.Next(7)]);
                return s.ToString();
            default: // drop a line
                var lines = original.Split('\n').ToList();
                if (lines.Count > 1) lines.RemoveAt(random.Next(lines.Count));
                return string.Join('\n', lines);
        }
    }
}

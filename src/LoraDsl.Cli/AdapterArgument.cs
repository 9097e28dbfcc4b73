using LoraDsl.Adapters;

namespace LoraDsl.Cli;

/// <summary>One <c>--adapter</c> value: <c>NAME=DIR</c>, or a bare <c>DIR</c> loaded as "default".</summary>
sealed record AdapterArgument(string Name, string Directory)
{
    public const string DefaultName = "default";

    /// <summary>Reads every <c>--adapter</c> value; names must differ, and only one may be bare.</summary>
    public static IReadOnlyList<AdapterArgument> ParseAll(IReadOnlyList<string>? values)
    {
        var parsed = (values ?? []).Select(Parse).ToList();
        foreach (var group in parsed.GroupBy(a => a.Name).Where(g => g.Count() > 1))
            throw new ArgumentException(group.Key == DefaultName && parsed.Count > 1
                ? $"--adapter: with several adapters give each a name, --adapter NAME=DIR ({group.Count()} are named '{DefaultName}')."
                : $"--adapter: the name '{group.Key}' is given {group.Count()} times.");
        return parsed;
    }

    /// <summary>NAME=DIR when the text before '=' is a valid adapter name and the whole value is not itself a folder.</summary>
    public static AdapterArgument Parse(string value)
    {
        var split = value.IndexOf('=');
        if (split <= 0 || System.IO.Directory.Exists(value)) return new AdapterArgument(DefaultName, value);
        var name = value[..split];
        var directory = value[(split + 1)..];
        try
        {
            ModelAdapters.ValidateName(name);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--adapter '{value}': {e.Message}", e);
        }
        if (directory.Length == 0) throw new ArgumentException($"--adapter '{value}': no folder after '='.");
        return new AdapterArgument(name, directory);
    }

    /// <summary><c>--use a,b</c>: the adapters to activate; null for <c>--use base</c> (adapters disabled) or when not given (empty).</summary>
    public static IReadOnlyList<string>? ParseUse(string? use)
    {
        if (use is null) return [];
        var names = use.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new ArgumentException("--use: give adapter names (a,b) or 'base'.");
        if (names.Contains("base"))
            return names.Length == 1 ? null : throw new ArgumentException("--use: 'base' means no adapter and cannot be combined with adapter names.");
        return names;
    }
}

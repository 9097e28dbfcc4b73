using System.Globalization;
using LoraDsl.Dsl;

namespace LoraDsl.Recipes.Settings;

/// <summary>One row of <see cref="RecipeSettings"/>: a catalog entry with its reader and writer over a recipe definition.</summary>
internal sealed class RecipeSetting
{
    readonly Func<RecipeDefinition, object?> read;
    readonly Func<RecipeDefinition, string, RecipeDefinition> write;

    internal RecipeSetting(SettingInfo info, Func<RecipeDefinition, object?> read, Func<RecipeDefinition, string, RecipeDefinition> write)
    {
        Info = info;
        this.read = read;
        this.write = write;
    }

    internal SettingInfo Info { get; }

    public string Key => Info.Key;

    /// <summary>The value in <paramref name="recipe"/> (int, double, bool, string, enum, a list, or null when unset).</summary>
    public object? Read(RecipeDefinition recipe) => read(recipe);

    /// <summary>The value as <c>--set</c> would write it ("1E-03" style numbers in the invariant culture; lists comma-separated).</summary>
    public string? ReadText(RecipeDefinition recipe) => Text(read(recipe));

    /// <summary>The numeric value a range rule applies to, or null for other kinds and unset values.</summary>
    public double? ReadNumber(RecipeDefinition recipe) => read(recipe) switch
    {
        int i => i,
        double d => d,
        _ => null,
    };

    /// <summary>Parses <paramref name="value"/> as <c>--set</c> gives it; throws <see cref="RecipeValidationException"/> naming the key.</summary>
    public RecipeDefinition Write(RecipeDefinition recipe, string value) => write(recipe, value);

    internal static string? Text(object? value) => value switch
    {
        null => null,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string s => s,
        IEnumerable<string> list => string.Join(",", list),
        _ => value.ToString(),
    };
}

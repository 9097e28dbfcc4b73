using LoraDsl.Adapters.Combination;
using LoraDsl.Adapters.Start;

namespace LoraDsl.Recipes;

/// <summary>
/// The <c>r.StartFrom(s => ...)</c> part of a recipe: the saved adapter its adapters start from (continue training,
/// PEFT's <c>from_pretrained(..., is_trainable=True)</c>), or several combined first (PEFT's <c>add_weighted_adapter</c>).
/// Naming a recipe type (<c>s.Adapter&lt;SotuRecipe&gt;()</c>) starts from the adapter that recipe writes, and lets the
/// compiler check ranks and targets (LORA027, LORA028).
/// </summary>
public sealed class StartBuilder
{
    readonly RecipeBuilder recipe;

    internal StartBuilder(RecipeBuilder recipe) => this.recipe = recipe;

    /// <summary>A PEFT adapter folder; its name is the folder's (or "start" for a run's <c>adapter</c> folder).</summary>
    public StartBuilder Adapter(string directory, double weight = 1.0) => Add(new StartingAdapter(NameOf(directory, Current.Adapters.Count), directory, weight));

    /// <summary>A PEFT adapter folder under <paramref name="name"/> (the name it has in the combination).</summary>
    public StartBuilder Adapter(string name, string directory, double weight = 1.0) => Add(new StartingAdapter(name, directory, weight));

    /// <summary>The adapter <typeparamref name="TRecipe"/> writes (its output folder's <c>adapter</c>), under that recipe's name.</summary>
    public StartBuilder Adapter<TRecipe>(double weight = 1.0) where TRecipe : IRecipe
    {
        var source = RecipeReference.Resolve<TRecipe>(recipe.Name);
        return Add(new StartingAdapter(AdapterName(source.Name), Path.Combine(source.Training.OutputDirectory, Training.RunFolder.AdapterName), weight, source.Name));
    }

    /// <summary>Combines the adapters with <paramref name="method"/> (PEFT's combination_type; default svd) before training.</summary>
    public StartBuilder Combine(CombinationMethod method) => Set(s => s with { Method = method });

    /// <summary>The adapters' weights in the combination, in the order they were named.</summary>
    public StartBuilder Weights(params double[] weights)
    {
        if (weights.Length != Current.Adapters.Count)
            throw new RecipeValidationException($"Recipe '{recipe.Name}': start.weights has {weights.Length} values for {Current.Adapters.Count} start adapters.");
        return Set(s => s with { Adapters = [.. s.Adapters.Select((a, i) => a with { Weight = weights[i] })] });
    }

    /// <summary>The fraction of entries the pruning methods keep (ties, dare_*, magnitude_prune*).</summary>
    public StartBuilder Density(double density) => Set(s => s with { Density = density });

    /// <summary>The rank the svd forms truncate to.</summary>
    public StartBuilder SvdRank(int rank) => Set(s => s with { SvdRank = rank });

    AdapterStart Current => recipe.Draft.Start ?? new AdapterStart();

    StartBuilder Add(StartingAdapter adapter) => Set(s => s with { Adapters = [.. s.Adapters, adapter] });

    StartBuilder Set(Func<AdapterStart, AdapterStart> change)
    {
        recipe.Draft = recipe.Draft with { Start = change(Current) };
        return this;
    }

    /// <summary>A name for a folder given without one: its own name, or its parent's for a run's "adapter" folder.</summary>
    internal static string NameOf(string directory, int index)
    {
        var trimmed = directory.TrimEnd('/', '\\');
        var name = Path.GetFileName(trimmed);
        if (name == Training.RunFolder.AdapterName) name = Path.GetFileName(Path.GetDirectoryName(trimmed) ?? "");
        name = AdapterName(name);
        return name.Length == 0 ? $"start{index}" : name;
    }

    /// <summary>A recipe or folder name as an adapter name (letters, digits, '_' and '-').</summary>
    internal static string AdapterName(string name) =>
        new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_')]);
}

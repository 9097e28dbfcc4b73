using System.Globalization;
using LoraDsl.Adapters.Combination;
using LoraDsl.Checkpoints;
using LoraDsl.Dsl;
using LoraDsl.Engine;
using LoraDsl.Lora;
using LoraDsl.Models;
using static TorchSharp.torch;

namespace LoraDsl.Adapters.Start;

/// <summary>
/// Fills a recipe's freshly placed adapters from <see cref="Recipes.RecipeDefinition.Start"/> before the first step:
/// the saved adapter itself (continue training), or the combination of several, written to the run folder's
/// <see cref="CombinedFolderName"/> first so the run keeps what it started from. The start must fit the recipe exactly:
/// the same modules, ranks (and for one adapter alphas, rsLoRA and DoRA), and labels; anything else is one
/// <see cref="AdapterMismatchException"/> naming the file and the field, never dropped weights.
/// </summary>
internal static class StartingPoint
{
    /// <summary>The run-folder subfolder holding a combined starting adapter.</summary>
    public const string CombinedFolderName = "start-adapter";

    // The name the combination has on the model while it is made (deleted again before training).
    const string CombinedName = "__start__";

    /// <summary>Loads the start into <paramref name="adapters"/> (through <paramref name="store"/>) and returns the folder loaded; null (nothing done) for a recipe without a start.</summary>
    /// <param name="labels">The run's class names (classification), checked against the adapter's labels.json.</param>
    public static string? Apply(Recipes.RecipeDefinition recipe, PretrainedModel model, LoraInjection adapters, PeftAdapterStore store,
        string? baseModelNameOrPath, string output, IReadOnlyList<string> labels, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        if (recipe.Start is not { } start) return null;
        string folder;
        if (start.Combines)
        {
            folder = Path.Combine(output, CombinedFolderName);
            Combine(model, start, (ulong)recipe.Training.Seed, folder, baseModelNameOrPath);
            log($"start: {start.Describe()} -> {folder}");
        }
        else
        {
            folder = start.Adapters[0].Directory;
            log($"start: continuing from {start.Describe()}");
        }

        var source = start.Combines ? $"the combination in '{folder}'" : $"adapter '{folder}'";
        var scalings = RequireFits(recipe, model, adapters, folder, source, exactScaling: !start.Combines);
        RequireLabels(recipe.Name, folder, source, labels);
        store.Load(folder);
        // A combination has scaling 1 (alpha = r); the recipe's adapter keeps its own alpha, so B carries the ratio.
        using (no_grad())
            foreach (var module in adapters.Modules)
                if (scalings[module.Path] is var file && file != module.Adapter.Scaling)
                    module.Adapter.B.mul_(file / module.Adapter.Scaling);
        return folder;
    }

    static void Combine(PretrainedModel model, AdapterStart start, ulong seed, string folder, string? baseModelNameOrPath)
    {
        var onModel = ModelAdapters.Of(model);
        // Loading adapters freezes what they do not train; the recipe's adapter must train as placed.
        var trainable = model.parameters().Select(p => (Parameter: p, p.requires_grad)).ToList();
        var placed = new List<string>();
        try
        {
            foreach (var adapter in start.Adapters)
            {
                RequireFolder(adapter.Directory);
                onModel.Load(adapter.Name, adapter.Directory);
                placed.Add(adapter.Name);
            }
            var combined = AdapterCombiner.Combine(model, [.. start.Adapters.Select(a => new WeightedAdapter(a.Name, a.Weight))], CombinedName,
                start.CombinationOptions(seed));
            placed.Add(CombinedName);
            AdapterWriter.Save(folder, model, combined, baseModelNameOrPath);
        }
        finally
        {
            // The inputs and the combination leave the model: the recipe's adapter alone trains.
            foreach (var name in Enumerable.Reverse(placed)) onModel.Delete(name);
            foreach (var (parameter, requiresGrad) in trainable) parameter.requires_grad = requiresGrad;
        }
    }

    static void RequireFolder(string directory)
    {
        if (!File.Exists(Path.Combine(directory, AdapterFiles.ConfigFile)))
            throw new AdapterMismatchException($"Starting adapter '{directory}' has no {AdapterFiles.ConfigFile}; name a PEFT adapter folder (a run's adapter/ folder).");
    }

    // Every tensor the file holds is one the recipe's adapter reads, and the other way round; per module the ranks (and,
    // continuing one adapter, alpha, rsLoRA and DoRA) are the recipe's. Returns the file's scaling per module.
    static Dictionary<string, double> RequireFits(Recipes.RecipeDefinition recipe, PretrainedModel model, LoraInjection adapters, string folder, string source, bool exactScaling)
    {
        RequireFolder(folder);
        var config = AdapterConfig.Read(Path.Combine(folder, AdapterFiles.ConfigFile));
        if (config.PeftType != "LORA")
            throw new AdapterMismatchException($"Recipe '{recipe.Name}' starts from {source}, a {config.PeftType} adapter ({Path.Combine(folder, AdapterFiles.ConfigFile)}: peft_type); a recipe continues plain LoRA adapters only.");
        var file = Path.Combine(folder, AdapterFiles.WeightsFile);
        if (!File.Exists(file)) throw new CheckpointFormatException($"Adapter weights '{file}' do not exist.");
        var stored = SafetensorsFile.Open(file).Names.ToHashSet(StringComparer.Ordinal);

        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var module in adapters.Modules)
        {
            var embedding = module.Layer.Base.TakesTokenIds;
            expected[AdapterFiles.LoraA(module.Path, embedding)] = module.Path;
            expected[AdapterFiles.LoraB(module.Path, embedding)] = module.Path;
            foreach (var (name, _) in module.Adapter.ExtraParameters) expected[AdapterFiles.Extra(module.Path, name)] = module.Path;
        }
        foreach (var (name, _) in AdapterWriter.SavedParameters(model, adapters)) expected[AdapterFiles.Parameter(name)] = name;

        if (stored.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).FirstOrDefault() is { } extra)
            throw new AdapterMismatchException($"{file}: " + Text(DslMessages.StartAdaptsUntargetedModule, recipe.Name, source, ModuleOf(extra)) + ".");
        if (expected.Keys.Where(k => !stored.Contains(k)).Order(StringComparer.Ordinal).FirstOrDefault() is { } missing)
            throw new AdapterMismatchException($"{file}: " + Text(DslMessages.StartMissesTargetedModule, recipe.Name, source, expected[missing]) + ".");

        var configFile = Path.Combine(folder, AdapterFiles.ConfigFile);
        var scalings = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var module in adapters.Modules)
        {
            var live = module.Adapter.Options;
            var saved = config.OptionsFor(module.Path, live.AdapterName);
            var at = $"{source} ({configFile}: {{0}} on '{module.Path}')";
            if (saved.Rank != live.Rank)
                throw Mismatch(recipe.Name, string.Format(CultureInfo.InvariantCulture, at, $"r={saved.Rank}"), live.Rank.ToString(CultureInfo.InvariantCulture),
                    Dsl.PeftModuleMatch.PatternKey(live.RankPattern.Keys, module.Path) is null ? "lora.r" : "lora.rank_pattern");
            if (saved.UseDora != live.UseDora)
                throw Mismatch(recipe.Name, string.Format(CultureInfo.InvariantCulture, at, $"use_dora={Bool(saved.UseDora)}"), Bool(live.UseDora), "lora.use_dora");
            if (exactScaling && saved.UseRsLora != live.UseRsLora)
                throw Mismatch(recipe.Name, string.Format(CultureInfo.InvariantCulture, at, $"use_rslora={Bool(saved.UseRsLora)}"), Bool(live.UseRsLora), "lora.use_rslora");
            if (exactScaling && saved.Alpha != live.Alpha)
                throw Mismatch(recipe.Name, string.Format(CultureInfo.InvariantCulture, at, $"lora_alpha={Number(saved.Alpha)}"), Number(live.Alpha),
                    Dsl.PeftModuleMatch.PatternKey(live.AlphaPattern.Keys, module.Path) is null ? "lora.alpha" : "lora.alpha_pattern");
            scalings[module.Path] = saved.Scaling;
        }
        return scalings;
    }

    static void RequireLabels(string recipe, string folder, string source, IReadOnlyList<string> labels)
    {
        if (LabelFile.TryRead(folder) is not { } saved || labels.Count == 0 || saved.SequenceEqual(labels, StringComparer.Ordinal)) return;
        throw new AdapterMismatchException(
            $"{Path.Combine(folder, LabelFile.FileName)}: recipe '{recipe}' starts from {source}, trained on labels [{string.Join(", ", saved)}], " +
            $"but its data has [{string.Join(", ", labels)}]; the classifier's rows would mean other classes (set data.labels to the adapter's order).");
    }

    static AdapterMismatchException Mismatch(string recipe, string source, string value, string setting) =>
        new(Text(DslMessages.StartDoesNotFit, recipe, source, value, setting) + ".");

    // "base_model.model.x.y.lora_A.weight" → "x.y"; a plain parameter stays itself.
    static string ModuleOf(string key)
    {
        var name = key.StartsWith(AdapterFiles.TensorPrefix, StringComparison.Ordinal) ? key[AdapterFiles.TensorPrefix.Length..] : key;
        var lora = name.IndexOf(".lora_", StringComparison.Ordinal);
        return lora > 0 ? name[..lora] : name;
    }

    static string Text(string format, params object[] arguments) => string.Format(CultureInfo.InvariantCulture, format, arguments);

    static string Bool(bool value) => value ? "true" : "false";

    static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}

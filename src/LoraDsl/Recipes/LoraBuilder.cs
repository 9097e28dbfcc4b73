using LoraDsl.Dsl;
using LoraDsl.Lora;

namespace LoraDsl.Recipes;

/// <summary>The <c>r.Lora(l => ...)</c> part of a recipe: hyperparameters and targets.</summary>
public sealed class LoraBuilder
{
    readonly RecipeBuilder recipe;

    internal LoraBuilder(RecipeBuilder recipe) => this.recipe = recipe;

    public LoraBuilder Rank(int rank) => Set(o => o with { Rank = rank });

    public LoraBuilder Alpha(double alpha) => Set(o => o with { Alpha = alpha });

    public LoraBuilder Dropout(double dropout) => Set(o => o with { Dropout = dropout });

    public LoraBuilder RsLora(bool enabled = true) => Set(o => o with { UseRsLora = enabled });

    public LoraBuilder Dora(bool enabled = true) => Set(o => o with { UseDora = enabled });

    public LoraBuilder Bias(LoraBias bias) => Set(o => o with { Bias = bias });

    public LoraBuilder Init(LoraInit init) => Set(o => o with { Init = init });

    /// <summary>PiSSA with a fast randomized SVD of <paramref name="iterations"/> subspace iterations (PEFT's "pissa_niter_N").</summary>
    public LoraBuilder PissaIterations(int iterations) => Set(o => o with { PissaIterations = iterations });

    public LoraBuilder ModulesToSave(params string[] modules) => Set(o => o with { ModulesToSave = modules });

    /// <summary>AdaLoRA (PEFT's ADALORA): ranks pruned from init_r to target_r on average by importance.</summary>
    public LoraBuilder AdaLora(bool enabled = true) => SetRecipe(r => r with { UseAdaLora = enabled });

    public LoraBuilder AdaLoraTargetR(int rank) => SetAdaLora(a => a with { TargetR = rank });

    public LoraBuilder AdaLoraInitR(int rank) => SetAdaLora(a => a with { InitR = rank });

    public LoraBuilder AdaLoraTInit(int steps) => SetAdaLora(a => a with { TInit = steps });

    public LoraBuilder AdaLoraTFinal(int steps) => SetAdaLora(a => a with { TFinal = steps });

    public LoraBuilder AdaLoraDeltaT(int steps) => SetAdaLora(a => a with { DeltaT = steps });

    public LoraBuilder AdaLoraBeta1(double beta) => SetAdaLora(a => a with { Beta1 = beta });

    public LoraBuilder AdaLoraBeta2(double beta) => SetAdaLora(a => a with { Beta2 = beta });

    public LoraBuilder AdaLoraOrthRegWeight(double weight) => SetAdaLora(a => a with { OrthRegWeight = weight });

    public LoraBuilder AdaLoraTotalStep(int steps) => SetAdaLora(a => a with { TotalStep = steps });

    public LoraBuilder Target(params ArchitectureModule[] modules) => Add(modules.Select(m => TargetSpec.ForModule(m)));

    public LoraBuilder Target(params ModuleRole[] roles) => Add(roles.Select(r => TargetSpec.ForRole(r)));

    /// <summary>
    /// By name: a module whose path equals the name or ends with "." + name (PEFT's rule); "all-linear" is PEFT's shorthand
    /// for every Linear/Conv1D module except the output head (<see cref="Dsl.Preset.AllLinear"/>).
    /// </summary>
    public LoraBuilder Target(params string[] names) => Add(names.Select(TargetSpecFor));

    /// <summary>PEFT's target_modules as one string: every Linear/Conv1D/Embedding module whose full path the regex matches entirely.</summary>
    public LoraBuilder TargetRegex(string pattern) => Set(o => o with { Selection = o.Selection with { TargetRegex = pattern } });

    /// <summary>PEFT's exclude_modules: modules never adapted (full path or ".name" suffix), whatever the targets select.</summary>
    public LoraBuilder Exclude(params string[] names) =>
        Set(o => o with { Selection = o.Selection with { ExcludeModules = [.. o.Selection.ExcludeModules, .. names] } });

    /// <summary>Excludes a declared module in every layer (its PEFT name in exclude_modules).</summary>
    public LoraBuilder Exclude(params ArchitectureModule[] modules) =>
        Exclude(modules.Select(m => PeftModuleMatch.EntryFor(m.Name, m.PathTemplate)).ToArray());

    /// <summary>PEFT's layers_to_transform: only modules in these layer indices are adapted.</summary>
    public LoraBuilder LayersToTransform(params int[] layers) => Set(o => o with { Selection = o.Selection with { LayersToTransform = layers } });

    /// <summary>PEFT's layers_pattern: the module list the layer index follows ("layers", "h"); default: any.</summary>
    public LoraBuilder LayersPattern(string pattern) => Set(o => o with { Selection = o.Selection with { LayersPattern = pattern } });

    /// <summary>PEFT's rank_pattern: modules whose name matches <paramref name="key"/> (a regex against the end of the path) get rank <paramref name="rank"/>.</summary>
    public LoraBuilder RankPattern(string key, int rank) => Set(o => o with { RankPattern = With(o.RankPattern, key, rank) });

    /// <summary>A declared module's rank in every layer (rank_pattern keyed by its name).</summary>
    public LoraBuilder RankPattern(ArchitectureModule module, int rank) => RankPattern(PeftModuleMatch.PatternKeyFor(module.Name, module.PathTemplate), rank);

    /// <summary>PEFT's alpha_pattern: modules whose name matches <paramref name="key"/> get alpha <paramref name="alpha"/>.</summary>
    public LoraBuilder AlphaPattern(string key, double alpha) => Set(o => o with { AlphaPattern = With(o.AlphaPattern, key, alpha) });

    /// <summary>A declared module's alpha in every layer (alpha_pattern keyed by its name).</summary>
    public LoraBuilder AlphaPattern(ArchitectureModule module, double alpha) => AlphaPattern(PeftModuleMatch.PatternKeyFor(module.Name, module.PathTemplate), alpha);

    public LoraBuilder Target(TargetSet targets) => Add(targets.Targets);

    public LoraBuilder Preset(Preset preset) => Add([TargetSpec.ForPreset(preset)]);

    /// <summary>Targets limited to <paramref name="layers"/> ("3", "0..4" end exclusive, "8..", "0,2,4").</summary>
    public LoraBuilder TargetLayers(string layers, params ArchitectureModule[] modules) => Add(modules.Select(m => TargetSpec.ForModule(m, layers)));

    public LoraBuilder TargetLayers(string layers, params ModuleRole[] roles) => Add(roles.Select(r => TargetSpec.ForRole(r, layers)));

    public LoraBuilder TargetLayers(string layers, params string[] names) => Add(names.Select(n => TargetSpec.ForName(n, layers)));

    public LoraBuilder PresetLayers(string layers, Preset preset) => Add([TargetSpec.ForPreset(preset, layers)]);

    /// <summary>PEFT's "all-linear" (any case, as PEFT lower-cases it) is the AllLinear preset; any other name is a name target.</summary>
    internal static TargetSpec TargetSpecFor(string name) =>
        string.Equals(name, PeftModuleMatch.AllLinear, StringComparison.OrdinalIgnoreCase) ? TargetSpec.ForPreset(Dsl.Preset.AllLinear) : TargetSpec.ForName(name);

    // A pattern keeps PEFT's dict order: a new key goes last, a repeated key keeps its place with the new value.
    static IReadOnlyDictionary<string, T> With<T>(IReadOnlyDictionary<string, T> pattern, string key, T value)
    {
        var result = new Dictionary<string, T>(pattern.Count + 1);
        foreach (var (k, v) in pattern) result[k] = v;
        result[key] = value;
        return result;
    }

    LoraBuilder Set(Func<LoraOptions, LoraOptions> change)
    {
        recipe.Draft = recipe.Draft with { Lora = change(recipe.Draft.Lora) };
        return this;
    }

    LoraBuilder SetAdaLora(Func<AdaLora.AdaLoraOptions, AdaLora.AdaLoraOptions> change) => SetRecipe(r => r with { AdaLora = change(r.AdaLora) });

    LoraBuilder SetRecipe(Func<RecipeDefinition, RecipeDefinition> change)
    {
        recipe.Draft = change(recipe.Draft);
        return this;
    }

    LoraBuilder Add(IEnumerable<TargetSpec> targets)
    {
        var set = recipe.Draft.Targets;
        foreach (var target in targets) set = set.Add(target);
        recipe.Draft = recipe.Draft with { Targets = set };
        return this;
    }
}

using LoraDsl.Data;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Recipes.Settings;
using LoraDsl.Training;

namespace LoraDsl.Recipes;

/// <summary>
/// The one model of a recipe: what it says (attributes, then Configure, then <c>--set</c> overrides), validated once.
/// The generated <c>Run</c>, the CLI, run.json and <c>reproduce</c> all read this record.
/// </summary>
public sealed record RecipeDefinition(
    string Name,
    ArchitectureDescriptor Architecture,
    ModelSource Model,
    LoraOptions Lora,
    TargetSet Targets,
    DataOptions Data,
    TrainingOptions Training)
{
    /// <summary>Depth known before loading (recipe or architecture declaration), for early layer checks.</summary>
    public int? KnownDepth { get; init; }

    /// <summary>The 4-bit data type the base is quantised to at load time; null = a dense base.</summary>
    public Quantization.FourBitDataType? QuantizationType { get; init; }

    /// <summary>How the base is quantised when <see cref="QuantizationType"/> is set.</summary>
    public Quantization.QuantizationOptions Quantization { get; init; } = new();

    /// <summary>The quantisation the loader applies, or null for a dense base.</summary>
    public Quantization.QuantizationOptions? EffectiveQuantization => QuantizationType is { } type ? Quantization with { DataType = type } : null;

    /// <summary>AdaLoRA instead of plain LoRA (<see cref="AdaLora"/> holds its options).</summary>
    public bool UseAdaLora { get; init; }

    /// <summary>AdaLoRA's options (PEFT's AdaLoraConfig); used when <see cref="UseAdaLora"/>.</summary>
    public AdaLora.AdaLoraOptions AdaLora { get; init; } = new();

    /// <summary>The saved adapter(s) the recipe's adapters start from (continue training, or a combination); null = fresh adapters.</summary>
    public Adapters.Start.AdapterStart? Start { get; init; }

    /// <summary>The server the adapter is for (<see cref="RecipeBuilder.ServeWith"/>); null: not checked against any.</summary>
    public Server? ServeWith { get; init; }

    /// <summary>SHA-256 of the recipe's C# source file, emitted by the generator; null for definitions built by hand.</summary>
    public string? SourceSha256 { get; init; }

    /// <summary>The version of the generator that emitted the recipe's code.</summary>
    public string? GeneratorVersion { get; init; }

    /// <summary>The <c>--set</c> overrides applied, in order (recorded in run.json; <c>reproduce</c> applies them again).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Overrides { get; init; } = [];

    /// <summary>The keys <see cref="WithOverride"/> accepts (<c>--set key=value</c>).</summary>
    public static IReadOnlyList<string> OverrideKeys => RecipeSettings.Keys;

    /// <summary>Applies <c>key=value</c> overrides in order, then validates once.</summary>
    public RecipeDefinition WithOverrides(IEnumerable<KeyValuePair<string, string>> overrides)
    {
        var result = this;
        var applied = new List<KeyValuePair<string, string>>(Overrides);
        foreach (var (key, value) in overrides)
        {
            result = RecipeSettings.Find(key, Name).Write(result, value);
            applied.Add(new(key, value));
        }
        result = result with { Overrides = applied };
        result.Validate();
        return result;
    }

    /// <summary>Applies one override, e.g. ("lora.r", "8"), then validates.</summary>
    public RecipeDefinition WithOverride(string key, string value) => WithOverrides([new(key, value)]);

    /// <summary>Splits "key=value" as written after <c>--set</c>.</summary>
    public static KeyValuePair<string, string> ParseOverride(string assignment)
    {
        var equals = assignment.IndexOf('=');
        if (equals <= 0)
            throw new RecipeValidationException($"Override '{assignment}' is not of the form key=value (e.g. lora.r=8).");
        return new(assignment[..equals].Trim(), assignment[(equals + 1)..].Trim());
    }

    /// <summary>The value of every setting as <c>--set</c> writes it, in table order (run.json's "settings").</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Settings() =>
        [.. RecipeSettings.All.Select(s => new KeyValuePair<string, string?>(s.Key, s.ReadText(this)))];

    /// <summary>
    /// Checks every setting against its rule (the same rules, and texts, as the compile-time diagnostics) and the
    /// targets (layers too when the depth is known). Returns the warnings for legal but unusual values.
    /// </summary>
    /// <exception cref="RecipeValidationException">A setting outside its range.</exception>
    /// <exception cref="TargetResolutionException">A target the architecture does not have.</exception>
    public IReadOnlyList<string> Validate()
    {
        var warnings = new List<string>();
        foreach (var setting in RecipeSettings.All)
        {
            if (setting.ReadNumber(this) is not { } value) continue;
            if (setting.Info.Error(value) is { } error) throw new RecipeValidationException(error);
            if (setting.Info.Warning(value) is { } warning) warnings.Add(warning);
        }
        if (EffectiveQuantization is { } quantization)
        {
            try
            {
                quantization.Validate();
            }
            catch (ArgumentException e)
            {
                throw new RecipeValidationException($"Recipe '{Name}': {e.Message}");
            }
        }
        if (UseAdaLora && Lora.UseDora) throw new RecipeValidationException(DslMessages.AdaLoraWithDora);
        if (UseAdaLora && AdaLora.TargetR > AdaLora.InitR)
            throw new RecipeValidationException(string.Format(System.Globalization.CultureInfo.InvariantCulture, DslMessages.AdaLoraTargetAboveInit, AdaLora.TargetR, AdaLora.InitR));
        if (Start is { } start)
        {
            try
            {
                start.Validate(Name);
            }
            catch (ArgumentException e)
            {
                throw new RecipeValidationException(e.Message);
            }
            if (UseAdaLora) throw new RecipeValidationException(string.Format(System.Globalization.CultureInfo.InvariantCulture, DslMessages.StartNotPlainLora, "AdaLoRA"));
            if (Lora.MutatesBase)
                throw new RecipeValidationException(string.Format(System.Globalization.CultureInfo.InvariantCulture, DslMessages.StartNotPlainLora, $"init {ChoiceSpelling.Of(Lora.Init.ToString())}"));
        }
        CheckSelection(warnings);
        var plan = Targets.Resolve(Architecture, KnownDepth ?? int.MaxValue);
        foreach (var embedding in plan.Modules.Where(m => m.Kind == ModuleKind.Embedding))
            CheckPlainLora(embedding);
        CheckServer(plan);
        return warnings;
    }

    // PEFT's selection options after overrides: the compile-time LORA032-036 rules (ModuleSelectionRules), with their texts.
    void CheckSelection(List<string> warnings)
    {
        var selection = Lora.Selection;
        if (selection.IsAll && Lora.RankPattern.Count == 0 && Lora.AlphaPattern.Count == 0) return;
        if (UseAdaLora && (Lora.RankPattern.Count > 0 || Lora.AlphaPattern.Count > 0))
            throw new RecipeValidationException($"Recipe '{Name}': {DslMessages.PatternWithAdaLora}.");
        var paths = ModuleSelectionRules.Paths(Architecture.Modules.Select(m => m.PathTemplate), KnownDepth);
        var findings = ModuleSelectionRules.Check(Architecture.Name, paths, KnownDepth, !Targets.IsEmpty,
            selection.TargetRegex, selection.ExcludeModules, selection.LayersToTransform, selection.LayersPattern,
            [.. Lora.RankPattern.Select(kv => new KeyValuePair<string, double>(kv.Key, kv.Value))], [.. Lora.AlphaPattern]);
        foreach (var finding in findings)
        {
            if (finding.IsError) throw new RecipeValidationException($"Recipe '{Name}': {finding.Message}.");
            warnings.Add(finding.Message);
        }
    }

    // The compile-time LORA030's table (ServingRules), for what overrides make of a recipe served with ServeWith.
    void CheckServer(TargetPlan plan)
    {
        if (ServeWith is not { } server) return;
        var adapter = new ServedAdapter
        {
            PeftType = UseAdaLora ? "ADALORA" : "LORA",
            Rank = UseAdaLora ? AdaLora.InitR : Lora.Rank,
            UseDora = Lora.UseDora,
            UseRsLora = Lora.UseRsLora,
            Bias = ChoiceSpelling.Of(Lora.Bias.ToString()),
            ModulesToSave = Lora.ModulesToSave,
            EmbeddingModules = [.. plan.Modules.Where(m => m.Kind == ModuleKind.Embedding).Select(m => m.Name)],
            ModuleNames = [.. plan.Modules.Select(m => m.Name)],
            ModelType = Architecture.Name,
        };
        var findings = ServingRules.Check(server.Name, adapter, server.MaxLoraRank);
        if (findings.Count > 0)
            throw new RecipeValidationException($"Recipe '{Name}' is served with {server}, which cannot load its adapter:{Environment.NewLine}" +
                string.Join(Environment.NewLine, findings.Select(f => "  " + f.Message)));
    }

    // Embedding LoRA is plain (PEFT's lora.Embedding): the compile-time LORA029's rules, for what overrides make of a recipe.
    void CheckPlainLora(ArchitectureModule embedding)
    {
        string? error = Lora.UseDora ? Format(DslMessages.DoraOnEmbedding, embedding.PathTemplate)
            : Lora.MutatesBase ? Format(DslMessages.ResidualInitOnEmbedding, embedding.PathTemplate, ChoiceSpelling.Of(Lora.Init.ToString()))
            : UseAdaLora ? Format(DslMessages.AdaLoraOnEmbedding, embedding.PathTemplate)
            : null;
        if (error is not null) throw new RecipeValidationException($"Recipe '{Name}': {error}.");
    }

    static string Format(string format, params object[] arguments) => string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arguments);
}

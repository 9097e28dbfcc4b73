using LoraDsl.Data;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Recipes.Settings;
using LoraDsl.Training;

namespace LoraDsl.Recipes;

/// <summary>
/// The fluent side of a recipe (<c>static void Configure(RecipeBuilder r)</c>). Generated code applies the class's
/// attributes first, then calls Configure, then <see cref="Build"/>. Every part writes into one
/// <see cref="RecipeDefinition"/> draft, so a <c>[Setting]</c> attribute, a builder call and <c>--set</c> reach the same field.
/// </summary>
public sealed class RecipeBuilder
{
    static readonly ModelSource NoModel = ModelSource.FromDirectory("");

    public RecipeBuilder(string name, ArchitectureDescriptor architecture)
    {
        Name = name;
        Architecture = architecture;
        Draft = new RecipeDefinition(name, architecture, NoModel, new LoraOptions(), TargetSet.Empty,
            new DataOptions(), new TrainingOptions { OutputDirectory = Path.Combine("runs", name) });
    }

    public string Name { get; }

    public ArchitectureDescriptor Architecture { get; }

    /// <summary>Compile-time depth of the recipe's checkpoint, if declared; enables early layer checks.</summary>
    public int? KnownDepth { get; set; }

    /// <summary>SHA-256 of the recipe's source file (set by generated code).</summary>
    public string? SourceSha256 { get; set; }

    /// <summary>The generator's version (set by generated code).</summary>
    public string? GeneratorVersion { get; set; }

    internal RecipeDefinition Draft { get; set; }

    public RecipeBuilder Lora(Action<LoraBuilder> configure)
    {
        configure(new LoraBuilder(this));
        return this;
    }

    public RecipeBuilder Model(Action<ModelBuilder> configure)
    {
        configure(new ModelBuilder(this));
        return this;
    }

    public RecipeBuilder Data(Action<DataBuilder> configure)
    {
        configure(new DataBuilder(this));
        return this;
    }

    /// <summary>A 4-bit base (QLoRA), declared like transformers' BitsAndBytesConfig: <c>q => q.Nf4().DoubleQuant()</c>.</summary>
    public RecipeBuilder Quantization(Action<QuantizationBuilder> configure)
    {
        configure(new QuantizationBuilder(this));
        return this;
    }

    public RecipeBuilder Training(Action<TrainingBuilder> configure)
    {
        configure(new TrainingBuilder(this));
        return this;
    }

    /// <summary>
    /// The saved adapter(s) the recipe's adapters start from: <c>s => s.Adapter("runs/a/adapter")</c> continues training it;
    /// several (or a method) are combined first, e.g. <c>s => s.Adapter&lt;A&gt;(0.5).Adapter&lt;B&gt;(0.5).Combine(CombinationMethod.Cat)</c>.
    /// </summary>
    public RecipeBuilder StartFrom(Action<StartBuilder> configure)
    {
        configure(new StartBuilder(this));
        return this;
    }

    /// <summary>
    /// The server that will load the adapter, e.g. <c>r.ServeWith(Server.Vllm(maxLoraRank: 16))</c>: a recipe whose adapter that
    /// server could not load (DoRA, a rank above the limit, modules_to_save, embedding LoRA, ...) is a compile error (LORA030)
    /// and, after <c>--set</c> overrides, a <see cref="RecipeValidationException"/> before training.
    /// </summary>
    public RecipeBuilder ServeWith(Server server)
    {
        Draft = Draft with { ServeWith = server };
        return this;
    }

    /// <summary>Sets one setting by its <c>--set</c> key (what a <c>[Setting("training.lr", "1e-3")]</c> attribute becomes).</summary>
    public RecipeBuilder Set(string key, string value)
    {
        Draft = RecipeSettings.Find(key, Name).Write(Draft, value);
        return this;
    }

    /// <summary>The definition, validated with the same rules (and messages) as the LORA0xx diagnostics.</summary>
    /// <exception cref="RecipeValidationException">A setting outside its range, no model or no data.</exception>
    /// <exception cref="TargetResolutionException">A target the architecture does not have.</exception>
    public RecipeDefinition Build()
    {
        if (ReferenceEquals(Draft.Model, NoModel))
            throw new RecipeValidationException(
                $"Recipe '{Name}' names no model; call r.Model(m => m.FromDirectory(\"path\")) or m.BuiltIn(\"name\").");
        var lora = Draft.Lora;
        // PEFT trains a sequence-classification head in full (modules_to_save) unless told otherwise.
        if (Draft.Data.Task == DataTask.Classification && lora.ModulesToSave.Count == 0)
            lora = lora with { ModulesToSave = ["classifier"] };
        var definition = Draft with
        {
            Lora = lora,
            KnownDepth = KnownDepth ?? Architecture.KnownDepth,
            SourceSha256 = SourceSha256,
            GeneratorVersion = GeneratorVersion,
        };
        definition.Validate();
        return definition;
    }
}

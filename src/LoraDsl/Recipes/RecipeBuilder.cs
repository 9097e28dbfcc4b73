using LoraDsl.Data;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Training;

namespace LoraDsl.Recipes;

/// <summary>
/// The fluent side of a recipe (<c>static void Configure(RecipeBuilder r)</c>). Generated code
/// applies the class's attributes first, then calls Configure, then <see cref="Build"/>.
/// </summary>
public sealed class RecipeBuilder(string name, ArchitectureDescriptor architecture)
{
    private readonly LoraBuilder lora = new(new LoraOptions(), TargetSet.Empty);
    private readonly ModelBuilder model = new(null);
    private readonly DataBuilder data = new(new DataOptions());
    private readonly TrainingBuilder training = new(new TrainingOptions { OutputDirectory = Path.Combine("runs", name) });

    public string Name { get; } = name;
    public ArchitectureDescriptor Architecture { get; } = architecture;

    /// <summary>Compile-time depth of the recipe's checkpoint, if declared; enables early layer checks.</summary>
    public int? KnownDepth { get; set; }

    public RecipeBuilder Lora(Action<LoraBuilder> configure)
    {
        configure(lora);
        return this;
    }

    public RecipeBuilder Model(Action<ModelBuilder> configure)
    {
        configure(model);
        return this;
    }

    public RecipeBuilder Data(Action<DataBuilder> configure)
    {
        configure(data);
        return this;
    }

    public RecipeBuilder Training(Action<TrainingBuilder> configure)
    {
        configure(training);
        return this;
    }

    /// <summary>The definition, validated with the same rules (and messages) as the LORA0xx diagnostics.</summary>
    /// <exception cref="RecipeValidationException">Invalid LoRA options or no model source.</exception>
    /// <exception cref="TargetResolutionException">A target the architecture does not have.</exception>
    public RecipeDefinition Build()
    {
        var source = model.Source ?? throw new RecipeValidationException(
            $"Recipe '{Name}' names no model; call r.Model(m => m.FromDirectory(\"path\")) or m.BuiltIn(\"name\").");
        var definition = new RecipeDefinition(Name, Architecture, source, lora.Options, lora.Targets, data.Options, training.Options)
        {
            KnownDepth = KnownDepth ?? Architecture.KnownDepth,
        };
        definition.Validate();
        return definition;
    }
}

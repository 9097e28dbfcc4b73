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

    public LoraBuilder ModulesToSave(params string[] modules) => Set(o => o with { ModulesToSave = modules });

    public LoraBuilder Target(params ArchitectureModule[] modules) => Add(modules.Select(m => TargetSpec.ForModule(m)));

    public LoraBuilder Target(params ModuleRole[] roles) => Add(roles.Select(r => TargetSpec.ForRole(r)));

    /// <summary>By name: a module whose path equals the name or ends with "." + name (PEFT's rule).</summary>
    public LoraBuilder Target(params string[] names) => Add(names.Select(n => TargetSpec.ForName(n)));

    public LoraBuilder Target(TargetSet targets) => Add(targets.Targets);

    public LoraBuilder Preset(Preset preset) => Add([TargetSpec.ForPreset(preset)]);

    /// <summary>Targets limited to <paramref name="layers"/> ("3", "0..4" end exclusive, "8..", "0,2,4").</summary>
    public LoraBuilder TargetLayers(string layers, params ArchitectureModule[] modules) => Add(modules.Select(m => TargetSpec.ForModule(m, layers)));

    public LoraBuilder TargetLayers(string layers, params ModuleRole[] roles) => Add(roles.Select(r => TargetSpec.ForRole(r, layers)));

    public LoraBuilder TargetLayers(string layers, params string[] names) => Add(names.Select(n => TargetSpec.ForName(n, layers)));

    public LoraBuilder PresetLayers(string layers, Preset preset) => Add([TargetSpec.ForPreset(preset, layers)]);

    LoraBuilder Set(Func<LoraOptions, LoraOptions> change)
    {
        recipe.Draft = recipe.Draft with { Lora = change(recipe.Draft.Lora) };
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

using LoraDsl.Dsl;
using LoraDsl.Lora;

namespace LoraDsl.Recipes;

/// <summary>The <c>r.Lora(l => ...)</c> part of a recipe: hyperparameters and targets.</summary>
public sealed class LoraBuilder
{
    internal LoraOptions Options { get; private set; } = new();
    internal TargetSet Targets { get; private set; } = TargetSet.Empty;

    internal LoraBuilder(LoraOptions options, TargetSet targets)
    {
        Options = options;
        Targets = targets;
    }

    public LoraBuilder Rank(int rank) => Set(Options with { Rank = rank });

    public LoraBuilder Alpha(double alpha) => Set(Options with { Alpha = alpha });

    public LoraBuilder Dropout(double dropout) => Set(Options with { Dropout = dropout });

    public LoraBuilder RsLora(bool enabled = true) => Set(Options with { UseRsLora = enabled });

    public LoraBuilder Dora(bool enabled = true) => Set(Options with { UseDora = enabled });

    public LoraBuilder Bias(LoraBias bias) => Set(Options with { Bias = bias });

    public LoraBuilder Init(LoraInit init) => Set(Options with { Init = init });

    public LoraBuilder ModulesToSave(params string[] modules) => Set(Options with { ModulesToSave = modules });

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

    private LoraBuilder Set(LoraOptions options)
    {
        Options = options;
        return this;
    }

    private LoraBuilder Add(IEnumerable<TargetSpec> targets)
    {
        foreach (var target in targets) Targets = Targets.Add(target);
        return this;
    }
}

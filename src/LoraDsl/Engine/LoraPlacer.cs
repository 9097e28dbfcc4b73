using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Models;

namespace LoraDsl.Engine;

/// <summary>
/// Collects the modules a generated <c>ApplyLora</c> selects, then injects them in one call so the
/// injector validates every path before it changes the model and freezes the rest once.
/// </summary>
public sealed class LoraPlacer(PretrainedModel model, LoraOptions options) : IAdapterPlacer
{
    readonly List<LoraTarget> targets = [];
    LoraInjection? injection;

    public IReadOnlyList<LoraTarget> Targets => targets;

    public void Place(string modulePath, ModuleKind kind, FusedPart? part)
    {
        if (injection is not null) throw new InvalidOperationException($"Adapters were already injected; '{modulePath}' came too late.");
        if (kind is not (ModuleKind.Linear or ModuleKind.Conv1D))
            throw new TargetResolutionException($"Module '{modulePath}' is a {kind}; LoRA adapts Linear and Conv1D modules.");
        targets.Add(part is null ? new LoraTarget(modulePath) : new LoraTarget(modulePath, SlicesOf(modulePath, part)));
    }

    /// <summary>Wraps every placed module (once) and returns what was adapted.</summary>
    public LoraInjection Inject() => injection ??= LoraInjector.Inject(model, options, targets);

    IReadOnlyList<OutputSlice> SlicesOf(string modulePath, FusedPart part)
    {
        var module = Modules.ModuleSurgery.Find(model, modulePath);
        var outFeatures = module switch
        {
            Modules.Conv1D c => c.OutFeatures,
            TorchSharp.Modules.Linear l => l.out_features,
            _ => throw new TargetResolutionException($"Module '{modulePath}' is a {module.GetType().Name}, not a fused Linear/Conv1D."),
        };
        return part.Slices(outFeatures);
    }
}

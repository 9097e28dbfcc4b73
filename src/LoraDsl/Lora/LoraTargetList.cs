using LoraDsl.Dsl;
using LoraDsl.Models;

namespace LoraDsl.Lora;

/// <summary>
/// The modules a generated <c>ApplyLora</c> selects, as a list of <see cref="LoraTarget"/>s (fused modules with
/// their output rows), checked against the live model. The injector then adapts them in one call.
/// </summary>
public sealed class LoraTargetList(PretrainedModel model) : IAdapterPlacer
{
    readonly List<LoraTarget> targets = [];

    public IReadOnlyList<LoraTarget> Targets => targets;

    public void Place(string modulePath, ModuleKind kind, FusedPart? part)
    {
        if (kind is not (ModuleKind.Linear or ModuleKind.Conv1D or ModuleKind.Embedding))
            throw new TargetResolutionException(Format(DslMessages.ModuleKindNotAdaptable, modulePath, DslMessages.KindWithReason(kind.ToString())));
        // An embedding takes plain LoRA on its whole table (PEFT's lora.Embedding); the injector checks the options.
        if (kind == ModuleKind.Embedding && part is not null)
            throw new TargetResolutionException(Format(DslMessages.SliceOfEmbedding, modulePath));
        targets.Add(part is null ? new LoraTarget(modulePath) : new LoraTarget(modulePath, SlicesOf(modulePath, part)));
    }

    static string Format(string format, params object[] arguments) => string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arguments);

    IReadOnlyList<OutputSlice> SlicesOf(string modulePath, FusedPart part)
    {
        var split = modulePath.LastIndexOf('.');
        if (split > 0 && Modules.ModuleSurgery.Find(model, modulePath[..split]) is Modules.IFusedOutputs host
            && host.FusedPartRows(modulePath[(split + 1)..]) is { } rows)
            return part.Slices(rows);
        var module = Modules.ModuleSurgery.Find(model, modulePath);
        var outFeatures = module switch
        {
            Modules.Conv1D c => c.OutFeatures,
            TorchSharp.Modules.Linear l => l.out_features,
            Quantization.Linear4Bit q => q.OutFeatures,
            _ => throw new TargetResolutionException($"Module '{modulePath}' is a {module.GetType().Name}, not a fused Linear/Conv1D."),
        };
        return part.Slices(outFeatures);
    }
}

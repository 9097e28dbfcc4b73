using System.Globalization;
using LoraDsl.Dsl;
using LoraDsl.Models;
using LoraDsl.Modules;

namespace LoraDsl.Lora;

/// <summary>
/// The modules a recipe's targets select in one loaded model: the architecture's path templates expanded over the
/// model's layers, with the output rows of each fused part. The generated recipe calls it; the injector adapts the result.
/// </summary>
public static class TargetPlacement
{
    /// <summary>
    /// Resolves <paramref name="targets"/> against <paramref name="architecture"/> and <paramref name="model"/>'s depth:
    /// per-layer modules layer by layer (declaration order within a layer), then the modules outside the layers.
    /// </summary>
    /// <exception cref="TargetResolutionException">A target or model type this architecture does not have, or a module LoRA cannot adapt.</exception>
    public static IReadOnlyList<LoraTarget> Resolve(PretrainedModel model, ArchitectureDescriptor architecture, TargetSet targets)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(targets);
        if (!architecture.Supports(model.Config.ModelType))
            throw new TargetResolutionException($"Model type '{model.Config.ModelType}' ({model.Config.SourcePath ?? "config"}) is not a {architecture.Name} model; " +
                $"expected one of: {string.Join(", ", architecture.ModelTypes)}.");
        var depth = model.Config.NumLayers;
        var plan = targets.Resolve(architecture, depth);

        var placed = new List<LoraTarget>();
        var perLayer = architecture.Modules.Where(m => m.IsPerLayer).ToList();
        for (var layer = 0; layer < depth; layer++)
            foreach (var module in perLayer)
                if (plan.Selects(module, layer, out var roles))
                    placed.Add(Place(model, module, PathIn(module, layer), roles));
        foreach (var module in architecture.Modules.Where(m => !m.IsPerLayer))
            if (plan.Selects(module, null, out var roles))
                placed.Add(Place(model, module, module.PathTemplate, roles));
        return placed;
    }

    /// <summary>The module's state-dict path in <paramref name="layer"/>: its template with <c>{layer}</c> replaced.</summary>
    public static string PathIn(ArchitectureModule module, int layer) =>
        module.PathTemplate.Replace(ArchitectureModule.LayerPlaceholder, layer.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    static LoraTarget Place(PretrainedModel model, ArchitectureModule module, string path, IReadOnlyList<ModuleRole>? roles)
    {
        if (module.Kind is not (ModuleKind.Linear or ModuleKind.Conv1D or ModuleKind.Embedding))
            throw new TargetResolutionException(Format(DslMessages.ModuleKindNotAdaptable, path, DslMessages.KindWithReason(module.Kind.ToString())));
        if (roles is null) return new LoraTarget(path);
        // An embedding takes plain LoRA on its whole table (PEFT's lora.Embedding); the injector checks the options.
        if (module.Kind == ModuleKind.Embedding) throw new TargetResolutionException(Format(DslMessages.SliceOfEmbedding, path));
        return new LoraTarget(path, RowsOf(model, module, path, roles));
    }

    // The rows of each wanted part: sizes from the host block (unequal GQA parts of Phi-3's qkv_proj), else equal parts.
    static IReadOnlyList<OutputSlice> RowsOf(PretrainedModel model, ArchitectureModule module, string path, IReadOnlyList<ModuleRole> roles)
    {
        var parts = module.Roles.Count;
        var split = path.LastIndexOf('.');
        var sizes = split > 0 && ModuleSurgery.Find(model, path[..split]) is IFusedOutputs host ? host.FusedPartRows(path[(split + 1)..]) : null;
        if (sizes is null)
        {
            var outFeatures = OutFeaturesOf(ModuleSurgery.Find(model, path), path);
            if (outFeatures % parts != 0)
                throw new TargetResolutionException($"Fused module '{path}' has {outFeatures} output rows, which do not split into {parts} equal parts ({string.Join(", ", module.Roles)}).");
            sizes = [.. Enumerable.Repeat(outFeatures / parts, parts)];
        }
        else if (sizes.Count != parts)
            throw new TargetResolutionException($"Fused module '{path}' has {sizes.Count} parts in the model but {parts} roles ({string.Join(", ", module.Roles)}) in architecture '{module.Architecture}'.");
        var rows = new List<OutputSlice>();
        long offset = 0;
        for (var i = 0; i < parts; i++)
        {
            if (roles.Contains(module.Roles[i])) rows.Add(new OutputSlice(offset, sizes[i]));
            offset += sizes[i];
        }
        return rows;
    }

    static long OutFeaturesOf(TorchSharp.torch.nn.Module module, string path) => module switch
    {
        Conv1D c => c.OutFeatures,
        TorchSharp.Modules.Linear l => l.out_features,
        Quantization.Linear4Bit q => q.OutFeatures,
        _ => throw new TargetResolutionException($"Module '{path}' is a {module.GetType().Name}, not a fused Linear/Conv1D."),
    };

    static string Format(string format, params object[] arguments) => string.Format(CultureInfo.InvariantCulture, format, arguments);
}

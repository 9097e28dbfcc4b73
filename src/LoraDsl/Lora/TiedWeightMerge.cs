using LoraDsl.Adapters;
using LoraDsl.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// Merging LoRA into a module whose weight is tied to another one (GPT-2's <c>wte</c> and <c>lm_head</c>, a LLaMA with
/// <c>tie_word_embeddings</c>) would write the adapter into both: unmerged, the adapter changes the lookup only (or the
/// head only). So before merging, the two are untied: the adapted side gets its own copy of the table, the other keeps
/// the original, and the config says <c>tie_word_embeddings: false</c> (the saved folder then holds both tensors, as
/// transformers writes an untied model). PEFT merges into the shared table instead (and warns); that model computes
/// something else than the adapter did.
/// </summary>
static class TiedWeightMerge
{
    /// <summary>
    /// Unties every wrapped module of <paramref name="model"/> that would merge adapters (its active ones, or
    /// <paramref name="names"/> where it has them) and shares its weight with another module. Returns the untied paths.
    /// </summary>
    /// <exception cref="AdapterMismatchException">A tie between two modules neither of which can take a copy (no Linear or Embedding).</exception>
    public static IReadOnlyList<string> Untie(nn.Module model, IReadOnlyList<string>? names = null)
    {
        var modules = model.named_modules().ToList();
        var untied = new List<string>();
        foreach (var (path, module) in modules)
        {
            if (module is not LoraLinear layer) continue;
            var baseModule = layer.Base.Module;
            var merging = (names is null || names.Count == 0 ? layer.ActiveAdapters : names.Where(layer.Adapters.ContainsKey))
                .Where(n => !layer.MergedAdapters.Contains(n)).ToList();
            if (merging.Count == 0) continue;
            var own = baseModule.named_parameters(recurse: false).Where(p => p.name == "weight").Select(p => p.parameter).ToList();
            var tied = modules
                .Where(m => !ReferenceEquals(m.module, baseModule) && !ReferenceEquals(m.module, layer))
                .SelectMany(m => m.module.named_parameters(recurse: false).Select(p => (Module: m.module, Path: m.name, p.name, p.parameter)))
                .FirstOrDefault(p => own.Any(w => SharesStorage(w, p.parameter)));
            if (tied.parameter is null) continue;
            // Give the copy to a side that reads its weight when called: an Embedding (its LoRA base layer reads the table
            // each time) or a plain Linear; a Linear under a LoRA wrapper keeps the parameter its base layer holds.
            var wrappedElsewhere = modules.Any(m => m.module is LoraLinear other && ReferenceEquals(other.Base.Module, tied.Module));
            if (tied.Module is Embedding otherTable) otherTable.weight = Copy(otherTable.weight!);
            else if (baseModule is Embedding table) table.weight = Copy(table.weight!);
            else if (tied.Module is Linear otherHead && !wrappedElsewhere) otherHead.weight = Copy(otherHead.weight!);
            else
                throw new AdapterMismatchException(
                    $"Module '{path}' shares its weight with '{tied.Path}.{tied.name}' (tied weights), and neither is a Linear or Embedding " +
                    $"that can take its own copy: merging adapter {string.Join(", ", merging.Select(n => $"'{n}'"))} would change both. " +
                    "Keep the adapter unmerged and load it with the base.");
            untied.Add(path);
        }
        // The saved config must say so, or a loader would tie them again.
        if (untied.Count > 0 && model is PretrainedModel pretrained) pretrained.Config.Raw["tie_word_embeddings"] = false;
        return untied;
    }

    static Parameter Copy(Tensor weight)
    {
        using var _ = no_grad();
        return new Parameter(weight.detach().clone(), requires_grad: false);
    }

    // TorchSharp 0.107 exposes no data pointer: two tensors of one shape share storage when writing one changes the
    // other. The probed element is written back exactly.
    internal static bool SharesStorage(Tensor a, Tensor b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.numel() == 0 || !a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype || a.device_type != b.device_type || a.device_index != b.device_index) return false;
        using var _ = no_grad();
        using var flatA = a.view(-1);
        using var flatB = b.view(-1);
        using var saved = flatA[0].clone();
        using var probe = saved + 1;
        flatA[0].copy_(probe);
        try
        {
            using var seen = flatB[0].clone();
            return seen.allclose(probe, rtol: 0, atol: 0);
        }
        finally
        {
            flatA[0].copy_(saved);
        }
    }
}

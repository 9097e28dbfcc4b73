using LoraDsl.Adapters;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// Merging LoRA into a module whose weight is tied to another one (GPT-2's <c>wte</c> and <c>lm_head</c>, a LLaMA with
/// <c>tie_word_embeddings</c>) would write the adapter into both: unmerged, the adapter changes the lookup only (or the
/// head only); merged, the other module would compute with the adapted weight too, and the merged model would not compute
/// what the adapter does. PEFT merges anyway (and warns about tied adapted layers); here it is one error before anything changes.
/// </summary>
static class TiedWeightMerge
{
    /// <summary>Throws when a wrapped module of <paramref name="model"/> that would merge adapters (its active ones, or
    /// <paramref name="names"/> where it has them) shares its weight with another module.</summary>
    /// <exception cref="AdapterMismatchException">Names the module, the one it is tied to and the adapters.</exception>
    public static void Require(nn.Module model, IReadOnlyList<string>? names = null)
    {
        var modules = model.named_modules().ToList();
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
                .SelectMany(m => m.module.named_parameters(recurse: false).Select(p => (Module: m.name, p.name, p.parameter)))
                .FirstOrDefault(p => own.Any(w => SharesStorage(w, p.parameter)));
            if (tied.parameter is null) continue;
            var what = layer.Base.TakesTokenIds ? "only the lookup is adapted" : "only this module is adapted";
            throw new AdapterMismatchException(
                $"Module '{path}' shares its weight with '{tied.Module}.{tied.name}' (tied weights): merging adapter " +
                $"{string.Join(", ", merging.Select(n => $"'{n}'"))} into it would change '{tied.Module}' too, and the merged model would not " +
                $"compute what the adapter does (unmerged, {what}). Keep the adapter unmerged and load it with the base, " +
                "or train without LoRA on a tied module.");
        }
    }

    // TorchSharp 0.107 exposes no data pointer: two tensors of one shape share storage when writing one changes the
    // other. The probed element is written back exactly.
    static bool SharesStorage(Tensor a, Tensor b)
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

using LoraDsl.Lora;
using LoraDsl.Models;
using static TorchSharp.torch;

namespace LoraDsl.Adapters.Combination;

/// <summary>
/// PEFT's <c>add_weighted_adapter</c>: makes a new named adapter on the model from adapters already on it
/// (see <see cref="WeightedCombination"/> for the arithmetic). The new adapter has rank = alpha = the
/// combined rank (scaling 1), adapts every module any input adapts, is frozen and not made active, and
/// saves with <see cref="AdapterWriter"/> as an ordinary PEFT adapter.
/// </summary>
public static class AdapterCombiner
{
    public static LoraInjection Combine(PretrainedModel model, IReadOnlyList<WeightedAdapter> inputs, string adapterName, CombinationOptions? options = null)
    {
        options ??= new CombinationOptions();
        options.Validate();
        if (inputs.Count == 0) throw new ArgumentException("Combine needs at least one adapter.");
        if (string.IsNullOrWhiteSpace(adapterName)) throw new ArgumentException("The combined adapter needs a name.");
        foreach (var group in inputs.GroupBy(i => i.Name).Where(g => g.Count() > 1))
            throw new ArgumentException($"Adapter '{group.Key}' is listed {group.Count()} times.");
        foreach (var input in inputs)
            if (!double.IsFinite(input.Weight)) throw new ArgumentException($"Adapter '{input.Name}' has weight {input.Weight}.");

        var layers = model.named_modules().Where(m => m.module is LoraLinear).Select(m => (Path: m.name, Layer: (LoraLinear)m.module)).ToList();
        var known = layers.SelectMany(l => l.Layer.Adapters.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        if (known.Contains(adapterName))
            throw new ArgumentException($"The model already has an adapter named '{adapterName}'.");
        var firstOptions = new Dictionary<string, LoraOptions>();
        var ranks = new List<(string Name, int Rank)>();
        foreach (var input in inputs)
        {
            var adapters = layers.Where(l => l.Layer.Adapters.ContainsKey(input.Name)).Select(l => l.Layer.Adapters[input.Name]).ToList();
            if (adapters.Count == 0)
                throw new AdapterMismatchException($"The model has no adapter named '{input.Name}' (has: {(known.Count == 0 ? "none" : string.Join(", ", known))}).");
            if (adapters.Any(a => a.Options.UseDora))
                throw new AdapterMismatchException($"Adapter '{input.Name}' is a DoRA adapter; a weighted combination would drop its magnitude vector (PEFT combines plain LoRA only).");
            firstOptions[input.Name] = adapters[0].Options;
            // PEFT's config rank: r, or the largest rank_pattern entry.
            ranks.Add((input.Name, adapters.Max(a => a.Rank)));
        }
        var withSaved = inputs.Where(i => firstOptions[i.Name].ModulesToSave.Count > 0).ToList();
        if (withSaved.Count > 1)
            throw new AdapterMismatchException($"Adapters {string.Join(", ", withSaved.Select(i => $"'{i.Name}'"))} each train modules_to_save; their copies of those modules cannot be combined.");

        var method = WeightedCombination.Effective(options.Method, inputs.Count);
        var rank = WeightedCombination.NewRank(method, ranks, options.SvdRank);
        var combined = firstOptions[inputs[0].Name] with
        {
            Rank = rank,
            Alpha = rank,
            UseRsLora = false,
            UseDora = false,
            Init = LoraInit.Default,
            AdapterName = adapterName,
            ModulesToSave = withSaved.Count == 1 ? firstOptions[withSaved[0].Name].ModulesToSave : [],
        };

        var weights = inputs.Select(i => i.Weight).ToList();
        var factors = new List<(string Path, Tensor A, Tensor B)>();
        var generator = new Generator(options.Seed);
        try
        {
            foreach (var (path, layer) in layers)
            {
                if (!inputs.Any(i => layer.Adapters.ContainsKey(i.Name))) continue;
                using var scope = NewDisposeScope();
                var sources = inputs.Select(i => layer.Adapters.TryGetValue(i.Name, out var a)
                    ? new LoraFactors(a.A.detach(), a.FullB(), a.Scaling) : (LoraFactors?)null).ToList();
                var (a, b) = WeightedCombination.Combine(path, method, sources, weights, rank, options, generator);
                factors.Add((path, a.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope()));
            }
            return Attach(model, combined, factors);
        }
        finally
        {
            foreach (var (_, a, b) in factors)
            {
                a.Dispose();
                b.Dispose();
            }
        }
    }

    /// <summary>Adds the new adapter with the computed factors, leaving every other parameter's trainability as it was.</summary>
    static LoraInjection Attach(PretrainedModel model, LoraOptions options, IReadOnlyList<(string Path, Tensor A, Tensor B)> factors)
    {
        var trainable = model.parameters().Select(p => (Parameter: p, p.requires_grad)).ToList();
        var injection = LoraInjector.Inject(model, options, factors.Select(f => new LoraTarget(f.Path)));
        foreach (var (p, requiresGrad) in trainable) p.requires_grad = requiresGrad;
        using var _ = no_grad();
        var byPath = factors.ToDictionary(f => f.Path, StringComparer.Ordinal);
        foreach (var module in injection.Modules)
        {
            var (_, a, b) = byPath[module.Path];
            module.Adapter.A.copy_(a);
            module.Adapter.B.copy_(b);
            foreach (var p in module.Adapter.parameters()) p.requires_grad = false;
        }
        return injection;
    }
}

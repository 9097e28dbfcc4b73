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
        foreach (var group in inputs.GroupBy(i => i.Name).Where(g => g.Count() > 1))
            throw new ArgumentException($"Adapter '{group.Key}' is listed {group.Count()} times.");
        foreach (var input in inputs)
            if (!double.IsFinite(input.Weight)) throw new ArgumentException($"Adapter '{input.Name}' has weight {input.Weight}.");
        var adapters = ModelAdapters.Of(model);
        ModelAdapters.ValidateName(adapterName);
        if (adapters.Names.Contains(adapterName)) throw new ArgumentException($"The model already has an adapter named '{adapterName}'.");
        foreach (var input in inputs)
            if (!adapters.Names.Contains(input.Name))
                throw new AdapterMismatchException($"The model has no adapter named '{input.Name}' (has: {(adapters.Names.Count == 0 ? "none" : string.Join(", ", adapters.Names))}).");
        var names = inputs.Select(i => i.Name).ToList();
        var method = WeightedCombination.Effective(options.Method, inputs.Count);
        var purpose = $"Combination '{CombinationMethods.PeftName(method)}'";
        AdapterCompatibility.RequirePlainLora(adapters, names, purpose);
        // Stacking (cat) of disjoint adapters is their union; any other method would only copy them.
        if (Dsl.CombinationRules.NeedsSharedModule(CombinationMethods.PeftName(method), inputs.Count)) AdapterCompatibility.RequireSharedModule(adapters, names, CombinationMethods.PeftName(method));

        var modules = inputs.ToDictionary(i => i.Name, i => adapters.Modules(i.Name));
        var first = modules[inputs[0].Name][0].Adapter.Options;
        // PEFT's config rank: r, or the largest rank_pattern entry.
        var rank = WeightedCombination.NewRank(method, [.. inputs.Select(i => (i.Name, modules[i.Name].Max(m => m.Rank)))], options.SvdRank);
        var withSaved = inputs.Where(i => modules[i.Name][0].Adapter.Options.ModulesToSave.Count > 0).ToList();
        if (withSaved.Count > 1)
            throw new AdapterMismatchException($"Adapters {string.Join(", ", withSaved.Select(i => $"'{i.Name}'"))} each train modules_to_save; their copies of those modules cannot be combined.");
        var combined = first with
        {
            Rank = rank,
            Alpha = rank,
            UseRsLora = false,
            UseDora = false,
            Init = LoraInit.Default,
            PissaIterations = null,
            AdapterName = adapterName,
        };

        var weights = inputs.Select(i => i.Weight).ToList();
        var byPath = inputs.Select(i => modules[i.Name].ToDictionary(m => m.Path, m => m.Adapter, StringComparer.Ordinal)).ToList();
        var paths = model.named_modules().Select(m => m.name).Where(p => byPath.Any(d => d.ContainsKey(p))).ToList();
        var generator = new Generator(options.Seed);
        var factors = new List<AdapterModuleWeights>();
        try
        {
            foreach (var path in paths)
            {
                using var scope = NewDisposeScope();
                var sources = byPath.Select(d => d.TryGetValue(path, out var a) ? new LoraFactors(a.A.detach(), a.FullB(), a.Scaling) : (LoraFactors?)null).ToList();
                var (a, b) = WeightedCombination.Combine(path, method, sources, weights, rank, options, generator);
                factors.Add(new AdapterModuleWeights(path, combined, a.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope()));
            }
            var trainable = model.parameters().Select(p => (Parameter: p, p.requires_grad)).ToList();
            var injection = adapters.Add(adapterName, factors);
            // PEFT freezes the new adapter and leaves everything else as it was.
            foreach (var (p, requiresGrad) in trainable) p.requires_grad = requiresGrad;
            foreach (var m in injection.Modules)
                foreach (var p in m.Adapter.parameters()) p.requires_grad = false;
            // The combined config is the first adapter's (PEFT's replace(peft_config[adapters[0]], ...)): its bias, and the one modules_to_save.
            var saved = withSaved.Count == 1 ? modules[withSaved[0].Name][0].Adapter.Options.ModulesToSave : [];
            return injection with
            {
                Options = injection.Options with { Bias = first.Bias, ModulesToSave = saved },
                ModulesToSave = withSaved.Count == 1 ? adapters.Injection(withSaved[0].Name).ModulesToSave : [],
            };
        }
        finally
        {
            foreach (var f in factors)
            {
                f.A.Dispose();
                f.B.Dispose();
            }
        }
    }
}

using LoraDsl.Models;
using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// Puts LoRA wrappers on concrete module paths of a model and sets what trains, as PEFT's
/// get_peft_model does: the adapter's weights, the chosen biases and <c>modules_to_save</c>; nothing else.
/// Whatever trains is kept in fp32, also on a bf16/fp16 base.
/// </summary>
public static class LoraInjector
{
    /// <summary>
    /// Wraps every target (or adds the adapter to an existing wrapper) and freezes the rest. All paths
    /// are checked before the model is touched, so a bad path leaves the model unchanged.
    /// <paramref name="variant"/> null picks plain LoRA or DoRA from the options.
    /// </summary>
    public static LoraInjection Inject(PretrainedModel model, LoraOptions options, IEnumerable<LoraTarget> targets, ILoraVariant? variant = null)
    {
        options.Validate();
        // PEFT's selection options: a regex adds modules; exclude_modules and layers_to_transform narrow what the targets placed.
        var targetList = options.Selection.Apply(model, targets.ToList());
        if (targetList.Count == 0)
            throw new ArgumentException(options.Selection.IsAll ? "LoRA needs at least one target module."
                : "LoRA needs at least one target module; none is left after lora.exclude_modules / lora.layers_to_transform.");
        foreach (var group in targetList.GroupBy(t => t.Path).Where(g => g.Count() > 1))
            throw new ArgumentException($"Module '{group.Key}' is targeted {group.Count()} times.");

        foreach (var target in targetList)
        {
            var module = ModuleSurgery.Find(model, target.Path);
            if (module is LoraLinear existing)
            {
                if (existing.Adapters.ContainsKey(options.AdapterName))
                    throw new ArgumentException($"Module '{target.Path}' already has an adapter named '{options.AdapterName}'.");
            }
            else if (module is not nn.Module<Tensor, Tensor>)
                throw new ModuleNotFoundException($"Module '{target.Path}' is a {module.GetType().Name}; LoRA can only wrap Linear, Conv1D or Embedding modules.");
            var baseLayer = module is LoraLinear wrapped ? wrapped.Base : LoraBaseLayer.Of((nn.Module<Tensor, Tensor>)module, target.Path);
            EmbeddingLora.Check(baseLayer, options, target.Rows is not null, target.Path, variant);
            if (options.MutatesBase) ResidualInit.CheckRank(options.ForModule(target.Path), baseLayer, target.Rows?.Sum(r => r.Length) ?? 0, target.Path);
        }
        var saved = options.ModulesToSave.SelectMany(name => ResolveModulesToSave(model, name)).Distinct().ToList();

        var adapted = new List<AdaptedModule>(targetList.Count);
        foreach (var target in targetList)
        {
            var layer = ModuleSurgery.Find(model, target.Path) as LoraLinear
                ?? ModuleSurgery.Replace(model, target.Path, old => new LoraLinear(old, target.Path));
            // rank_pattern / alpha_pattern: each module's own r and alpha, so its own scaling.
            var adapter = layer.AddAdapter(options.AdapterName, options.ForModule(target.Path), target.Rows, variant);
            adapted.Add(new AdaptedModule(target.Path, layer, adapter));
        }
        SetTrainable(model, options, saved);
        // With a bf16/fp16 base, modules_to_save and trained biases become fp32 master weights (LoRA weights already are).
        Training.MixedPrecision.KeepTrainableInFloat32(model);
        return new LoraInjection(options, adapted, saved);
    }

    /// <summary>
    /// Merges every wrapper's active adapters into its base weight and puts the plain base module back
    /// (PEFT's merge_and_unload). Returns the paths that were unwrapped. An adapted embedding or head tied to the other is
    /// untied first, so the merged model computes what the adapter did (<see cref="TiedWeightMerge"/>).
    /// </summary>
    public static IReadOnlyList<string> MergeAndUnload(nn.Module model)
    {
        TiedWeightMerge.Untie(model);
        var wrapped = model.named_modules().Where(m => m.module is LoraLinear).Select(m => m.name).ToList();
        foreach (var path in wrapped)
            ModuleSurgery.Replace(model, path, old => ((LoraLinear)old).MergeAndUnwrap());
        return wrapped;
    }

    /// <summary>PEFT's freezing: the named adapter's weights, the chosen biases and modules_to_save train.</summary>
    static void SetTrainable(nn.Module model, LoraOptions options, IReadOnlyList<string> modulesToSave)
    {
        foreach (var p in model.parameters()) p.requires_grad = false;
        foreach (var (_, module) in model.named_modules())
        {
            if (module is not LoraLinear layer || !layer.Adapters.TryGetValue(options.AdapterName, out var adapter)) continue;
            foreach (var p in adapter.parameters()) p.requires_grad = true;
            if (options.Bias == LoraBias.LoraOnly && layer.Base.Bias is { } bias) bias.requires_grad = true;
        }
        if (options.Bias == LoraBias.All)
            foreach (var (name, p) in model.named_parameters())
                if (name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal)) p.requires_grad = true;
        foreach (var path in modulesToSave)
            foreach (var p in ModuleSurgery.Find(model, path).parameters()) p.requires_grad = true;
    }

    /// <summary>PEFT matches a modules_to_save entry as the full path or a trailing ".name" segment.</summary>
    static IEnumerable<string> ResolveModulesToSave(nn.Module model, string name)
    {
        if (ModuleSurgery.Exists(model, name)) return [name];
        var matches = model.named_modules()
            .Select(m => m.name)
            .Where(path => Dsl.PeftModuleMatch.IsNamed(path, name))
            .ToList();
        return matches.Count > 0 ? matches
            : throw new ModuleNotFoundException($"modules_to_save entry '{name}' matches no module of {model.GetType().Name}.");
    }
}

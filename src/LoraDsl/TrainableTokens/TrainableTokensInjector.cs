using System.Globalization;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.TrainableTokens;

/// <summary>
/// Puts trainable tokens on a model as PEFT's <c>trainable_token_indices</c> does: a <see cref="TrainableTokensLayer"/> on the
/// input embedding (list form) or on each named module (map form); with tied embeddings, the modules tied to the embedding get
/// a layer tied to its rows, unless the map gives them other ids (then each trains its own, and ensure_weight_tying refuses).
/// </summary>
static class TrainableTokensInjector
{
    /// <summary>What <see cref="Apply"/> will do: the modules that own rows (path, ids) and the tied modules that follow the embedding's.</summary>
    public sealed record Plan(IReadOnlyList<(string Path, IReadOnlyList<int> Ids)> Owned, string? TiedSource, IReadOnlyList<string> Tied);

    /// <summary>Wraps the modules <paramref name="indices"/> names and returns the layers (owners first, then tied ones).</summary>
    public static IReadOnlyList<TrainableTokensLayer> Inject(PretrainedModel model, TrainableTokenIndices indices, bool ensureWeightTying, IReadOnlyList<string> modulesToSave) =>
        Apply(model, PlanFor(model, indices, ensureWeightTying, modulesToSave, []));

    /// <summary>
    /// Checks <paramref name="indices"/> against the model without touching it. <paramref name="modulesToSave"/> (resolved paths) may not
    /// hold a module that has trainable tokens (PEFT's rule), nor may <paramref name="loraTargets"/> (the LoRA wrappers about to be placed).
    /// </summary>
    public static Plan PlanFor(PretrainedModel model, TrainableTokenIndices indices, bool ensureWeightTying, IReadOnlyList<string> modulesToSave, IReadOnlyCollection<string> loraTargets)
    {
        var embeddingPath = InputEmbeddingPath(model);
        var targets = indices.InputEmbedding is { } ids
            ? new Dictionary<string, IReadOnlyList<int>> { [embeddingPath ?? throw new ArgumentException(Format(DslMessages.TrainableTokensWithoutEmbeddings, model.Config.ModelType))] = ids }
            : new Dictionary<string, IReadOnlyList<int>>(indices.Modules ?? new Dictionary<string, IReadOnlyList<int>>(), StringComparer.Ordinal);
        if (targets.Count == 0 || targets.Values.All(v => v.Count == 0)) throw new ArgumentException("trainable_token_indices names no token.");

        var tiedModules = TiedModulePaths(model);
        // PEFT's rule for the map form on a tied model: the tied modules named with the embedding's ids follow its layer.
        var tiedKeys = targets.Keys.Where(k => embeddingPath is not null && (embeddingPath == k || PeftModuleMatch.IsNamed(embeddingPath, k))
            || tiedModules.Any(t => PeftModuleMatch.IsNamed(t, k))).ToList();
        var mismatch = tiedModules.Count > 0 && tiedKeys.Count >= 2 && tiedKeys.Skip(1).Any(k => !targets[k].SequenceEqual(targets[tiedKeys[0]]));
        if (mismatch && ensureWeightTying)
            throw new ArgumentException(
                "Cannot ensure weight tying when different token indices are specified for tied layers. Conflicting layers: "
                + string.Join(", ", tiedKeys.Select(k => $"{k}: [{string.Join(", ", targets[k])}]"))
                + ". Please use the same indices for all tied layers or set ensure_weight_tying=False.");

        var owned = new List<(string Path, IReadOnlyList<int> Ids)>();
        foreach (var (name, tokens) in targets)
        {
            foreach (var path in Resolve(model, name))
            {
                if (modulesToSave.Contains(path, StringComparer.Ordinal))
                    throw new ArgumentException(
                        $"The embedding layer is already marked to be trained fully, either specify modules_to_save=[..., \"{name}\", ...] or trainable_token_indices={{'{name}': x}} but not both.");
                if (!mismatch && tiedModules.Contains(path) && path != embeddingPath) continue;
                if (owned.Any(o => o.Path == path)) throw new ArgumentException($"Module '{path}' is named twice in trainable_token_indices.");
                Check(model, path, tokens, loraTargets);
                owned.Add((path, tokens));
            }
        }
        var tieHead = tiedModules.Count > 0 && embeddingPath is not null && owned.Any(o => o.Path == embeddingPath) && !mismatch;
        if (tieHead)
            foreach (var path in tiedModules)
                if (loraTargets.Contains(path) || ModuleSurgery.Find(model, path) is not (Linear or Embedding))
                    throw new ArgumentException(
                        $"Module '{path}' shares the embedding's weight (tie_word_embeddings) and carries an adapter; trainable tokens on '{embeddingPath}' " +
                        $"would have to wrap it too. Drop the LoRA target '{path}' or train whole tables with modules_to_save.");
        return new Plan(owned, tieHead ? embeddingPath : null, tieHead ? tiedModules : []);
    }

    /// <summary>Wraps what <paramref name="plan"/> says (checked by <see cref="PlanFor"/>).</summary>
    public static IReadOnlyList<TrainableTokensLayer> Apply(PretrainedModel model, Plan plan)
    {
        var layers = new List<TrainableTokensLayer>();
        foreach (var (path, tokens) in plan.Owned)
            layers.Add(ModuleSurgery.Replace(model, path, old => TrainableTokensLayer.Own(path, old, tokens)));
        if (plan.TiedSource is { } sourcePath)
        {
            var source = layers.First(l => l.Path == sourcePath);
            foreach (var path in plan.Tied)
                layers.Add(ModuleSurgery.Replace(model, path, old => TrainableTokensLayer.Tied(path, old, source)));
        }
        return layers;
    }

    /// <summary>
    /// Writes every layer's rows into its table and puts the plain module back (before LoRA merges). Two layers that train their own
    /// rows of one shared table (tied, different ids) are untied first: the head gets its own copy, and the config says so.
    /// </summary>
    public static IReadOnlyList<string> MergeAndUnload(nn.Module model)
    {
        var layers = model.named_modules().Where(m => m.module is TrainableTokensLayer).Select(m => (m.name, Layer: (TrainableTokensLayer)m.module)).ToList();
        foreach (var (_, layer) in layers)
        {
            if (layer.TiedTo is not null || layer.Base is not Linear head) continue;
            if (!layers.Any(o => !ReferenceEquals(o.Layer, layer) && o.Layer.TiedTo is null && TiedWeightMerge.SharesStorage(o.Layer.Weight, head.weight!))) continue;
            using (no_grad()) head.weight = new Parameter(head.weight!.detach().clone(), requires_grad: false);
            if (model is PretrainedModel pretrained) pretrained.Config.Raw["tie_word_embeddings"] = false;
        }
        foreach (var (path, _) in layers)
            ModuleSurgery.Replace(model, path, old => ((TrainableTokensLayer)old).MergeAndUnwrap());
        return [.. layers.Select(l => l.name)];
    }

    /// <summary>The path of the model's input embedding (PEFT's get_input_embeddings name), or null when it has none.</summary>
    public static string? InputEmbeddingPath(nn.Module model)
    {
        if (model is not IInputEmbeddings inputs) return null;
        var table = inputs.InputEmbeddings;
        foreach (var (name, module) in model.named_modules())
            if (ReferenceEquals(module, table)) return name.EndsWith(".base_layer", StringComparison.Ordinal) ? name[..^".base_layer".Length] : name;
        return null;
    }

    /// <summary>Modules whose weight is the input embedding's (lm_head with tie_word_embeddings).</summary>
    static IReadOnlyList<string> TiedModulePaths(PretrainedModel model) =>
        model is ITiedWeights tied
            ? [.. tied.TiedKeys.Where(k => k.EndsWith(".weight", StringComparison.Ordinal)).Select(k => k[..^".weight".Length]).Where(p => ModuleSurgery.Exists(model, p))]
            : [];

    static IReadOnlyList<string> Resolve(nn.Module model, string name)
    {
        if (ModuleSurgery.Exists(model, name)) return [name];
        var matches = model.named_modules().Select(m => m.name)
            .Where(p => PeftModuleMatch.IsNamed(p, name) && !p.EndsWith(".base_layer", StringComparison.Ordinal))
            .ToList();
        return matches.Count > 0 ? matches
            : throw new ModuleNotFoundException($"trainable_token_indices entry '{name}' matches no module of {model.GetType().Name}.");
    }

    static void Check(nn.Module model, string path, IReadOnlyList<int> tokens, IReadOnlyCollection<string> loraTargets)
    {
        var module = ModuleSurgery.Find(model, path);
        if (module is LoraLinear || loraTargets.Contains(path))
            throw new ArgumentException($"Module '{path}' is a LoRA target and has trainable tokens; PEFT trains an embedding either way, not both. Drop one of them.");
        if (module is not (Embedding or Linear))
            throw new ArgumentException($"Module '{path}' is a {module.GetType().Name}; trainable tokens wrap an Embedding (or a Linear head).");
        if (tokens.Count == 0) throw new ArgumentException($"trainable_token_indices gives module '{path}' no token.");
        var rows = module switch { Embedding e => e.weight!.shape[0], Linear l => l.weight!.shape[0], _ => 0 };
        foreach (var id in tokens)
            if (id < 0 || id >= rows) throw new ArgumentException($"Trainable token id {id} is outside module '{path}''s {rows} rows.");
        var duplicate = tokens.GroupBy(t => t).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"trainable_token_indices lists token {duplicate.Key} twice for module '{path}'.");
    }

    static string Format(string format, params object?[] arguments) => string.Format(CultureInfo.InvariantCulture, format, arguments);
}

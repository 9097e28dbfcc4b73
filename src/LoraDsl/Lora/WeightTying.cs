using LoraDsl.Dsl;
using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.TrainableTokens;

namespace LoraDsl.Lora;

/// <summary>
/// PEFT's <c>ensure_weight_tying</c> on a model whose head shares the input embedding's table: what trains on one of the two
/// stays tied to the other. modules_to_save naming either becomes the embedding alone (PEFT's _add_modules_to_save_to_tie: one
/// table trains, the head keeps reading it, the file holds it once); trainable tokens already tie the head (see
/// <see cref="TrainableTokensInjector"/>). LoRA on either one would need PEFT's tied LoRA (the head reusing the embedding's A and B,
/// transposed), which LoraDsl does not build: that is an error naming the alternatives.
/// </summary>
static class WeightTying
{
    /// <summary>The options with modules_to_save rewritten for tying; unchanged without ensure_weight_tying or without tied weights.</summary>
    /// <exception cref="ArgumentException">A LoRA target on the tied embedding or head.</exception>
    public static LoraOptions Ensure(PretrainedModel model, LoraOptions options, IReadOnlyList<LoraTarget> targets)
    {
        if (!options.EnsureWeightTying || model is not ITiedWeights { TiedKeys.Count: > 0 } tied) return options;
        if (TrainableTokensInjector.InputEmbeddingPath(model) is not { } embedding) return options;
        var tiedModules = tied.TiedKeys.Where(k => k.EndsWith(".weight", StringComparison.Ordinal)).Select(k => k[..^".weight".Length]).ToList();
        var tiedSet = tiedModules.Append(embedding).ToHashSet(StringComparer.Ordinal);

        foreach (var target in targets.Where(t => tiedSet.Contains(t.Path)))
            throw new ArgumentException(
                $"ensure_weight_tying with LoRA on '{target.Path}', which shares its weight with '{string.Join("', '", tiedSet.Where(p => p != target.Path))}' (tie_word_embeddings): " +
                "PEFT then ties the head's LoRA to the embedding's (its A and B transposed), which LoraDsl does not build. Train the rows with trainable tokens " +
                "(l.TrainableTokens(..), which a tied head follows), the whole table with modules_to_save, or drop ensure_weight_tying (a LoRA on the head is then untied when merged).");

        var names = options.ModulesToSave.ToList();
        bool NamesTied(string name) => tiedSet.Any(p => p == name || PeftModuleMatch.IsNamed(p, name));
        if (!names.Any(NamesTied)) return options;
        var rewritten = names.Where(n => !NamesTied(n)).Append(embedding).Distinct(StringComparer.Ordinal).ToList();
        return options with { ModulesToSave = rewritten };
    }
}

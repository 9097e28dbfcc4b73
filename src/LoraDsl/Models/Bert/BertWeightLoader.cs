using LoraDsl.Checkpoints;
using static TorchSharp.torch;

namespace LoraDsl.Models.Bert;

/// <summary>
/// Copies a Hugging Face BERT state dict into a <see cref="BertForSequenceClassification"/>.
/// Keys may carry the <c>bert.</c> prefix (BertFor* checkpoints) or not (BertModel and
/// sentence-transformers checkpoints). The generic model loader replaces this at merge.
/// </summary>
internal static class BertWeightLoader
{
    /// <summary>Heads that a fresh model initialises itself when the checkpoint lacks them (as Hugging Face does).</summary>
    static readonly string[] OptionalPrefixes = ["classifier.", "bert.pooler."];

    /// <summary>Checkpoint entries that are not weights of this model: the position-id buffer and pre-training heads.</summary>
    static readonly string[] IgnoredPrefixes = ["embeddings.position_ids", "bert.embeddings.position_ids", "cls."];

    /// <summary>Copies every tensor; returns the model parameters the checkpoint did not have (left newly initialised).</summary>
    internal static IReadOnlyList<string> LoadWeights(BertForSequenceClassification model, IReadOnlyDictionary<string, Tensor> stateDict, string file)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            var key = stateDict.ContainsKey(name) ? name
                : name.StartsWith("bert.", StringComparison.Ordinal) && stateDict.ContainsKey(name[5..]) ? name[5..]
                : null;
            if (key is null)
            {
                if (!OptionalPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
                    throw new CheckpointFormatException($"'{file}' has no tensor for '{name}' (looked for '{name}' and without the 'bert.' prefix).");
                missing.Add(name);
                continue;
            }
            var source = stateDict[key];
            if (!source.shape.SequenceEqual(parameter.shape))
                throw new CheckpointFormatException(
                    $"Tensor '{key}' in '{file}' has shape [{string.Join(", ", source.shape)}]; " +
                    $"the model's '{name}' needs [{string.Join(", ", parameter.shape)}].");
            parameter.copy_(source);
            used.Add(key);
        }
        var unexpected = stateDict.Keys
            .Where(k => !used.Contains(k) && !IgnoredPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal)))
            .ToList();
        if (unexpected.Count > 0)
            throw new CheckpointFormatException(
                $"'{file}' has tensors this BERT model does not have: {string.Join(", ", unexpected.Take(8))}" +
                (unexpected.Count > 8 ? $" and {unexpected.Count - 8} more." : "."));
        return missing;
    }
}

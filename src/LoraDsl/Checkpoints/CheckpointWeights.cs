using LoraDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>
/// Copies checkpoint tensors into a model with strict checks, all made before the first copy:
/// every model tensor is found (with or without the base-model prefix), shapes match, and
/// float stays float. Tensors are cast to the model's dtype and device on copy.
/// </summary>
internal static partial class CheckpointWeights
{
    const int NamesInMessage = 12;

    public static WeightLoadReport CopyInto(nn.Module model, CheckpointTensorSource source, ModelArchitecture architecture, bool rejectUnexpected)
    {
        var files = string.Join(", ", source.Names.Select(source.FileOf).Distinct().Select(f => $"'{f}'"));
        var plan = new List<(string ModelKey, string CheckpointKey, Tensor Target)>();
        var missing = new List<string>();
        var fresh = new List<string>();
        var tied = new List<string>();
        var aliases = (model as ITiedWeights)?.TiedKeys ?? [];
        var used = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (key, target) in model.state_dict())
        {
            var checkpointKey = CheckpointKeyFor(key, architecture.BaseModelPrefix, source) ?? architecture.CheckpointAliases(key).FirstOrDefault(source.Contains);
            // A tensor tied to another (lm_head to the embedding) needs no tensor of its own.
            var alias = aliases.Contains(key);
            if (checkpointKey is null)
            {
                if (alias) tied.Add(key);
                else if (architecture.IsNewlyInitialized(key)) fresh.Add(key);
                else missing.Add(key);
                continue;
            }
            used.Add(checkpointKey);
            var stored = source.Shape(checkpointKey);
            if (!stored.SequenceEqual(target.shape))
                throw new CheckpointFormatException(
                    $"Tensor '{checkpointKey}' in '{source.FileOf(checkpointKey)}' has shape [{string.Join(", ", stored)}] " +
                    $"but the model's '{key}' needs [{string.Join(", ", target.shape)}] (check config.json against the weights).");
            var storedType = source.Dtype(checkpointKey);
            if (IsFloat(storedType) != IsFloat(target.dtype))
                throw new CheckpointFormatException(
                    $"Tensor '{checkpointKey}' in '{source.FileOf(checkpointKey)}' has dtype {storedType} but the model's '{key}' is {target.dtype}.");
            plan.Add((key, checkpointKey, target));
        }
        if (missing.Count > 0)
            throw new CheckpointFormatException(
                $"Checkpoint {files} lacks {missing.Count} tensor(s) the model needs: {List(missing)} " +
                $"(looked for each with and without the prefix '{architecture.BaseModelPrefix}.').");

        var unexpected = source.Names.Where(n => !used.Contains(n) && !architecture.IsIgnoredCheckpointKey(n)).Order(StringComparer.Ordinal).ToList();
        // Tensors of layers past the config's depth would be dropped without a word: a config/weights mismatch.
        var extraLayers = unexpected.Where(n => FirstLayerIndex().Replace(n, ".0.", 1) is var first && first != n && used.Contains(first)).ToList();
        if (extraLayers.Count > 0)
            throw new CheckpointFormatException(
                $"Checkpoint {files} holds {extraLayers.Count} tensor(s) of layers the model does not have: {List(extraLayers)}; " +
                "config.json's layer count (num_hidden_layers / n_layer) is smaller than the checkpoint's, so these weights would be dropped.");
        if (rejectUnexpected && unexpected.Count > 0)
            throw new CheckpointFormatException($"Checkpoint {files} holds {unexpected.Count} tensor(s) the model does not use: {List(unexpected)}.");

        using (no_grad())
        {
            foreach (var (_, checkpointKey, target) in plan)
            {
                using var stored = source.Read(checkpointKey);
                target.copy_(stored);
            }
        }
        return new WeightLoadReport(plan.Select(p => p.ModelKey).ToList(), unexpected, fresh, tied);
    }

    /// <summary>The checkpoint name for a model key: as is, without the base-model prefix, or with it.</summary>
    internal static string? CheckpointKeyFor(string modelKey, string prefix, CheckpointTensorSource source)
    {
        if (source.Contains(modelKey)) return modelKey;
        var dotted = prefix + ".";
        var alternative = modelKey.StartsWith(dotted, StringComparison.Ordinal) ? modelKey[dotted.Length..] : dotted + modelKey;
        return source.Contains(alternative) ? alternative : null;
    }

    static bool IsFloat(ScalarType t) => t is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    static string List(List<string> names) =>
        string.Join(", ", names.Take(NamesInMessage).Select(n => $"'{n}'")) + (names.Count > NamesInMessage ? $", … ({names.Count - NamesInMessage} more)" : "");

    [System.Text.RegularExpressions.GeneratedRegex(@"\.\d+\.")]
    private static partial System.Text.RegularExpressions.Regex FirstLayerIndex();
}

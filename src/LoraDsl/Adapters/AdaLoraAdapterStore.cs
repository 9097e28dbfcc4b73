using LoraDsl.AdaLora;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Training;
using static TorchSharp.torch;

namespace LoraDsl.Adapters;

/// <summary>
/// Checkpoints an AdaLoRA run: the adapter in PEFT's AdaLoRA format (usable as it is), plus
/// <see cref="ResumeStateFile"/> with what that format drops and an exact resume needs: the pruned triplets'
/// A and B rows (PEFT's file keeps only the kept ones) and, with an <paramref name="allocator"/>, its score EMAs.
/// </summary>
public sealed class AdaLoraAdapterStore(PretrainedModel model, LoraInjection injection, AdaLoraOptions options,
    AdaLoraAllocator? allocator = null, string? baseModelNameOrPath = null) : IAdapterStore
{
    /// <summary>Full-rank A, E, B ("adapter.&lt;path&gt;.lora_A", …) and allocator scores ("scores.…"); not part of a PEFT folder.</summary>
    public const string ResumeStateFile = "adalora_resume.safetensors";

    const string AdapterPrefix = "adapter.", ScoresPrefix = "scores.";

    public void Save(string directory)
    {
        AdaLoraAdapterWriter.Save(directory, model, injection, options, baseModelNameOrPath);
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var module in injection.Modules)
        {
            state[$"{AdapterPrefix}{module.Path}.lora_A"] = module.Adapter.A;
            state[$"{AdapterPrefix}{module.Path}.{AdaLoraVariant.SingularValuesName}"] = AdaLoraVariant.SingularValues(module.Adapter);
            state[$"{AdapterPrefix}{module.Path}.lora_B"] = module.Adapter.B;
        }
        if (allocator is not null)
            foreach (var (name, t) in allocator.ScoreState()) state[ScoresPrefix + name] = t;
        SafetensorsWriter.Write(Path.Combine(directory, ResumeStateFile), state);
    }

    public void Load(string directory)
    {
        var config = AdaLoraAdapterConfig.Read(Path.Combine(directory, AdapterFiles.ConfigFile));
        var resumeFile = Path.Combine(directory, ResumeStateFile);
        if (!File.Exists(resumeFile))
            throw new CheckpointFormatException($"AdaLoRA checkpoint '{directory}' has no {ResumeStateFile}: it cannot be resumed exactly (load it as an adapter instead).");
        var weights = SafetensorsFile.Open(Path.Combine(directory, AdapterFiles.WeightsFile));
        var state = SafetensorsFile.Open(resumeFile).ReadAll();
        try
        {
            using var _ = no_grad();
            foreach (var module in injection.Modules)
            {
                var adapter = module.Adapter;
                Copy(resumeFile, state, $"{AdapterPrefix}{module.Path}.lora_A", adapter.A);
                Copy(resumeFile, state, $"{AdapterPrefix}{module.Path}.{AdaLoraVariant.SingularValuesName}", AdaLoraVariant.SingularValues(adapter));
                Copy(resumeFile, state, $"{AdapterPrefix}{module.Path}.lora_B", adapter.B);
                if (config.RankPattern?.GetValueOrDefault(module.Path) is { } kept) AdaLoraVariant.Instance.SetKeptRanks(adapter, kept);
            }
            foreach (var (name, p) in AdapterWriter.SavedParameters(model, injection))
            {
                var key = AdapterFiles.Parameter(name);
                if (!weights.Contains(key)) throw new AdapterMismatchException($"Adapter file '{weights.Path}' lacks tensor '{key}' that the live adapter has.");
                using var value = weights.Read(key);
                p.copy_(value);
            }
            if (allocator is null) return;
            var scores = state.Where(kv => kv.Key.StartsWith(ScoresPrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[ScoresPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
            try
            {
                allocator.RestoreScoreState(scores);
            }
            catch (ArgumentException e)
            {
                throw new CheckpointFormatException($"AdaLoRA checkpoint '{resumeFile}': {e.Message}", e);
            }
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    static void Copy(string file, IReadOnlyDictionary<string, Tensor> state, string key, Tensor target)
    {
        if (!state.TryGetValue(key, out var value))
            throw new CheckpointFormatException($"AdaLoRA checkpoint '{file}' lacks tensor '{key}' that the live adapter has.");
        if (!value.shape.SequenceEqual(target.shape))
            throw new AdapterMismatchException($"AdaLoRA checkpoint '{file}': tensor '{key}' has shape [{string.Join(", ", value.shape)}], the live adapter needs [{string.Join(", ", target.shape)}].");
        target.copy_(value);
    }
}

using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.TrainableTokens;
using static TorchSharp.torch;

namespace LoraDsl.Adapters;

/// <summary>
/// The trainable tokens of a PEFT adapter being loaded: adapter_config.json's trainable_token_indices put on the model, and each
/// owning layer's rows copied from its <c>token_adapter.trainable_tokens_delta</c> tensor (a tied head has none: it reads the embedding's).
/// </summary>
static class TrainableTokenReader
{
    public static LoraInjection Apply(string file, PretrainedModel model, AdapterConfig config, LoraInjection injection,
        IReadOnlyDictionary<string, (string Key, Tensor Value)> deltas)
    {
        if (config.TrainableTokenIndices is not { } indices)
        {
            if (deltas.Count > 0)
                throw new AdapterMismatchException($"Adapter file '{file}' holds trainable-token rows ('{deltas.Values.First().Key}'), but its {AdapterFiles.ConfigFile} has no trainable_token_indices.");
            return injection;
        }
        IReadOnlyList<TrainableTokensLayer> layers;
        try
        {
            layers = TrainableTokensInjector.Inject(model, indices, config.EnsureWeightTying, injection.ModulesToSave);
        }
        catch (ArgumentException e)
        {
            throw new AdapterMismatchException($"Adapter config '{Path.Combine(Path.GetDirectoryName(file)!, AdapterFiles.ConfigFile)}': trainable_token_indices: {e.Message}");
        }
        using (no_grad())
        {
            foreach (var layer in layers.Where(l => l.TiedTo is null))
            {
                var key = AdapterFiles.TrainableTokensDelta(layer.Path);
                if (!deltas.TryGetValue(layer.Path, out var stored))
                    throw new AdapterMismatchException($"Adapter file '{file}' lacks tensor '{key}': its config trains tokens [{string.Join(", ", layer.TokenIndices)}] of '{layer.Path}'.");
                if (!stored.Value.shape.SequenceEqual(layer.Delta.shape))
                    throw new AdapterMismatchException(
                        $"Adapter file '{file}': tensor '{stored.Key}' has shape [{string.Join(", ", stored.Value.shape)}], expected [{string.Join(", ", layer.Delta.shape)}] " +
                        $"({layer.TokenIndices.Count} tokens of '{layer.Path}').");
                layer.Delta.copy_(stored.Value);
            }
        }
        return injection with
        {
            Options = injection.Options with { TrainableTokens = TrainableTokenSelection.From(indices) },
            TrainableTokenIndices = indices,
            TrainableTokenLayers = layers,
        };
    }
}

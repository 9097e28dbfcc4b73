using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Training;
using static TorchSharp.torch;

namespace LoraDsl.Adapters;

/// <summary>
/// Checkpoints a training run's adapter in PEFT's format, and restores it into the same live
/// adapters on resume (the modules are already wrapped, so nothing is injected again).
/// </summary>
public sealed class PeftAdapterStore(PretrainedModel model, LoraInjection injection, string? baseModelNameOrPath = null) : IAdapterStore
{
    public void Save(string directory) => AdapterWriter.Save(directory, model, injection, baseModelNameOrPath);

    public void Load(string directory)
    {
        var file = Path.Combine(directory, AdapterFiles.WeightsFile);
        var stored = SafetensorsFile.Open(file);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var module in injection.Modules)
        {
            var adapter = module.Adapter;
            // A converted PiSSA/OLoRA checkpoint holds [A; A₀] and [B, −B₀]; the live adapter trains A and B only.
            var converted = adapter.InitialA is not null;
            using var storedA = Read(stored, AdapterFiles.LoraA(module.Path, module.Layer.Base.TakesTokenIds));
            using var a = converted && storedA.shape[0] == 2 * adapter.Rank ? storedA.narrow(0, 0, adapter.Rank) : storedA.alias();
            CopyChecked(file, AdapterFiles.LoraA(module.Path, module.Layer.Base.TakesTokenIds), adapter.A, a);
            using var storedB = Read(stored, AdapterFiles.LoraB(module.Path, module.Layer.Base.TakesTokenIds));
            using var fullB = converted && storedB.shape[1] == 2 * adapter.Rank ? storedB.narrow(1, 0, adapter.Rank) : storedB.alias();
            using var b = adapter.RowsOf(fullB);
            CopyChecked(file, AdapterFiles.LoraB(module.Path, module.Layer.Base.TakesTokenIds), adapter.B, b);
            foreach (var (name, p) in adapter.ExtraParameters) Copy(stored, AdapterFiles.Extra(module.Path, name), p);
        }
        foreach (var (name, p) in AdapterWriter.SavedParameters(model, injection)) Copy(stored, AdapterFiles.Parameter(name), p);
        foreach (var layer in injection.TrainableTokenLayers.Where(l => l.TiedTo is null)) Copy(stored, AdapterFiles.TrainableTokensDelta(layer.Path), layer.Delta);
        // Rows the live adapter has no layer for would be dropped without a word: the start would not be the saved adapter.
        var live = injection.TrainableTokenLayers.Select(l => AdapterFiles.TrainableTokensDelta(l.Path)).ToHashSet(StringComparer.Ordinal);
        if (stored.Names.FirstOrDefault(n => n.EndsWith(".token_adapter.trainable_tokens_delta", StringComparison.Ordinal) && !live.Contains(n)) is { } extra)
            throw new AdapterMismatchException(
                $"Adapter file '{file}' holds trainable-token rows '{extra}' that the live adapter does not train; " +
                "state the same tokens (l.TrainableTokens(..), --set lora.trainable_token_indices=..) to continue from it.");
    }

    static Tensor Read(SafetensorsFile stored, string key) =>
        stored.Contains(key)
            ? stored.Read(key)
            : throw new AdapterMismatchException($"Adapter file '{stored.Path}' lacks tensor '{key}' that the live adapter has.");

    static void Copy(SafetensorsFile stored, string key, Tensor target)
    {
        using var value = Read(stored, key);
        CopyChecked(stored.Path, key, target, value);
    }

    static void CopyChecked(string file, string key, Tensor target, Tensor value)
    {
        if (!value.shape.SequenceEqual(target.shape))
            throw new AdapterMismatchException(
                $"Adapter file '{file}': tensor '{key}' has shape [{string.Join(", ", value.shape)}], the live adapter needs [{string.Join(", ", target.shape)}].");
        target.copy_(value);
    }
}

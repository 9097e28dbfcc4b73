using LoraDsl.AdaLora;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Training;
using static TorchSharp.torch;

namespace LoraDsl.Adapters;

/// <summary>
/// Checkpoints an AdaLoRA run in PEFT's AdaLoRA format and restores it into the same live adapters
/// (kept triplets from the stored rank pattern, pruned ones zero). The allocator's score EMAs are not part of it.
/// </summary>
public sealed class AdaLoraAdapterStore(PretrainedModel model, LoraInjection injection, AdaLoraOptions options, string? baseModelNameOrPath = null) : IAdapterStore
{
    public void Save(string directory) => AdaLoraAdapterWriter.Save(directory, model, injection, options, baseModelNameOrPath);

    public void Load(string directory)
    {
        var config = AdaLoraAdapterConfig.Read(Path.Combine(directory, AdapterFiles.ConfigFile));
        var file = Path.Combine(directory, AdapterFiles.WeightsFile);
        var stored = SafetensorsFile.Open(file);
        using var scope = NewDisposeScope();
        foreach (var module in injection.Modules)
        {
            var kept = config.RankPattern?.GetValueOrDefault(module.Path);
            AdaLoraAdapterReader.CopyInto(module.Adapter, Read(stored, AdaLoraAdapterFiles.LoraA(module.Path)),
                Read(stored, AdaLoraAdapterFiles.LoraE(module.Path)), Read(stored, AdaLoraAdapterFiles.LoraB(module.Path)), kept);
        }
        using var noGrad = no_grad();
        foreach (var (name, p) in AdapterWriter.SavedParameters(model, injection)) p.copy_(Read(stored, AdapterFiles.Parameter(name)));
    }

    static Tensor Read(SafetensorsFile stored, string key) =>
        stored.Contains(key)
            ? stored.Read(key)
            : throw new AdapterMismatchException($"Adapter file '{stored.Path}' lacks tensor '{key}' that the live adapter has.");
}

using System.Text.RegularExpressions;
using LoraDsl.AdaLora;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using static TorchSharp.torch;

namespace LoraDsl.Adapters;

/// <summary>
/// Loads an AdaLoRA adapter folder PEFT (or <see cref="AdaLoraAdapterWriter"/>) wrote. Each module gets an
/// init_r adapter whose kept triplets (rank_pattern) hold the stored A, E and B and whose pruned ones are zero,
/// which gives the same output as PEFT's resized modules and saves back to the same tensors. Everything is
/// checked before the model is touched.
/// </summary>
internal static partial class AdaLoraAdapterReader
{
    public static LoraInjection Load(string directory, PretrainedModel model, string adapterName = "default")
    {
        var config = AdaLoraAdapterConfig.Read(Path.Combine(directory, AdapterFiles.ConfigFile));
        var file = Path.Combine(directory, AdapterFiles.WeightsFile);
        if (!File.Exists(file)) throw new CheckpointFormatException($"Adapter weights '{file}' do not exist.");
        var (tensors, _) = AdapterReader.ReadTensors(file);
        try
        {
            var (modules, parameters) = Plan(file, model, config, adapterName, tensors);
            var lora = config.Lora.OptionsFor("", adapterName);
            var injection = AdaLoraInjector.Inject(model, lora, config.Options, modules.Select(m => new LoraTarget(m.Path)));
            using (no_grad())
            {
                foreach (var (module, planned) in injection.Modules.Zip(modules))
                    CopyInto(module.Adapter, planned.A, planned.E, planned.B, planned.Kept);
                foreach (var p in parameters) AdapterReader.CopyParameter(model, p);
            }
            return injection;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Puts stored A [k, in], E [k, 1], B [out, k] into an init_r adapter: the kept rows/columns get them, the
    /// others zero; <paramref name="kept"/> null means all r are stored.
    /// </summary>
    internal static void CopyInto(LoraAdapter adapter, Tensor a, Tensor e, Tensor b, bool[]? kept)
    {
        using var _ = no_grad();
        using var rowsOfB = adapter.RowsOf(b);
        var e0 = AdaLoraVariant.SingularValues(adapter);
        if (kept is null)
        {
            adapter.A.copy_(a);
            e0.copy_(e);
            adapter.B.copy_(rowsOfB);
            return;
        }
        using var index = AdaLoraAdapterWriter.KeptIndex(kept, adapter.A.device);
        adapter.A.zero_().index_copy_(0, index, a.to(adapter.A.device));
        e0.zero_().index_copy_(0, index, e.to(e0.device));
        adapter.B.zero_().index_copy_(1, index, rowsOfB.to(adapter.B.device));
        AdaLoraVariant.Instance.SetKeptRanks(adapter, kept);
    }

    sealed record ModulePlan(string Path, Tensor A, Tensor E, Tensor B, bool[]? Kept);

    [GeneratedRegex(@"^(?<path>.+)\.(?<kind>lora_A|lora_B|lora_E)$")]
    private static partial Regex TripletKey();

    static (List<ModulePlan> Modules, List<AdapterReader.ParameterPlan> Parameters) Plan(
        string file, PretrainedModel model, AdaLoraAdapterConfig config, string adapterName, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var triplets = new SortedDictionary<string, Dictionary<string, (string Key, Tensor Value)>>(StringComparer.Ordinal);
        var parameters = new List<AdapterReader.ParameterPlan>();
        foreach (var (key, value) in tensors)
        {
            if (!key.StartsWith(AdapterFiles.TensorPrefix, StringComparison.Ordinal))
                throw new AdapterMismatchException($"Adapter file '{file}': tensor '{key}' does not start with '{AdapterFiles.TensorPrefix}', as PEFT's names do.");
            var name = key[AdapterFiles.TensorPrefix.Length..];
            if (TripletKey().Match(name) is { Success: true } match)
            {
                var path = match.Groups["path"].Value;
                if (!triplets.TryGetValue(path, out var parts)) triplets[path] = parts = [];
                parts[match.Groups["kind"].Value] = (key, value);
            }
            else parameters.Add(AdapterReader.PlanParameter(file, model, key, name, value));
        }
        if (triplets.Count == 0) throw new AdapterMismatchException($"Adapter file '{file}' holds no AdaLoRA tensors (*.lora_A / *.lora_E / *.lora_B).");
        if (config.RankPattern is { } pattern)
            foreach (var path in pattern.Keys)
                if (!triplets.ContainsKey(path))
                    throw new AdapterMismatchException($"Adapter file '{file}': rank_pattern names module '{path}', which has no tensors in the file.");

        var modules = new List<ModulePlan>();
        foreach (var (path, parts) in triplets)
        {
            var anyKey = parts.Values.First().Key;
            var baseLayer = AdapterReader.BaseLayer(file, model, path, anyKey, adapterName);
            foreach (var kind in new[] { "lora_A", "lora_E", "lora_B" })
                if (!parts.ContainsKey(kind))
                    throw new AdapterMismatchException($"Adapter file '{file}': module '{path}' has '{anyKey}' but no {kind}.");
            var kept = config.RankPattern is { } p ? p.GetValueOrDefault(path)
                ?? throw new AdapterMismatchException($"Adapter file '{file}': module '{path}' has no rank_pattern entry, the config has one for other modules.") : null;
            var rank = kept?.Count(k => k) ?? config.Options.InitR;
            AdapterReader.ExpectShape(file, parts["lora_A"].Key, parts["lora_A"].Value, [rank, baseLayer.InFeatures], path, baseLayer, rank);
            AdapterReader.ExpectShape(file, parts["lora_E"].Key, parts["lora_E"].Value, [rank, 1], path, baseLayer, rank);
            AdapterReader.ExpectShape(file, parts["lora_B"].Key, parts["lora_B"].Value, [baseLayer.OutFeatures, rank], path, baseLayer, rank);
            modules.Add(new ModulePlan(path, parts["lora_A"].Value, parts["lora_E"].Value, parts["lora_B"].Value, kept));
        }
        return (modules, parameters);
    }
}

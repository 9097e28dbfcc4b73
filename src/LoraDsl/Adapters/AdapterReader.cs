using System.Buffers.Binary;
using System.Text.Json;
using System.Text.RegularExpressions;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace LoraDsl.Adapters;

/// <summary>
/// Loads a PEFT LoRA adapter folder (written by Python PEFT or by <see cref="AdapterWriter"/>) into a
/// model: wraps every module the file has LoRA tensors for, with the config's rank and alpha, and
/// copies the weights. Everything is checked before the model is touched.
/// </summary>
public static partial class AdapterReader
{
    /// <summary>Applies the adapter in <paramref name="directory"/> to <paramref name="model"/> under <paramref name="adapterName"/>.</summary>
    public static LoraInjection Load(string directory, PretrainedModel model, string adapterName = "default")
    {
        var config = AdapterConfig.Read(Path.Combine(directory, AdapterFiles.ConfigFile));
        if (config.PeftType == AdaLoraAdapterConfig.PeftTypeName) return AdaLoraAdapterReader.Load(directory, model, adapterName);
        var file = Path.Combine(directory, AdapterFiles.WeightsFile);
        if (!File.Exists(file))
        {
            var bin = Path.Combine(directory, "adapter_model.bin");
            throw new CheckpointFormatException(File.Exists(bin)
                ? $"Adapter folder '{directory}' has only '{bin}'; re-save it as {AdapterFiles.WeightsFile} (safe_serialization=True)."
                : $"Adapter weights '{file}' do not exist.");
        }

        var (tensors, metadata) = ReadTensors(file);
        try
        {
            var plan = Plan(file, model, config, adapterName, tensors, metadata);
            var injection = Apply(model, config.OptionsFor("", adapterName), plan) with { UnusedTensors = plan.UnusedTensors };
            return TrainableTokenReader.Apply(file, model, config, injection, plan.TokenDeltas);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>One module's LoRA tensors, checked against the model; B is full-size [out, r] (PEFT's layout).</summary>
    internal sealed record ModulePlan(string Path, LoraOptions Options, IReadOnlyList<OutputSlice> Slices, Tensor A, Tensor B, IReadOnlyDictionary<string, Tensor> Extras);

    /// <summary>A plain parameter (modules_to_save, bias): the module that owns it and its name there.</summary>
    internal sealed record ParameterPlan(string ModulePath, string Name, Tensor Value);

    internal sealed record LoadPlan(IReadOnlyList<ModulePlan> Modules, IReadOnlyList<ParameterPlan> Parameters)
    {
        /// <summary>File tensors of modules the config does not select.</summary>
        public IReadOnlyList<string> UnusedTensors { get; init; } = [];

        /// <summary>Trainable-token rows per module path (PEFT's token_adapter.trainable_tokens_delta), with their tensor names.</summary>
        public IReadOnlyDictionary<string, (string Key, Tensor Value)> TokenDeltas { get; init; } = new Dictionary<string, (string Key, Tensor Value)>();
    }

    [GeneratedRegex(@"^(?<path>.+?)\.(?<kind>lora_A|lora_B)(\.(?<adapter>[^.]+))?\.weight$")]
    private static partial Regex LoraWeightKey();

    [GeneratedRegex(@"^(?<path>.+?)\.lora_embedding_(?<kind>A|B)(\.(?<adapter>[^.]+))?$")]
    private static partial Regex EmbeddingKey();

    [GeneratedRegex(@"^(?<path>.+?)\.(?<kind>lora_magnitude_vector)(\.(?<adapter>[^.]+))?(\.weight)?$")]
    private static partial Regex ExtraKey();

    [GeneratedRegex(@"^(?<path>.+?)\.token_adapter\.trainable_tokens_delta(\.(?<adapter>[^.]+))?$")]
    private static partial Regex TokenDeltaKey();

    static LoadPlan Plan(string file, PretrainedModel model, AdapterConfig config, string adapterName,
        IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var lora = new SortedDictionary<string, Dictionary<string, (string Key, Tensor Value)>>(StringComparer.Ordinal);
        var plain = new List<(string Key, string Name, Tensor Value)>();
        var tokenDeltas = new Dictionary<string, (string Key, Tensor Value)>(StringComparer.Ordinal);
        foreach (var (key, value) in tensors)
        {
            if (!key.StartsWith(AdapterFiles.TensorPrefix, StringComparison.Ordinal))
                throw new AdapterMismatchException($"Adapter file '{file}': tensor '{key}' does not start with '{AdapterFiles.TensorPrefix}', as PEFT's names do.");
            // An integer or bool tensor copied into a float weight would make the adapter a silent no-op.
            if (!value.is_floating_point())
                throw new AdapterMismatchException($"Adapter file '{file}': tensor '{key}' has dtype {value.dtype}; adapter weights must be floating point (F32, F16 or BF16).");
            var name = key[AdapterFiles.TensorPrefix.Length..];
            if (TokenDeltaKey().Match(name) is { Success: true } token)
            {
                tokenDeltas[token.Groups["path"].Value] = (key, value);
                continue;
            }
            var match = LoraWeightKey().Match(name) is { Success: true } m ? m : ExtraKey().Match(name);
            var embedding = match.Success ? null : EmbeddingKey().Match(name) is { Success: true } e ? e : null;
            if (match.Success || embedding is not null)
            {
                var path = (embedding ?? match).Groups["path"].Value;
                if (!lora.TryGetValue(path, out var parts)) lora[path] = parts = [];
                // lora_embedding_A/B are an embedding's A and B (same shapes as a Linear's, in = vocabulary).
                parts[embedding is null ? match.Groups["kind"].Value : $"lora_{embedding.Groups["kind"].Value}"] = (key, value);
            }
            else plain.Add((key, name, value));
        }
        if (lora.Count == 0) throw new AdapterMismatchException($"Adapter file '{file}' holds no LoRA tensors (*.lora_A.weight / *.lora_B.weight).");
        var selects = SelectionOf(file, model, config);

        var slices = ReadSlices(file, metadata);
        var modules = new List<ModulePlan>();
        var unused = new List<string>();
        foreach (var (path, parts) in lora)
        {
            // PEFT adapts only what the config selects; tensors of other modules in the file are left unused.
            if (!selects(path))
            {
                unused.AddRange(parts.Values.Select(p => p.Key).Order(StringComparer.Ordinal));
                continue;
            }
            var anyKey = parts.Values.First().Key;
            var baseLayer = BaseLayer(file, model, path, anyKey, adapterName);
            if (!parts.TryGetValue("lora_A", out var a) || !parts.TryGetValue("lora_B", out var b))
                throw new AdapterMismatchException($"Adapter file '{file}': tensor '{anyKey}' has no matching {(parts.ContainsKey("lora_A") ? "lora_B" : "lora_A")} for module '{path}'.");
            var options = config.OptionsFor(path, adapterName);
            ExpectShape(file, a.Key, a.Value, [options.Rank, baseLayer.InFeatures], path, baseLayer, options.Rank);
            ExpectShape(file, b.Key, b.Value, [baseLayer.OutFeatures, options.Rank], path, baseLayer, options.Rank);
            var extras = new Dictionary<string, Tensor>();
            if (parts.TryGetValue(DoraVariant.MagnitudeName, out var magnitude))
            {
                if (!options.UseDora)
                    throw new AdapterMismatchException($"Adapter file '{file}': tensor '{magnitude.Key}' is a DoRA magnitude, but the config has use_dora false.");
                ExpectShape(file, magnitude.Key, magnitude.Value, [baseLayer.OutFeatures], path, baseLayer, options.Rank);
                extras[DoraVariant.MagnitudeName] = magnitude.Value;
            }
            else if (options.UseDora)
                throw new AdapterMismatchException($"Adapter file '{file}': the config has use_dora true, but module '{path}' has no '{AdapterFiles.Extra(path, DoraVariant.MagnitudeName)}'.");

            // Restore the ranges only when B really is zero outside them (then nothing is lost).
            IReadOnlyList<OutputSlice> ranges = slices.TryGetValue(path, out var s) && !options.UseDora
                && StoredRows(file, s, baseLayer.OutFeatures, path) is var rows && rows.ZeroOutside(b.Value) ? rows.Slices : [];
            modules.Add(new ModulePlan(path, options, ranges, a.Value, b.Value, extras));
        }

        if (modules.Count == 0)
            throw new AdapterMismatchException($"Adapter file '{file}': none of its LoRA tensors belongs to a module its {AdapterFiles.ConfigFile} selects " +
                $"(target_modules, layers_to_transform, exclude_modules); the file holds {string.Join(", ", lora.Keys.Take(4))}{(lora.Count > 4 ? ", …" : "")}.");
        var parameters = plain.Select(p => PlanParameter(file, model, p.Key, p.Name, p.Value)).ToList();
        return new LoadPlan(modules, parameters) { UnusedTensors = unused, TokenDeltas = tokenDeltas };
    }

    /// <summary>A plain tensor (modules_to_save, a bias) matched to the model parameter it replaces.</summary>
    internal static ParameterPlan PlanParameter(string file, PretrainedModel model, string key, string name, Tensor value)
    {
        var split = name.LastIndexOf('.');
        var modulePath = split < 0 ? "" : name[..split];
        var parameterName = name[(split + 1)..];
        // A wrapped module's own parameters sit under base_layer in PEFT's names; ours resolve through the wrapper.
        if (modulePath.EndsWith(".base_layer", StringComparison.Ordinal)) modulePath = modulePath[..^".base_layer".Length];
        var parameter = split > 0 && ModuleSurgery.Exists(model, modulePath) ? OwnParameter(ModuleSurgery.Find(model, modulePath), parameterName) : null;
        if (parameter is null)
            throw new AdapterMismatchException($"Adapter file '{file}': tensor '{key}' names parameter '{name}', which {model.GetType().Name} does not have.");
        if (!parameter.shape.SequenceEqual(value.shape))
            throw new AdapterMismatchException($"Adapter file '{file}': tensor '{key}' has shape {Shape(value.shape)}, expected {Shape(parameter.shape)} (the model's '{name}').");
        return new ParameterPlan(modulePath, parameterName, value);
    }

    /// <summary>Wraps and fills the planned modules; the plan must already be checked against the model.</summary>
    internal static LoraInjection Apply(PretrainedModel model, LoraOptions options, LoadPlan plan)
    {
        var adapted = new List<AdaptedModule>();
        IReadOnlyList<string> saved = [];
        // One injection per distinct (rank, alpha): rank_pattern / alpha_pattern can differ per module.
        foreach (var group in plan.Modules.GroupBy(m => (m.Options.Rank, m.Options.Alpha)))
        {
            var injection = LoraInjector.Inject(model, group.First().Options, group.Select(m => new LoraTarget(m.Path, m.Slices)));
            adapted.AddRange(injection.Modules);
            saved = injection.ModulesToSave;
        }
        using (no_grad())
        {
            var byPath = adapted.ToDictionary(m => m.Path, StringComparer.Ordinal);
            foreach (var planned in plan.Modules)
            {
                var adapter = byPath[planned.Path].Adapter;
                adapter.A.copy_(planned.A);
                using var rows = adapter.RowsOf(planned.B);
                adapter.B.copy_(rows);
                foreach (var (name, value) in planned.Extras) adapter.ExtraParameters[name].copy_(value);
            }
            foreach (var p in plan.Parameters) CopyParameter(model, p);
        }
        return new LoraInjection(options, adapted, saved);
    }

    internal static void CopyParameter(PretrainedModel model, ParameterPlan plan) =>
        OwnParameter(ModuleSurgery.Find(model, plan.ModulePath), plan.Name)!.copy_(plan.Value);

    /// <summary>The base layer a LoRA tensor belongs to; errors name the file and tensor.</summary>
    internal static LoraBaseLayer BaseLayer(string file, PretrainedModel model, string path, string key, string adapterName)
    {
        if (!ModuleSurgery.Exists(model, path))
            throw new AdapterMismatchException($"Adapter file '{file}': tensor '{key}' belongs to module '{path}', which {model.GetType().Name} does not have.");
        var module = ModuleSurgery.Find(model, path);
        if (module is LoraLinear wrapped)
        {
            if (wrapped.Adapters.ContainsKey(adapterName))
                throw new AdapterMismatchException($"Adapter file '{file}': module '{path}' already has an adapter named '{adapterName}'.");
            return wrapped.Base;
        }
        if (module is not nn.Module<Tensor, Tensor> layer)
            throw new AdapterMismatchException($"Adapter file '{file}': tensor '{key}' belongs to module '{path}', a {module.GetType().Name}, which LoRA cannot wrap.");
        try
        {
            return LoraBaseLayer.Of(layer, path);
        }
        catch (ModuleNotFoundException e)
        {
            throw new AdapterMismatchException($"Adapter file '{file}': tensor '{key}': {e.Message}");
        }
    }

    /// <summary>
    /// The modules the config selects, by PEFT's rule (<see cref="Dsl.PeftModuleMatch"/>): each target_modules entry must name a
    /// module of the base model, and the selection as a whole (with layers_to_transform, exclude_modules) at least one,
    /// else PEFT's "Target modules not found". A config without target_modules selects every module the file holds.
    /// </summary>
    static Func<string, bool> SelectionOf(string file, PretrainedModel model, AdapterConfig config)
    {
        var configFile = Path.Combine(Path.GetDirectoryName(file)!, AdapterFiles.ConfigFile);
        if (!config.HasTargetModules) return _ => true;
        var names = model.named_modules().Select(m => m.name).Where(n => n.Length > 0).ToList();
        Regex? regex = null;
        if (config.TargetModulesPattern is { } pattern)
        {
            try
            {
                regex = Dsl.PeftModuleMatch.FullMatch(pattern);
            }
            catch (ArgumentException e)
            {
                throw new AdapterMismatchException($"Adapter config '{configFile}': target_modules '{pattern}' is not a valid regular expression: {e.Message}");
            }
        }
        else
        {
            var unmatched = config.TargetModules.Where(t => !names.Any(n => Dsl.PeftModuleMatch.IsNamed(n, t))).ToList();
            if (unmatched.Count > 0)
                throw new AdapterMismatchException(
                    $"Adapter config '{configFile}': target_modules {string.Join(", ", unmatched.Select(t => $"'{t}'"))} match no module of {model.GetType().Name} " +
                    "(this adapter was made for another model, or the name is misspelled).");
        }
        bool Selects(string path) => Dsl.PeftModuleMatch.Selects(path, config.TargetModules, regex, config.LayersToTransform, config.LayersPattern, config.ExcludeModules);
        if (!names.Any(Selects))
        {
            var target = regex is null ? $"[{string.Join(", ", config.TargetModules.Select(t => $"'{t}'"))}]" : $"'{config.TargetModulesPattern}'";
            var narrowed = (config.LayersToTransform is { Count: > 0 } layers ? $", layers_to_transform [{string.Join(", ", layers)}]" : "")
                + (config.LayersPattern is { } lp ? $", layers_pattern '{lp}'" : "")
                + (config.ExcludeModules is { Count: > 0 } ex ? $", exclude_modules [{string.Join(", ", ex)}]" : "");
            throw new AdapterMismatchException($"Adapter config '{configFile}': Target modules {target}{narrowed} not found in the base model " +
                $"{model.GetType().Name}: the selection adapts no module. Check target_modules and layers_to_transform against the model's module names.");
        }
        return Selects;
    }

    internal static void ExpectShape(string file, string key, Tensor value, long[] expected, string path, LoraBaseLayer baseLayer, int rank)
    {
        if (!value.shape.SequenceEqual(expected))
            throw new AdapterMismatchException(
                $"Adapter file '{file}': tensor '{key}' has shape {Shape(value.shape)}, expected {Shape(expected)} " +
                $"(module '{path}' is {baseLayer.InFeatures}->{baseLayer.OutFeatures}, r={rank}).");
    }

    /// <summary>A parameter registered directly on <paramref name="module"/> (through a LoRA wrapper to its base).</summary>
    static Parameter? OwnParameter(nn.Module module, string name)
    {
        if (module is LoraLinear wrapped) module = wrapped.Base.Module;
        foreach (var (n, p) in module.named_parameters(recurse: false))
            if (n == name) return p;
        return null;
    }

    /// <summary>The output ranges per module path; the older single [offset, length] form is read too.</summary>
    static Dictionary<string, IReadOnlyList<OutputSlice>> ReadSlices(string file, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(AdapterFiles.OutputSlicesMetadataKey, out var json)) return [];
        try
        {
            var raw = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json) ?? [];
            var result = new Dictionary<string, IReadOnlyList<OutputSlice>>(StringComparer.Ordinal);
            foreach (var (path, value) in raw)
            {
                var pairs = value.EnumerateArray().First().ValueKind == JsonValueKind.Array
                    ? value.EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetInt64()).ToArray())
                    : [value.EnumerateArray().Select(v => v.GetInt64()).ToArray()];
                result[path] = [.. pairs.Select(p => p.Length == 2 ? new OutputSlice(p[0], p[1])
                    : throw new CheckpointFormatException($"Adapter file '{file}': metadata '{AdapterFiles.OutputSlicesMetadataKey}' for module '{path}' has a range of {p.Length} numbers, expected [offset, length]."))];
            }
            return result;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new CheckpointFormatException($"Adapter file '{file}': metadata '{AdapterFiles.OutputSlicesMetadataKey}' is not valid: {e.Message}", e);
        }
    }

    /// <summary>A module's stored ranges, checked against its width; a bad range is a broken file, not a caller error.</summary>
    static OutputRows StoredRows(string file, IReadOnlyList<OutputSlice> slices, long outFeatures, string path)
    {
        try
        {
            return OutputRows.Of(slices, outFeatures, path);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointFormatException($"Adapter file '{file}': metadata '{AdapterFiles.OutputSlicesMetadataKey}': {e.Message}", e);
        }
    }

    static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>
    /// Reads a safetensors file after checking its header against its length, so a truncated or corrupt
    /// file fails with its name and the tensor at fault. The one place to switch to SafetensorsFile later.
    /// </summary>
    internal static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ReadTensors(string file)
    {
        // SafetensorsFile validates the header and every tensor's extent before reading.
        var safetensors = SafetensorsFile.Open(file);
        var tensors = safetensors.ReadAll();
        // A NaN/Inf weight would load, merge and train into NaN outputs with no word of where it came from.
        foreach (var (name, tensor) in tensors) FiniteValues.Require(tensor, name, file);
        return (tensors, new Dictionary<string, string>(safetensors.Metadata));
    }
}

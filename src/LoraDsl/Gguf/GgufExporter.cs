using LoraDsl.Adapters;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Native;
using static TorchSharp.torch;

namespace LoraDsl.Gguf;

/// <summary>
/// Writes a model (with any merged adapters) as a GGUF file llama.cpp, LLamaSharp and Ollama load, or one LoRA adapter
/// as llama.cpp's LoRA GGUF, each with an Ollama Modelfile beside it.
/// </summary>
public static class GgufExporter
{
    /// <summary>
    /// Writes <paramref name="model"/>'s weights (merge adapters first) with the tokenizer of <paramref name="tokenizerDirectory"/>.
    /// 2-D weights are stored as <paramref name="type"/>; norms, biases and position tables stay F32 (as llama.cpp's
    /// converter does); a Q8_0 weight whose rows are not whole blocks of 32 falls back to F16.
    /// </summary>
    public static GgufExportReport ExportModel(PretrainedModel model, string tokenizerDirectory, string path, GgufTensorType type = GgufTensorType.F16,
        string? name = null, bool writeModelfile = true)
    {
        if (model.named_modules().Any(m => m.module is LoraLinear))
            throw new GgufExportException("export-gguf: the model still carries LoRA adapters; merge them first (LoraInjector.MergeAndUnload) or export them with --lora-only.");
        if (model.named_modules().Any(m => m.module is Quantization.Linear4Bit))
            throw new GgufExportException("export-gguf: the model has 4-bit layers; dequantise them first (QuantizedMerge.MergeToDense), then choose --type q8_0 for a small file.");
        var layout = GgufModelLayout.For(model);
        var vocabulary = GgufVocabularyReader.Read(tokenizerDirectory, model.Config.VocabSize, model.Config.Raw);
        var warnings = new List<string>(vocabulary.Warnings);
        var writer = new GgufWriter();
        writer.Add("general.architecture", layout.Architecture);
        writer.Add("general.type", "model");
        writer.Add("general.name", name ?? Path.GetFileNameWithoutExtension(path));
        writer.Add("general.file_type", FileType(type));
        writer.Add("general.quantization_version", 2u);
        layout.WriteHyperparameters(writer);
        vocabulary.WriteTo(writer);

        var state = model.state_dict();
        foreach (var (hfName, weight) in state)
        {
            if (layout.Map(hfName) is not var (ggufName, transform)) continue;
            long[] shape = transform == GgufTensorTransform.Transpose ? [weight.shape[1], weight.shape[0]] : weight.shape;
            var stored = TypeFor(ggufName, shape, type, warnings);
            writer.AddTensor(ggufName, shape, stored, () => Values(weight, t => layout.Rearrange(t, transform)));
        }
        foreach (var (extraName, shape, data) in layout.ExtraTensors()) writer.AddTensor(extraName, shape, GgufTensorType.F32, data);
        writer.Write(path);
        var modelfile = writeModelfile ? OllamaModelfile.WriteBeside(path, null, vocabulary) : null;
        return new GgufExportReport(Path.GetFullPath(path), writer.TensorNames.Count, new FileInfo(path).Length, modelfile, warnings);
    }

    /// <summary>
    /// Writes the adapter <paramref name="adapterName"/> loaded on <paramref name="model"/> as llama.cpp's LoRA GGUF:
    /// <c>blk.N.attn_q.weight.lora_a</c> [r, in] and <c>.lora_b</c> [out, r] (b's rows permuted like the base's q/k).
    /// llama.cpp scales every pair by adapter.lora.alpha / r; a module whose scale differs from the first one's (rsLoRA's
    /// alpha/√r with another rank, alpha_pattern) has its B rescaled so the product is the same.
    /// </summary>
    /// <param name="baseGguf">The base model's GGUF, for the Modelfile's FROM line (default ./base.gguf).</param>
    public static GgufExportReport ExportLoraAdapter(PretrainedModel model, string adapterName, string tokenizerDirectory, string path,
        GgufTensorType type = GgufTensorType.F32, string? baseGguf = null, bool writeModelfile = true)
    {
        var adapters = ModelAdapters.Of(model);
        var injection = adapters.Injection(adapterName);
        var layout = GgufModelLayout.For(model);
        var modules = injection.Modules;
        if (injection.ModulesToSave is { Count: > 0 } saved)
            throw Refuse($"modules_to_save ({string.Join(", ", saved)}) are full weights");
        if (injection.TrainableTokenIndices is not null || injection.Options.TrainableTokens is not null)
            throw Refuse("its trainable tokens (trainable_token_indices) are rows of the embedding table, not a lora_a/lora_b pair");
        foreach (var module in modules)
        {
            var options = module.Adapter.Options;
            if (options.UseDora || module.Adapter.Variant is DoraVariant) throw Refuse($"'{module.Path}' is DoRA (a magnitude vector llama.cpp does not apply)");
            if (module.Adapter.Variant is EmbeddingLora) throw Refuse($"'{module.Path}' is an embedding LoRA");
            if (module.Adapter.Variant is not StandardLora) throw Refuse($"'{module.Path}' is {module.Adapter.Variant.Name}, not plain LoRA");
            if (options.Bias != LoraBias.None) throw Refuse($"the adapter trains biases (bias={options.Bias})");
        }
        if (modules.Count == 0) throw new GgufExportException($"export-gguf --lora-only: adapter '{adapterName}' has no LoRA modules.");
        // llama.cpp: scale = alpha / rank of each pair; choose alpha from the first module.
        var alpha = modules[0].Adapter.Scaling * modules[0].Rank;
        var vocabulary = GgufVocabularyReader.Read(tokenizerDirectory, model.Config.VocabSize, model.Config.Raw);
        var writer = new GgufWriter();
        writer.Add("general.architecture", layout.Architecture);
        writer.Add("general.type", "adapter");
        writer.Add("general.name", Path.GetFileNameWithoutExtension(path));
        writer.Add("general.file_type", FileType(type));
        writer.Add("general.quantization_version", 2u);
        writer.Add("adapter.type", "lora");
        writer.Add("adapter.lora.alpha", (float)alpha);
        var warnings = new List<string>(vocabulary.Warnings);
        foreach (var module in modules)
        {
            if (layout.Map(module.Path + ".weight") is not var (baseName, transform))
                throw Refuse($"'{module.Path}' has no tensor in llama.cpp's {layout.Architecture} layout");
            var adapter = module.Adapter;
            var factor = adapter.Scaling / (alpha / adapter.Rank);
            // B is [out, r] whatever the base stores; only q/k row order changes.
            var rowTransform = transform == GgufTensorTransform.Transpose ? GgufTensorTransform.None : transform;
            long[] aShape = [adapter.Rank, adapter.InFeatures];
            long[] bShape = [adapter.OutFeatures, adapter.Rank];
            writer.AddTensor(baseName + ".lora_a", aShape, TypeFor(baseName + ".lora_a", aShape, type, warnings), () => Values(adapter.A, t => t.alias()));
            writer.AddTensor(baseName + ".lora_b", bShape, TypeFor(baseName + ".lora_b", bShape, type, warnings), () =>
            {
                using var full = adapter.FullB();
                return Values(full, t =>
                {
                    using var rows = layout.Rearrange(t, rowTransform);
                    return Math.Abs(factor - 1) < 1e-12 ? rows.alias() : rows.mul(factor);
                });
            });
        }
        writer.Write(path);
        var modelfile = writeModelfile ? OllamaModelfile.WriteBeside(baseGguf ?? "./base.gguf", path, vocabulary) : null;
        return new GgufExportReport(Path.GetFullPath(path), writer.TensorNames.Count, new FileInfo(path).Length, modelfile, warnings);
    }

    static GgufExportException Refuse(string what) => new(
        $"export-gguf --lora-only: {what}; llama.cpp's LoRA GGUF cannot hold that. Export the merged model instead: export-gguf --model DIR --adapter DIR --output FILE.gguf.");

    /// <summary>The stored type: F32 for vectors, norms and position tables; F16 for Q8_0 rows that are not whole blocks.</summary>
    static GgufTensorType TypeFor(string name, long[] shape, GgufTensorType requested, List<string> warnings)
    {
        if (shape.Length == 1 || name.EndsWith("_norm.weight", StringComparison.Ordinal) || name.StartsWith("position_embd", StringComparison.Ordinal))
            return GgufTensorType.F32;
        if (requested == GgufTensorType.Q8_0 && shape[^1] % GgufTensorEncoder.Q8BlockSize != 0)
        {
            warnings.Add($"{name}: rows of {shape[^1]} values are not whole Q8_0 blocks of {GgufTensorEncoder.Q8BlockSize}; stored as F16.");
            return GgufTensorType.F16;
        }
        return requested;
    }

    /// <summary>llama.cpp's general.file_type (llama_ftype): the type most weights have.</summary>
    static uint FileType(GgufTensorType type) => type switch
    {
        GgufTensorType.F32 => 0,
        GgufTensorType.F16 => 1,
        GgufTensorType.Q8_0 => 7,
        GgufTensorType.BF16 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The fp32 values of <paramref name="weight"/> after <paramref name="rearrange"/>, row-major.</summary>
    static float[] Values(Tensor weight, Func<Tensor, Tensor> rearrange)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var host = weight.detach().to(ScalarType.Float32).cpu();
        return HostMemory.ToArray<float>(rearrange(host).contiguous());
    }
}

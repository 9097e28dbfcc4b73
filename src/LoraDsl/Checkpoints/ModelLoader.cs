using System.Text.Json.Nodes;
using LoraDsl.Models;
using LoraDsl.Native;
using LoraDsl.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>Builds the model a Hugging Face folder describes and fills it from its weights.</summary>
public static class ModelLoader
{
    public static PretrainedModel Load(string directory, ModelLoadOptions? options = null) =>
        Load(directory, options, out _);

    /// <summary>As <see cref="Load(string, ModelLoadOptions?)"/>, also returning what the weight copy did.</summary>
    public static PretrainedModel Load(string directory, ModelLoadOptions? options, out WeightLoadReport report)
    {
        TorchNative.EnsureLoaded();
        options ??= new ModelLoadOptions();
        options.Quantization?.Validate();
        var checkpoint = HfCheckpoint.Open(directory);
        var prequantized = BitsAndBytesConfig.IsFourBit(checkpoint.Config, checkpoint.ConfigPath, out _);
        // Open (and validate) the weights before building a possibly large model.
        using var tensors = checkpoint.OpenTensors();
        var (model, architecture) = Build(checkpoint, options);
        try
        {
            // A 4-bit folder is rebuilt from its codes; a dense one is quantised after the copy if asked.
            // A config that says 4-bit over dense weights is contradictory: `quantize` would call it quantised, loading would not.
            if (prequantized && PrequantizedWeights.Attach(model, tensors, architecture, options.Quantization?.ComputeDtype ?? options.ComputeDtype).Count == 0)
                throw new CheckpointFormatException($"'{checkpoint.ConfigPath}' declares a bitsandbytes 4-bit {BitsAndBytesConfig.Field}, but the weights of " +
                    $"'{directory}' hold no 4-bit layer (no packed uint8 weight, no quant_state): remove {BitsAndBytesConfig.Field} from config.json to load it as a dense model, or use the folder `quantize` wrote.");
            report = CheckpointWeights.CopyInto(model, tensors, architecture, options.RejectUnexpectedTensors);
            if (!prequantized && options.Quantization is { } quantization) ModelQuantizer.Quantize(model, quantization);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The architecture config.json describes, with freshly initialised weights and no weight file:
    /// the start of pre-training, or of a test.
    /// </summary>
    public static PretrainedModel Initialize(string directory, ModelLoadOptions? options = null) =>
        Build(HfCheckpoint.Open(directory), options ?? new ModelLoadOptions()).Model;

    static (PretrainedModel Model, ModelArchitecture Architecture) Build(HfCheckpoint checkpoint, ModelLoadOptions options)
    {
        if (options.ComputeDtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"Compute dtype {options.ComputeDtype} is not supported: use Float32, BFloat16 or Float16.");
        var architecture = ModelArchitectures.Find(checkpoint.ModelType, checkpoint.ConfigPath);
        var raw = checkpoint.Config;
        if (options.NumLabels is { } labels)
        {
            raw = (JsonObject)raw.DeepClone();
            raw["num_labels"] = labels;
        }
        var device = TorchDevice.Resolve(options.Device);
        if (options.ComputeDtype == ScalarType.Float16 && device.type == DeviceType.CPU)
            throw new ArgumentException("Float16 compute on the CPU is hundreds of times slower than BFloat16 (no fp16 matmul kernels); use BFloat16 or Float32 on the CPU, Float16 on a GPU.");
        var model = architecture.Create(raw, checkpoint.ConfigPath, options.ComputeDtype, device);
        try
        {
            // Architectures built elsewhere (fp32 on the CPU) are moved once here.
            if (model.parameters().Any(p => p.dtype != options.ComputeDtype && p.is_floating_point())) model.to(options.ComputeDtype);
            if (model.parameters().Any(p => p.device_type != device.type)) model.to(device);
            return (model, architecture);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}

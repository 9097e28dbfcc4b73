using LoraDsl.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>
/// The rules of <see cref="Precision"/>: its names and dtype, and keeping every trainable tensor an
/// fp32 master weight inside a bf16/fp16 model, so AdamW updates it in fp32 (an update smaller than
/// bf16's spacing is kept, not rounded away).
/// </summary>
public static class MixedPrecision
{
    /// <summary>The names <c>--set precision=</c> and run.json use.</summary>
    public static string Name(this Precision precision) => precision switch
    {
        Precision.Float32 => "fp32",
        Precision.BFloat16 => "bf16",
        Precision.Float16 => "fp16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision."),
    };

    /// <summary>The dtype of the frozen base weights and of the matmuls.</summary>
    public static ScalarType ComputeDtype(this Precision precision) => precision switch
    {
        Precision.Float32 => ScalarType.Float32,
        Precision.BFloat16 => ScalarType.BFloat16,
        Precision.Float16 => ScalarType.Float16,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision."),
    };

    /// <summary>The precision whose compute dtype is <paramref name="dtype"/>.</summary>
    public static Precision FromDtype(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => Precision.Float32,
        ScalarType.BFloat16 => Precision.BFloat16,
        ScalarType.Float16 => Precision.Float16,
        _ => throw new ArgumentException($"No precision computes in {dtype}: use Float32, BFloat16 or Float16."),
    };

    /// <summary>Reads "fp32"/"float32", "bf16"/"bfloat16", "fp16"/"float16" (any case).</summary>
    public static Precision Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => Precision.Float32,
        "bf16" or "bfloat16" => Precision.BFloat16,
        "fp16" or "float16" => Precision.Float16,
        _ => throw new ArgumentException($"Unknown precision '{text}': use fp32, bf16 or fp16."),
    };

    /// <summary>
    /// <see cref="KeepTrainableInFloat32(nn.Module, ScalarType)"/> with the dtype of the model's frozen
    /// floating-point weights (fp32 when there are none: nothing to do).
    /// </summary>
    public static IReadOnlyList<string> KeepTrainableInFloat32(nn.Module model)
    {
        var frozen = model.parameters().FirstOrDefault(p => !p.requires_grad && p.is_floating_point());
        return KeepTrainableInFloat32(model, frozen?.dtype ?? ScalarType.Float32);
    }

    /// <summary>
    /// Makes every module that directly owns a trainable parameter stored in bf16/fp16 (a
    /// modules_to_save head, a trained bias's layer) an fp32 module whose input is cast to fp32 and
    /// whose output is cast back to <paramref name="computeDtype"/>, so its parameters are the fp32
    /// master weights the optimiser updates. LoRA adapters are fp32 already and are left alone.
    /// Call after the trainable set is final and before the optimiser collects parameters.
    /// Returns the paths of the modules it converted.
    /// </summary>
    public static IReadOnlyList<string> KeepTrainableInFloat32(nn.Module model, ScalarType computeDtype)
    {
        if (computeDtype == ScalarType.Float32) return [];
        var modules = model.named_modules().ToList();
        var owners = new List<(string Path, nn.Module Module)>();
        foreach (var (path, module) in modules)
        {
            if (module is LoraAdapter) continue;
            if (module.named_parameters(recurse: false).Any(p => p.parameter.requires_grad && p.parameter.dtype != ScalarType.Float32))
                owners.Add((path, module));
        }
        if (owners.Count == 0) return [];
        foreach (var (path, module) in owners)
        {
            if (module is not nn.Module<Tensor, Tensor>)
                throw new NotSupportedException(
                    $"Module '{path}' ({module.GetType().Name}) has trainable parameters in {computeDtype} but is not a single-input module; " +
                    "mixed precision cannot keep its master weights in fp32. Train it in Precision.Float32.");
            if (module.named_modules().Any(m => m.module is LoraLinear))
                throw new NotSupportedException($"Module '{path}' trains in full and also holds LoRA layers; PEFT does not allow that overlap either.");
            // TorchSharp hands out a new wrapper per listing, so a tie is found by the names the model declares.
            if (model is Models.ITiedWeights tied)
                foreach (var key in tied.TiedKeys)
                    if (key == path || key.StartsWith(path + ".", StringComparison.Ordinal) || path.Length == 0)
                        throw new NotSupportedException(
                            $"Trainable module '{path}' holds the tied weight '{key}' (shared with the input embeddings); with a {computeDtype} base its fp32 master copy would untie them. Train it in Precision.Float32.");
        }
        var converted = new List<string>(owners.Count);
        foreach (var (path, module) in owners)
        {
            var layer = (nn.Module<Tensor, Tensor>)module;
            var trainable = layer.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToHashSet();
            layer.to(ScalarType.Float32);
            foreach (var (name, p) in layer.named_parameters()) p.requires_grad = trainable.Contains(name);
            layer.register_forward_pre_hook((_, input) => input.is_floating_point() && input.dtype != ScalarType.Float32 ? input.to(ScalarType.Float32) : null!);
            layer.register_forward_hook((_, _, output) =>
            {
                if (!output.is_floating_point() || output.dtype == computeDtype) return output;
                var cast = output.to(computeDtype);
                output.Dispose();
                return cast;
            });
            converted.Add(path);
        }
        foreach (var (_, module) in modules)
            if (module is LoraLinear wrapper) wrapper.RefreshBase();
        return converted;
    }
}

using LoraDsl.Checkpoints;
using LoraDsl.Models;
using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Quantization;

/// <summary>
/// Loads a folder transformers + bitsandbytes saved in 4 bits without requantising: every Linear/Conv1D whose checkpoint
/// weight is packed uint8 becomes a <see cref="Linear4Bit"/> rebuilt from its stored codes and quant_state.
/// </summary>
static class PrequantizedWeights
{
    /// <summary>Replaces the model's 4-bit layers before the weight copy; returns their paths.</summary>
    public static IReadOnlyList<string> Attach(PretrainedModel model, CheckpointTensorSource source, ModelArchitecture architecture, ScalarType computeDtype)
    {
        var dense = model.named_modules().Where(m => m.module is Linear or Conv1D).Select(m => (m.name, Module: (nn.Module<Tensor, Tensor>)m.module)).ToList();
        var attached = new List<string>();
        foreach (var (path, module) in dense)
        {
            var key = CheckpointWeights.CheckpointKeyFor(path + ".weight", architecture.BaseModelPrefix, source);
            if (key is null) continue;
            var hasState = Enum.GetValues<FourBitDataType>().Any(t => source.Contains(key + FourBitWeight.QuantStatePrefix + FourBitCodeBook.Name(t)));
            if (!hasState && source.Dtype(key) != ScalarType.Byte) continue;
            var (outFeatures, inFeatures, denseWeight, bias, conv) = module switch
            {
                Linear l => (l.out_features, l.in_features, l.weight!, l.bias, false),
                Conv1D c => (c.OutFeatures, c.InFeatures, c.Weight, c.Bias, true),
                _ => throw new InvalidOperationException(),
            };
            var device = denseWeight.device;
            var weight = FourBitWeight.FromState(key, name => source.Contains(name) ? source.Read(name).to(device) : null, source.FileOf(key), outFeatures, inFeatures);
            ModuleSurgery.Replace(model, path, _ => new Linear4Bit(weight, bias, computeDtype) { ReplacesConv1D = conv });
            denseWeight.Dispose();
            attached.Add(path);
        }
        return attached;
    }
}

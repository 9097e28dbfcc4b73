using LoraDsl.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Quantization;

/// <summary>
/// A frozen linear layer whose weight is 4-bit (bitsandbytes' <c>Linear4bit</c>): y = x·dequant(W)ᵀ + b, computed in
/// <see cref="ComputeDtype"/>. Its state dict uses bitsandbytes' names (<c>weight</c> packed uint8, <c>weight.absmax</c>,
/// <c>weight.quant_map</c>, <c>weight.nested_absmax</c>, <c>weight.nested_quant_map</c>, <c>weight.quant_state.bitsandbytes__nf4</c>, <c>bias</c>).
/// LoRA wraps it like a Linear.
/// </summary>
internal sealed class Linear4Bit : nn.Module<Tensor, Tensor>
{
    static Linear4Bit() => LoraBaseLayer.Register(m => m is Linear4Bit q ? new FourBitBaseLayer(q) : null);

    internal Linear4Bit(FourBitWeight weight, Parameter? bias, ScalarType computeDtype) : base("Linear4Bit")
    {
        Weight = weight;
        ComputeDtype = computeDtype;
        this.bias = bias;
        if (bias is not null) register_parameter("bias", bias);
    }

    readonly Parameter? bias;

    public long InFeatures => Weight.InFeatures;

    public long OutFeatures => Weight.OutFeatures;

    /// <summary>The dtype the weight is dequantised into and the product runs in.</summary>
    public ScalarType ComputeDtype { get; }

    public FourBitDataType DataType => Weight.DataType;

    public bool DoubleQuant => Weight.DoubleQuant;

    public int BlockSize => Weight.BlockSize;

    /// <summary>Bytes the quantised weight occupies (codes, scales, code books, quant_state JSON), bias excluded.</summary>
    public long WeightBytes => Weight.StorageBytes;

    public Parameter? Bias => bias;

    internal FourBitWeight Weight { get; private set; }

    /// <summary>The dense layer it replaced was GPT-2's Conv1D ([in, out]); dequantising restores that layout.</summary>
    internal bool ReplacesConv1D { get; init; }

    /// <summary>W [out, in] in <paramref name="dtype"/>, decoded from the codes (a new tensor, no autograd).</summary>
    public Tensor Dequantize(ScalarType dtype = ScalarType.Float32) => Weight.Dequantize(dtype);

    /// <summary>Swaps in a requantised weight and disposes the old one.</summary>
    internal void ReplaceWeight(FourBitWeight weight)
    {
        var old = Weight;
        Weight = weight;
        old.Dispose();
    }

    public override Tensor forward(Tensor x) => FourBitMatmul.Apply(x, Weight, bias, ComputeDtype);

    public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null)
    {
        destination ??= [];
        var key = string.IsNullOrEmpty(prefix) ? "weight" : prefix + ".weight";
        foreach (var (name, tensor) in Weight.StateTensors(key)) destination.TryAdd(name, tensor);
        return base.state_dict(destination, prefix);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Weight.Dispose();
        base.Dispose(disposing);
    }
}

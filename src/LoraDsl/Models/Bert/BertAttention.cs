using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Bert;

/// <summary>Self-attention followed by its output projection, residual and LayerNorm.</summary>
internal sealed class BertAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    [TorchSharp.Utils.ComponentName(Name = "self")]
    readonly BertSelfAttention self_attention;
    readonly BertSelfOutput output;

    public BertAttention(BertConfig config) : base("attention")
    {
        self_attention = new BertSelfAttention(config);
        output = new BertSelfOutput(config, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var context = self_attention.call(hidden, additiveMask);
        return output.call(context, hidden);
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Bert;

/// <summary>One post-LayerNorm encoder block: attention, then feed-forward (intermediate + output).</summary>
internal sealed class BertLayer : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly BertAttention attention;
    readonly BertIntermediate intermediate;
    readonly BertSelfOutput output;

    public BertLayer(BertConfig config) : base("layer")
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertSelfOutput(config, config.IntermediateSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var attended = attention.call(hidden, additiveMask);
        using var expanded = intermediate.call(attended);
        return output.call(expanded, attended);
    }
}

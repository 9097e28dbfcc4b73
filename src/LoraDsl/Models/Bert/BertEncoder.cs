using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Models.Bert;

/// <summary>The stack of encoder layers (<c>encoder.layer.{i}</c>).</summary>
internal sealed class BertEncoder : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly ModuleList<BertLayer> layer;

    public BertEncoder(BertConfig config) : base("encoder")
    {
        layer = new ModuleList<BertLayer>([.. Enumerable.Range(0, config.NumLayers).Select(_ => new BertLayer(config))]);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor? additiveMask) => Forward(hidden, additiveMask, checkpointLayers: false);

    /// <summary>The stack; <paramref name="checkpointLayers"/> recomputes each layer in backward instead of keeping its activations.</summary>
    public Tensor Forward(Tensor hidden, Tensor? additiveMask, bool checkpointLayers)
    {
        var current = hidden.alias();
        foreach (var block in layer)
        {
            var next = checkpointLayers
                ? ActivationCheckpoint.Run(block, (x, c) => block.call(x, c[0]), current, additiveMask)
                : block.call(current, additiveMask);
            current.Dispose();
            current = next;
        }
        return current;
    }
}

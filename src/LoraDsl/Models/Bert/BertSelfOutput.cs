using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Models.Bert;

/// <summary>
/// A dense projection, dropout, residual add and post-LayerNorm. Hugging Face uses this shape
/// twice: <c>attention.output</c> (BertSelfOutput) and the feed-forward <c>output</c> (BertOutput).
/// </summary>
internal sealed class BertSelfOutput : nn.Module<Tensor, Tensor, Tensor>, IModuleHost
{
    nn.Module<Tensor, Tensor> dense;
    readonly LayerNorm LayerNorm;
    readonly Dropout dropout;

    public BertSelfOutput(BertConfig config, long inputSize) : base("output")
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>LayerNorm(dropout(dense(<paramref name="hidden"/>)) + <paramref name="residual"/>).</summary>
    public override Tensor forward(Tensor hidden, Tensor residual)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.call(dropout.call(dense.call(hidden)) + residual).MoveToOuterDisposeScope();
    }

    public nn.Module<Tensor, Tensor> GetChild(string name) =>
        name == "dense" ? dense : throw new ModuleNotFoundException($"BertSelfOutput has no replaceable child '{name}' (dense).");

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        dense = replacement;
        return old;
    }
}

using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Bert;

/// <summary>Multi-head self-attention (query/key/value projections) through libtorch's fused SDPA.</summary>
internal sealed class BertSelfAttention : nn.Module<Tensor, Tensor?, Tensor>, IModuleHost
{
    nn.Module<Tensor, Tensor> query;
    nn.Module<Tensor, Tensor> key;
    nn.Module<Tensor, Tensor> value;
    readonly int heads;
    readonly int headDim;
    readonly double dropoutProb;

    public BertSelfAttention(BertConfig config) : base("self")
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        heads = config.NumAttentionHeads;
        headDim = config.HeadDim;
        dropoutProb = config.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    /// <summary><paramref name="additiveMask"/>: [B,1,1,T] float, 0 for keys to attend and a large negative value for padding.</summary>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor Split(nn.Module<Tensor, Tensor> projection) =>
            projection.call(hidden).view(batch, length, heads, headDim).transpose(1, 2);
        var context = nn.functional.scaled_dot_product_attention(
            Split(query), Split(key), Split(value), additiveMask, training ? dropoutProb : 0.0);
        return context.transpose(1, 2).reshape(batch, length, heads * headDim).MoveToOuterDisposeScope();
    }

    public nn.Module<Tensor, Tensor> GetChild(string name) => name switch
    {
        "query" => query,
        "key" => key,
        "value" => value,
        _ => throw new ModuleNotFoundException($"BertSelfAttention has no replaceable child '{name}' (query, key, value)."),
    };

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        switch (name)
        {
            case "query": query = replacement; break;
            case "key": key = replacement; break;
            default: value = replacement; break;
        }
        return old;
    }
}

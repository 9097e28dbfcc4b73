using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Bert;

/// <summary>tanh(dense(hidden state of the first token)): BERT's sentence-level output.</summary>
internal sealed class BertPooler : nn.Module<Tensor, Tensor>, IModuleHost
{
    nn.Module<Tensor, Tensor> dense;

    public BertPooler(BertConfig config) : base("pooler")
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var first = hidden[.., 0];
        using var projected = dense.call(first);
        return projected.tanh();
    }

    public nn.Module<Tensor, Tensor> GetChild(string name) =>
        name == "dense" ? dense : throw new ModuleNotFoundException($"BertPooler has no replaceable child '{name}' (dense).");

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        dense = replacement;
        return old;
    }
}

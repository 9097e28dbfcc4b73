using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Models.Bert;

/// <summary>The feed-forward up projection and its activation.</summary>
internal sealed class BertIntermediate : nn.Module<Tensor, Tensor>, IModuleHost
{
    nn.Module<Tensor, Tensor> dense;
    readonly string activation;

    public BertIntermediate(BertConfig config) : base("intermediate")
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        activation = config.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var projected = dense.call(hidden);
        return activation switch
        {
            "gelu" => nn.functional.gelu(projected),
            "relu" => nn.functional.relu(projected),
            _ => nn.functional.gelu(projected, GELU.Approximate.tanh),
        };
    }

    public nn.Module<Tensor, Tensor> GetChild(string name) =>
        name == "dense" ? dense : throw new ModuleNotFoundException($"BertIntermediate has no replaceable child '{name}' (dense).");

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        dense = replacement;
        return old;
    }
}

using LoraDsl.Models.Gpt2;
using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Llama;

/// <summary>
/// Gated feed-forward: down_proj(act(gate_proj(x)) * up_proj(x)) with SiLU (SwiGLU) or tanh-GELU (Gemma's
/// GeGLU); Phi-3 fuses gate and up into one <c>gate_up_proj</c> (gate rows first).
/// </summary>
internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>, IModuleHost
{
    readonly bool gelu;
    readonly long intermediate;
    readonly string[] childNames;
    nn.Module<Tensor, Tensor>? gate_proj;
    nn.Module<Tensor, Tensor>? up_proj;
    nn.Module<Tensor, Tensor>? gate_up_proj;
    nn.Module<Tensor, Tensor> down_proj;

    public LlamaMlp(LlamaConfig config, ScalarType dtype, Device device) : base(nameof(LlamaMlp))
    {
        gelu = config.HiddenActivation == "gelu_pytorch_tanh";
        intermediate = config.IntermediateSize;
        if (config.FusedProjections)
        {
            gate_up_proj = nn.Linear(config.HiddenSize, 2 * config.IntermediateSize, config.MlpBias, device, dtype);
            childNames = ["gate_up_proj", "down_proj"];
        }
        else
        {
            gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
            up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
            childNames = ["gate_proj", "up_proj", "down_proj"];
        }
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, config.MlpBias, device, dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor gate, up;
        if (gate_up_proj is not null)
        {
            var parts = UpcastLinear.Call(gate_up_proj, input).split([intermediate, intermediate], -1);
            (gate, up) = (parts[0], parts[1]);
        }
        else
        {
            (gate, up) = (UpcastLinear.Call(gate_proj!, input), UpcastLinear.Call(up_proj!, input));
        }
        var activated = gelu ? Gpt2Mlp.GeluNew(gate) : nn.functional.silu(gate);
        return UpcastLinear.Call(down_proj, activated * up).MoveToOuterDisposeScope();
    }

    public nn.Module<Tensor, Tensor> GetChild(string name) => name switch
    {
        "gate_proj" when gate_proj is not null => gate_proj,
        "up_proj" when up_proj is not null => up_proj,
        "gate_up_proj" when gate_up_proj is not null => gate_up_proj,
        "down_proj" => down_proj,
        _ => throw new ModuleNotFoundException($"LlamaMlp has no replaceable child '{name}' (children: {string.Join(", ", childNames)})."),
    };

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        switch (name)
        {
            case "gate_proj": gate_proj = replacement; break;
            case "up_proj": up_proj = replacement; break;
            case "gate_up_proj": gate_up_proj = replacement; break;
            default: down_proj = replacement; break;
        }
        return old;
    }
}

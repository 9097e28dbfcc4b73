using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Llama;

/// <summary>SwiGLU feed-forward: down_proj(silu(gate_proj(x)) * up_proj(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>, IModuleHost
{
    nn.Module<Tensor, Tensor> gate_proj;
    nn.Module<Tensor, Tensor> up_proj;
    nn.Module<Tensor, Tensor> down_proj;

    public LlamaMlp(LlamaConfig config, ScalarType dtype, Device device) : base(nameof(LlamaMlp))
    {
        gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
        up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, config.MlpBias, device, dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var gate = gate_proj.call(input);
        using var activated = nn.functional.silu(gate);
        using var up = up_proj.call(input);
        using var product = activated * up;
        return down_proj.call(product);
    }

    public nn.Module<Tensor, Tensor> GetChild(string name) => name switch
    {
        "gate_proj" => gate_proj,
        "up_proj" => up_proj,
        "down_proj" => down_proj,
        _ => throw new ModuleNotFoundException($"LlamaMlp has no child '{name}' (children: gate_proj, up_proj, down_proj)."),
    };

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        switch (name)
        {
            case "gate_proj": gate_proj = replacement; break;
            case "up_proj": up_proj = replacement; break;
            default: down_proj = replacement; break;
        }
        return old;
    }
}

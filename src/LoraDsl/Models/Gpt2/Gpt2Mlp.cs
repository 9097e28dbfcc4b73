using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Models.Gpt2;

/// <summary>GPT-2 feed-forward: c_proj(gelu_new(c_fc(x))).</summary>
internal sealed class Gpt2Mlp : nn.Module<Tensor, Tensor>, IModuleHost
{
    nn.Module<Tensor, Tensor> c_fc;
    nn.Module<Tensor, Tensor> c_proj;

    public Gpt2Mlp(Gpt2Config config, ScalarType dtype, Device device) : base(nameof(Gpt2Mlp))
    {
        c_fc = new Conv1D(config.HiddenSize, config.InnerSize).to(dtype).to(device);
        c_proj = new Conv1D(config.InnerSize, config.HiddenSize).to(dtype).to(device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var up = c_fc.call(input);
        using var activated = GeluNew(up);
        return c_proj.call(activated);
    }

    /// <summary>GPT-2's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    /// <remarks>libtorch's fused kernel: one pass forward and backward instead of eight ops (about 5× faster on CPU).</remarks>
    public static Tensor GeluNew(Tensor x) => nn.functional.gelu(x, GELU.Approximate.tanh);

    public nn.Module<Tensor, Tensor> GetChild(string name) => name switch
    {
        "c_fc" => c_fc,
        "c_proj" => c_proj,
        _ => throw new ModuleNotFoundException($"Gpt2Mlp has no child '{name}' (children: c_fc, c_proj)."),
    };

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        if (name == "c_fc") c_fc = replacement;
        else c_proj = replacement;
        return old;
    }
}

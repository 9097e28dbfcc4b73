using LoraDsl.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Training;

/// <summary>Test adapter store: the model's requires_grad parameters in adapter_model.safetensors.</summary>
sealed class TrainableParameterStore(nn.Module model) : IAdapterStore
{
    public const string File = "adapter_model.safetensors";

    public void Save(string directory)
    {
        var tensors = model.named_parameters().Where(p => p.parameter.requires_grad)
            .ToDictionary(p => p.name, p => (Tensor)p.parameter);
        Safetensors.SaveStateDict(Path.Combine(directory, File), tensors);
    }

    public void Load(string directory)
    {
        var loaded = Safetensors.LoadStateDict(Path.Combine(directory, File));
        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in model.named_parameters().Where(p => p.parameter.requires_grad))
        {
            parameter.copy_(loaded[name]);
        }
        foreach (var t in loaded.Values) t.Dispose();
    }
}

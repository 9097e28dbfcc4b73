using LoraDsl.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>
/// Checkpoints every parameter that trains (requires_grad) under its state-dict name: the store for
/// full fine-tuning or any model without PEFT adapters.
/// </summary>
internal sealed class TrainableParameterStore(nn.Module model) : IAdapterStore
{
    public const string File = "trainable_parameters.safetensors";

    public void Save(string directory) =>
        SafetensorsWriter.Write(Path.Combine(directory, File),
            model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => (Tensor)p.parameter));

    public void Load(string directory)
    {
        var stored = SafetensorsFile.Open(Path.Combine(directory, File));
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters().Where(p => p.parameter.requires_grad))
        {
            if (!stored.Contains(name))
                throw new LoraDsl.Checkpoints.CheckpointFormatException($"Checkpoint '{stored.Path}' lacks trainable parameter '{name}'.");
            using var value = stored.Read(name);
            if (!value.shape.SequenceEqual(parameter.shape))
                throw new LoraDsl.Checkpoints.CheckpointFormatException(
                    $"Checkpoint '{stored.Path}': '{name}' has shape [{string.Join(", ", value.shape)}], the model needs [{string.Join(", ", parameter.shape)}].");
            parameter.copy_(value);
        }
    }
}

namespace LoraDsl.Lora;

/// <summary>What <see cref="LoraInjector.Inject"/> did to a model: the adapter, its modules, and the modules trained in full.</summary>
public sealed record LoraInjection(LoraOptions Options, IReadOnlyList<AdaptedModule> Modules, IReadOnlyList<string> ModulesToSave)
{
    public string AdapterName => Options.AdapterName;

    /// <summary>Tensors of the adapter file that were not loaded: their modules are not selected by its adapter_config.json.</summary>
    public IReadOnlyList<string> UnusedTensors { get; init; } = [];

    /// <summary>PEFT's trainable_token_indices as resolved on this model (ids), or null without trainable tokens.</summary>
    public TrainableTokens.TrainableTokenIndices? TrainableTokenIndices { get; init; }

    /// <summary>The trainable-token layers: owners of a delta first, then the tied ones that read it.</summary>
    internal IReadOnlyList<TrainableTokens.TrainableTokensLayer> TrainableTokenLayers { get; init; } = [];
}

namespace LoraDsl.Lora;

/// <summary>What <see cref="LoraInjector.Inject"/> did to a model: the adapter, its modules, and the modules trained in full.</summary>
public sealed record LoraInjection(LoraOptions Options, IReadOnlyList<AdaptedModule> Modules, IReadOnlyList<string> ModulesToSave)
{
    public string AdapterName => Options.AdapterName;
}

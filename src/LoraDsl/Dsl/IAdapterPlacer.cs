namespace LoraDsl.Dsl;

/// <summary>
/// Wraps one concrete module with a LoRA adapter. Generated <c>ApplyLora</c> methods call it once
/// per selected module; the LoRA injector implements it.
/// </summary>
public interface IAdapterPlacer
{
    /// <param name="modulePath">Full state-dict path, e.g. <c>model.layers.3.self_attn.q_proj</c>.</param>
    /// <param name="kind">The layer type found at that path.</param>
    /// <param name="part">For fused modules, the slices to adapt; null = the whole output.</param>
    void Place(string modulePath, ModuleKind kind, FusedPart? part);
}

namespace LoraDsl.Checkpoints;

/// <summary>What a weight copy did: checkpoint tensors it did not use, model tensors it left as initialised.</summary>
public sealed record WeightLoadReport(
    IReadOnlyList<string> LoadedKeys,
    IReadOnlyList<string> UnexpectedKeys,
    IReadOnlyList<string> NewlyInitializedKeys,
    IReadOnlyList<string> TiedKeys);

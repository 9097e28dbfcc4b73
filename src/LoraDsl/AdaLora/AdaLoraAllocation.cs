namespace LoraDsl.AdaLora;

/// <summary>
/// What one <see cref="AdaLoraAllocator.Update"/> did: the budget at that step, whether Λ was masked, and the
/// rank pattern in force (module path → kept triplets; null until the first allocation).
/// </summary>
public sealed record AdaLoraAllocation(int Step, int Budget, bool Masked, IReadOnlyDictionary<string, bool[]>? RankPattern);

namespace LoraDsl.AdaLora;

/// <summary>The total rank budget at one step, and whether this step reallocates it (masks Λ).</summary>
internal readonly record struct AdaLoraBudget(int Budget, bool Mask);

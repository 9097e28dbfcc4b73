using System.Globalization;

namespace LoraDsl.Adapters;

/// <summary>What one named adapter on a model is: where it sits, its ranks and alphas, its size and state.</summary>
public sealed record AdapterSummary(
    string Name,
    IReadOnlyList<string> Modules,
    IReadOnlyList<int> Ranks,
    IReadOnlyList<double> Alphas,
    string Variant,
    long ParameterCount,
    bool IsActive,
    bool IsMerged,
    string? Directory)
{
    /// <summary>The module paths with layer indices collapsed ("model.layers.{layer}.self_attn.q_proj"), in order.</summary>
    public IReadOnlyList<string> Targets =>
        [.. Modules.Select(p => string.Join('.', p.Split('.').Select(s => s.All(char.IsDigit) ? "{layer}" : s))).Distinct()];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}{(IsActive ? " (active)" : "")}{(IsMerged ? " (merged)" : "")}: {Variant} r={string.Join("/", Ranks)} alpha={string.Join("/", Alphas)}, " +
        $"{Modules.Count} modules, {ParameterCount:N0} parameters{(Directory is null ? "" : $", from {Directory}")}");
}

// Linked into generators/LoraDsl.Generators: the resolver's answer for one target, on both sides.
using System.Collections.Generic;

namespace LoraDsl.Dsl;

/// <summary>What one target selects and what is wrong with it; the run time throws the first problem, the generator reports each.</summary>
internal sealed class TargetResolution(IReadOnlyList<SelectedModule> selections, IReadOnlyList<TargetProblem> problems)
{
    /// <summary>The modules selected, in declaration order; empty when the target selects nothing or its layers are malformed.</summary>
    public IReadOnlyList<SelectedModule> Selections { get; } = selections;
    public IReadOnlyList<TargetProblem> Problems { get; } = problems;
}

// Linked into generators/LoraDsl.Generators: what a preset selects and the order of roles exist once.
using System;
using System.Collections.Generic;
using System.Linq;

namespace LoraDsl.Dsl;

/// <summary>The target rules the compile-time checks and the run-time resolution share, over role and kind names.</summary>
public static class TargetRules
{
    /// <summary>Role names in <see cref="ModuleRole"/> order: the order messages list them in.</summary>
    public static IReadOnlyList<string> RoleOrder { get; } =
        new[] { "Query", "Key", "Value", "Output", "FfnGate", "FfnUp", "FfnDown", "Embedding", "Head", "Classifier", "Norm" };

    /// <summary>The <see cref="Preset"/> member names in declaration order: the generated <c>Presets</c> class lists them so.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = new[] { "QV", "QKVO", "FeedForward", "AllLinear" };

    /// <summary>The roles a preset selects; null for AllLinear, which selects by kind (<see cref="IsInAllLinear"/>).</summary>
    public static IReadOnlyList<string>? PresetRoles(string preset) => preset switch
    {
        "AllLinear" => null,
        "QV" => new[] { "Query", "Value" },
        "QKVO" => new[] { "Query", "Key", "Value", "Output" },
        "FeedForward" => new[] { "FfnGate", "FfnUp", "FfnDown" },
        _ => throw new ArgumentException("Unknown preset '" + preset + "'.", nameof(preset)),
    };

    /// <summary>PEFT's "all-linear": every Linear/Conv1D except embeddings, norms and the output head or classifier.</summary>
    public static bool IsInAllLinear(string kind, IEnumerable<string> roles) =>
        kind != "Embedding" && kind != "Norm" && !roles.Contains("Head") && !roles.Contains("Classifier");

    /// <summary>Position of a role name in <see cref="RoleOrder"/>.</summary>
    public static int RoleIndex(string role)
    {
        for (var i = 0; i < RoleOrder.Count; i++)
            if (RoleOrder[i] == role) return i;
        return RoleOrder.Count;
    }
}

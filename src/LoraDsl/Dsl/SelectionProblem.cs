// Linked into generators/LoraDsl.Generators: each kind of selection problem has its own diagnostic id.
namespace LoraDsl.Dsl;

/// <summary>What <see cref="ModuleSelectionRules"/> can find wrong with PEFT's selection options.</summary>
internal enum SelectionProblem
{
    /// <summary>lora.target_regex or a rank/alpha pattern key is not a regular expression.</summary>
    InvalidRegex,

    /// <summary>A rank_pattern / alpha_pattern key, or the regex target, matches no module.</summary>
    MatchesNothing,

    /// <summary>A layers_to_transform index at or beyond the depth.</summary>
    LayerOutOfRange,

    /// <summary>An exclude_modules entry matches no module (a warning).</summary>
    ExcludeMatchesNothing,

    /// <summary>Options PEFT refuses together: a regex with layers or list targets, layers_pattern without layers_to_transform.</summary>
    Incompatible,

    /// <summary>A rank_pattern / alpha_pattern value that is not positive.</summary>
    ValueNotPositive,
}

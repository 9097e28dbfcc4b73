namespace LoraDsl.Dsl;

/// <summary>What a module does in a transformer block, so one recipe can target several architectures.</summary>
public enum ModuleRole
{
    Query,
    Key,
    Value,

    /// <summary>The attention output projection (o_proj, c_proj, attention.output.dense).</summary>
    Output,
    FfnGate,
    FfnUp,
    FfnDown,
    Embedding,

    /// <summary>The language-model head.</summary>
    Head,

    /// <summary>A sequence-classification head.</summary>
    Classifier,

    /// <summary>A normalisation layer (<see cref="ModuleKind.Norm"/>), which no preset selects.</summary>
    Norm,
}

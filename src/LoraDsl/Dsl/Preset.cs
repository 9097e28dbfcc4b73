namespace LoraDsl.Dsl;

/// <summary>Target sets the field uses most, defined by role so they mean the same on every architecture.</summary>
public enum Preset
{
    /// <summary>Query and Value (the LoRA paper's choice).</summary>
    QV,

    /// <summary>Query, Key, Value and the attention output.</summary>
    QKVO,

    /// <summary>Gate, up and down projections of the feed-forward block.</summary>
    FeedForward,

    /// <summary>Every Linear/Conv1D module except the head and classifier (PEFT's "all-linear").</summary>
    AllLinear,
}

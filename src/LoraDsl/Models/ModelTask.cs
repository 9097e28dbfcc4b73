namespace LoraDsl.Models;

/// <summary>What a model's head computes; matches PEFT's <c>task_type</c> values.</summary>
public enum ModelTask
{
    /// <summary>PEFT "CAUSAL_LM".</summary>
    CausalLanguageModeling,

    /// <summary>PEFT "SEQ_CLS".</summary>
    SequenceClassification,
}

namespace LoraDsl.Data;

public enum DataTask
{
    /// <summary>text → label, cross-entropy over the classifier head.</summary>
    Classification,

    /// <summary>Next-token prediction on text packed into fixed-length blocks.</summary>
    CausalLanguageModeling,

    /// <summary>Alpaca-style prompt + response; prompt tokens are masked out of the loss (label -100).</summary>
    InstructionTuning,
}

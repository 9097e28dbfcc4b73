namespace LoraDsl.Data;

public enum DataTask
{
    /// <summary>text → label, cross-entropy over the classifier head.</summary>
    Classification,

    /// <summary>Next-token prediction on text packed into fixed-length blocks.</summary>
    CausalLanguageModeling,

    /// <summary>Alpaca-style prompt + response; prompt tokens are masked out of the loss (label -100).</summary>
    InstructionTuning,

    /// <summary>Conversations rendered through the model's chat template; only the turns <c>train_on</c> names train.</summary>
    Chat,
}

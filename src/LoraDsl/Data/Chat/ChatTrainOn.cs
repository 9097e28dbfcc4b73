namespace LoraDsl.Data.Chat;

/// <summary>Which tokens of a rendered conversation train (axolotl's roles_to_train, TRL's assistant_only_loss).</summary>
public enum ChatTrainOn
{
    /// <summary>Every assistant turn, its end-of-turn token included (train_on_eos "turn").</summary>
    Assistant,

    /// <summary>Only the last assistant turn and its end of turn.</summary>
    Last,

    /// <summary>Every token of the rendered conversation.</summary>
    All,
}

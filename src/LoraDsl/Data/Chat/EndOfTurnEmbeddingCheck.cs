using System.Globalization;
using LoraDsl.Models;
using static TorchSharp.torch;

namespace LoraDsl.Data.Chat;

/// <summary>
/// Before the first step of a chat run: a base model whose end-of-turn row was never trained (its norm far from the
/// other rows' median, as Llama 3 base's &lt;|eot_id|&gt;) cannot learn to emit it through LoRA on the layers alone.
/// </summary>
internal static class EndOfTurnEmbeddingCheck
{
    /// <summary>A row norm below this share of the median, or above its inverse, looks untrained.</summary>
    public const double FarRatio = 0.5;

    /// <summary>Logs the warning when there is one; does nothing for data without an end of turn.</summary>
    public static void Run(PretrainedModel model, PreparedDataset data, Action<string> log)
    {
        if (data.EndOfTurn is { } endOfTurn && Warning(model, endOfTurn) is { } warning) log($"warning: {warning}");
    }

    /// <summary>The warning for <paramref name="endOfTurn"/>'s embedding row, or null when it looks like the others.</summary>
    internal static string? Warning(PretrainedModel model, EndOfTurn endOfTurn)
    {
        if (model is not IInputEmbeddings embeddings) return null;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var weight = embeddings.InputEmbeddings.weight!;
        if (endOfTurn.Id >= weight.shape[0])
            throw new EndOfTurnException($"The end-of-turn token '{endOfTurn.Text}' has id {endOfTurn.Id}, beyond the model's {weight.shape[0]} embedding rows: the tokenizer and the model do not match.");
        var norms = weight.to(ScalarType.Float32).norm(1, false, 2).cpu();
        var median = Native.HostMemory.Item<float>(norms.median());
        var row = Native.HostMemory.Item<float>(norms[endOfTurn.Id]);
        if (row >= median * FarRatio && row <= median / FarRatio) return null;
        return string.Format(CultureInfo.InvariantCulture,
            "the end-of-turn token '{0}' (id {1}) has an embedding row of norm {2:G3} against a median of {3:G3} over all rows: it looks untrained (a base model), "
            + "and LoRA on the layers alone may never learn to emit it, so the tuned model would not stop. Train that row too: PEFT's trainable_token_indices "
            + "l.TrainableTokens(\"{0}\") or --set lora.trainable_token_indices={1} (that row alone, and a tied head's), or --set lora.modules_to_save=embed_tokens,lm_head (whole tables), or start from the instruct model.",
            endOfTurn.Text, endOfTurn.Id, row, median);
    }
}

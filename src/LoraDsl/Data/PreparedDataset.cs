namespace LoraDsl.Data;

/// <summary>Tokenized train and validation examples, ready for batching.</summary>
public sealed class PreparedDataset
{
    public required DataTask Task { get; init; }
    public required IReadOnlyList<TokenizedExample> Train { get; init; }
    public required IReadOnlyList<TokenizedExample> Validation { get; init; }

    /// <summary>Class names in index order (classification only; empty otherwise).</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    public required int PadId { get; init; }

    /// <summary>Instruction records dropped because truncation left no response token.</summary>
    public int DroppedRecords { get; init; }

    /// <summary>The data files read, in order (their hashes go into run.json).</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>Chat: the template's end-of-turn token, which trains and stops generation; null for other tasks.</summary>
    internal Chat.EndOfTurn? EndOfTurn { get; init; }

    /// <summary>What may be wrong with data that still loads (a class a label typo made); the run should show these.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

namespace LoraDsl.Data;

public enum DataFormat
{
    /// <summary>From the file extension: .jsonl, .csv, anything else plain text.</summary>
    Auto,
    JsonLines,
    Csv,
    PlainText,

    /// <summary>Conversation records (JSONL, or one JSON array): implies the chat task.</summary>
    Chat,
}

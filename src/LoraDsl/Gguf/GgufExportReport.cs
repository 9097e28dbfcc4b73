namespace LoraDsl.Gguf;

/// <summary>What an export wrote: the file, its tensors and size, the Ollama Modelfile beside it, and what had to be guessed.</summary>
public sealed record GgufExportReport(string Path, int TensorCount, long Bytes, string? ModelfilePath, IReadOnlyList<string> Warnings);

namespace LoraDsl.Gguf;

/// <summary>A model or adapter llama.cpp's GGUF cannot hold as asked; the message names the module and what to do instead.</summary>
public sealed class GgufExportException(string message) : Exception(message);

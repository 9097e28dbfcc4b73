namespace LoraDsl.Adapters;

/// <summary>
/// An adapter that is readable but does not fit the model or this runtime (module absent, shape or
/// rank differs, unsupported peft_type): the message names the file and the tensor or field.
/// </summary>
public sealed class AdapterMismatchException(string message) : Exception(message);

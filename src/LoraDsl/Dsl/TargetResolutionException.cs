namespace LoraDsl.Dsl;

/// <summary>A target that does not fit the architecture or model it is applied to (the run-time LORA001/002/006/008).</summary>
public sealed class TargetResolutionException(string message) : Exception(message);

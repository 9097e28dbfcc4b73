namespace LoraDsl.Modules;

/// <summary>A module path that does not exist in a model, or exists but cannot be replaced.</summary>
public sealed class ModuleNotFoundException(string message) : Exception(message);

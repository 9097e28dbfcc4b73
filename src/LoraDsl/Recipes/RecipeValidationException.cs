namespace LoraDsl.Recipes;

/// <summary>A recipe whose options are invalid (the run-time LORA003/004/005), or an override that does not apply.</summary>
public sealed class RecipeValidationException(string message) : Exception(message);

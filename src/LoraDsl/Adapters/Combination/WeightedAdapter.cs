namespace LoraDsl.Adapters.Combination;

/// <summary>One input of a combination: an adapter already on the model, by name, and its weight (may be negative).</summary>
public sealed record WeightedAdapter(string Name, double Weight);

namespace LoraDsl.Adapters.Start;

/// <summary>
/// One adapter a recipe starts from: a PEFT adapter folder under a name (the name it has during a combination),
/// with its weight there. <see cref="Recipe"/> is the recipe that trains it, when it was named by type.
/// </summary>
public sealed record StartingAdapter(string Name, string Directory, double Weight = 1.0, string? Recipe = null)
{
    /// <summary>"name=directory" as <c>start.adapters</c> writes it.</summary>
    public override string ToString() => $"{Name}={Directory}";
}

namespace LoraDsl.Recipes;

/// <summary>LoRA hyperparameters of a recipe; unset values keep <see cref="LoraDsl.Lora.LoraOptions"/>'s defaults.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class LoraAttribute : Attribute
{
    public int Rank { get; set; }
    public double Alpha { get; set; }
    public double Dropout { get; set; } = double.NaN;
    public bool UseRsLora { get; set; }
    public bool UseDora { get; set; }
}

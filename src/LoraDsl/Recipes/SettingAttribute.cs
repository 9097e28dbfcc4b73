namespace LoraDsl.Recipes;

/// <summary>
/// Sets one recipe setting by its <c>--set</c> key: <c>[Setting("training.lr", "1e-3")]</c>. Applied after the other
/// attributes and before Configure; the generator checks the key and, for numbers, the value's range.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SettingAttribute(string key, string value) : Attribute
{
    public string Key { get; } = key;

    public string Value { get; } = value;
}

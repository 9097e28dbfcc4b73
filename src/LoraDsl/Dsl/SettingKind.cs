// Linked into generators/LoraDsl.Generators: the recipe settings table is one list for the DSL, the attributes, --set and the docs.
namespace LoraDsl.Dsl;

/// <summary>How a recipe setting's value is written after <c>--set key=</c> and in the DSL.</summary>
internal enum SettingKind
{
    Integer,
    Number,
    Boolean,
    Text,
    TextList,
    Choice,
}

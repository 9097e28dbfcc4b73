using LoraDsl.Recipes;

namespace LoraDsl.Tests.Examples;

/// <summary>What the example tests share to run a recipe's generated entry point quietly on the CPU.</summary>
static class RecipeRuns
{
    public static RecipeRunContext Quiet(params KeyValuePair<string, string>[] overrides) =>
        new() { Device = "cpu", Observers = [], Log = _ => { }, Overrides = overrides };

    public static KeyValuePair<string, string> Set(string key, string value) => new(key, value);
}

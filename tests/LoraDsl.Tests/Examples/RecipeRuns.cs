using LoraDsl.Engine;

namespace LoraDsl.Tests.Examples;

/// <summary>What the example tests share to run a recipe's generated entry point quietly on the CPU.</summary>
static class RecipeRuns
{
    public static RecipeEngine QuietEngine() => new(new RecipeEngineOptions { Device = "cpu", Observers = [], Log = _ => { } });

    public static KeyValuePair<string, string> Set(string key, string value) => new(key, value);
}

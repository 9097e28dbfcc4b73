using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Models;

/// <summary>
/// A module's parameters with each tensor listed once. A tied weight (GPT-2's lm_head and wte) is
/// registered under two names, and TorchSharp hands out a new wrapper per listing, so the aliases
/// a model declares through <see cref="ITiedWeights"/> are left out by name.
/// </summary>
internal static class DistinctParameters
{
    public static IEnumerable<(string Name, Parameter Parameter)> Of(nn.Module model)
    {
        var tied = model is ITiedWeights t ? t.TiedKeys.ToHashSet(StringComparer.Ordinal) : [];
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var (name, parameter) in model.named_parameters())
            if (!tied.Contains(name) && seen.Add(parameter)) yield return (name, parameter);
    }
}

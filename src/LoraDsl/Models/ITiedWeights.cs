namespace LoraDsl.Models;

/// <summary>A model whose some parameters share another's storage (tied lm_head); those need no checkpoint tensor.</summary>
internal interface ITiedWeights
{
    /// <summary>State-dict names that alias another parameter ("lm_head.weight").</summary>
    IReadOnlyList<string> TiedKeys { get; }
}

using Xunit;

namespace LoraDsl.Tests.Training;

/// <summary>Tests that seed torch's global generator run alone, so no parallel test draws from it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchRandomCollection
{
    public const string Name = "torch global RNG";
}

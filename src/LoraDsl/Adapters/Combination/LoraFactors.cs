using static TorchSharp.torch;

namespace LoraDsl.Adapters.Combination;

/// <summary>One adapter on one module as a combination sees it: A [r, in], B [out, r] (all rows) and its scaling s.</summary>
readonly record struct LoraFactors(Tensor A, Tensor B, double Scaling)
{
    public long Rank => A.shape[0];
}

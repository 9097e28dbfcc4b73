using TorchSharp;
using TorchSharp.Modules;

namespace LoraDsl.Training;

/// <summary>Global gradient-norm clipping (torch.nn.utils.clip_grad_norm_).</summary>
public static class GradientClipping
{
    /// <summary>Clips to <paramref name="maxNorm"/> (null: no clipping) and returns the norm before clipping.</summary>
    public static double ClipNorm(IReadOnlyList<Parameter> parameters, double? maxNorm) =>
        torch.nn.utils.clip_grad_norm_(parameters, maxNorm ?? double.PositiveInfinity);
}

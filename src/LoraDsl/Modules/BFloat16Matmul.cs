using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Modules;

/// <summary>
/// How products of bf16 tensors run on this CPU. libtorch sends a bf16 matmul to oneDNN only when the CPU has AVX-512
/// BW/VL/DQ (AMX CPUs have them too); otherwise ATen's reference GEMM runs it at about a quarter of fp32 MKL's rate.
/// There the weights stay bf16 in memory and each product upcasts its operands and runs in fp32 (<see cref="UpcastLinear"/>).
/// <c>LORADSL_BF16_MATMUL=native</c> or <c>=fp32</c> overrides the choice (docs/precision.md).
/// </summary>
static class BFloat16Matmul
{
    public const string EnvironmentVariable = "LORADSL_BF16_MATMUL";

    static readonly bool Detected = Detect();

    /// <summary>Set by tests to run one path regardless of the CPU; null = the environment variable or the CPU decides.</summary>
    internal static bool? ForceFloat32 { get; set; }

    /// <summary>True when bf16 products on the CPU run as fp32 products of upcast operands.</summary>
    public static bool UpcastsOnCpu => ForceFloat32 ?? Detected;

    /// <summary>The dtype a product of <paramref name="operand"/>'s dtype runs in on its device.</summary>
    public static ScalarType ProductDtype(Tensor operand) => ProductDtype(operand.dtype, operand.device);

    public static ScalarType ProductDtype(ScalarType dtype, Device device) =>
        dtype == ScalarType.BFloat16 && device.type == DeviceType.CPU && UpcastsOnCpu ? ScalarType.Float32 : dtype;

    /// <summary>
    /// scaled_dot_product_attention; its CPU flash kernel multiplies its blocks with the same bf16 GEMM, so without native
    /// bf16 matmuls q, k, v (and a float mask) are upcast and the result rounded back to bf16.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask, bool isCausal)
    {
        var productDtype = ProductDtype(q);
        if (productDtype == q.dtype) return nn.functional.scaled_dot_product_attention(q, k, v, mask, 0.0, isCausal);
        using var scope = NewDisposeScope();
        var floatMask = mask is { } m && m.is_floating_point() ? m.to(productDtype) : mask;
        var attended = nn.functional.scaled_dot_product_attention(q.to(productDtype), k.to(productDtype), v.to(productDtype), floatMask, 0.0, isCausal);
        return attended.to(q.dtype).MoveToOuterDisposeScope();
    }

    static bool Detect()
    {
        switch (Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim().ToLowerInvariant())
        {
            case "native" or "bf16": return false;
            case "fp32" or "float32": return true;
            case null or "" or "auto": break;
            default: throw new InvalidOperationException($"{EnvironmentVariable}={Environment.GetEnvironmentVariable(EnvironmentVariable)}: use native, fp32 or auto.");
        }
        // libtorch's mkldnn_bf16_device_check on x86; other CPUs (ARM with bf16, Apple) keep libtorch's own choice.
        if (!X86Base.IsSupported) return false;
        return !(Avx512BW.IsSupported && Avx512BW.VL.IsSupported && Avx512DQ.IsSupported);
    }
}

namespace LoraDsl.Lora;

/// <summary>One module an injection adapted: where it is, its shapes, and the wrapper now in its place.</summary>
public sealed record AdaptedModule(string Path, LoraLinear Layer, LoraAdapter Adapter)
{
    public long InFeatures => Adapter.InFeatures;

    public long OutFeatures => Adapter.OutFeatures;

    /// <summary>The output rows the adapter covers; null = all.</summary>
    public OutputRows? OutputRows => Adapter.OutputRows;

    public int Rank => Adapter.Rank;

    /// <summary>True for GPT-2 Conv1D bases (weight stored [in, out]).</summary>
    public bool FanInFanOut => Layer.Base.FanInFanOut;

    public override string ToString() =>
        $"{Path}: {Layer.Base.Module.GetType().Name} {InFeatures}->{OutFeatures}{(OutputRows is { } s ? $" rows {s}" : "")}, r={Rank}";
}

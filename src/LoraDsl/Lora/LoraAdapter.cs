using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// One named adapter on one layer: A [r, in], B [rows, r] (rows = the slice length or the whole
/// output), dropout, and whatever its <see cref="ILoraVariant"/> adds. Always fp32, whatever the base dtype.
/// </summary>
public sealed class LoraAdapter : nn.Module
{
    public LoraAdapter(string adapterName, LoraBaseLayer baseLayer, LoraOptions options, OutputRows? outputRows, ILoraVariant variant)
        : base(adapterName)
    {
        options.Validate();
        if (outputRows is { } r && r.OutFeatures != baseLayer.OutFeatures)
            throw new ArgumentException($"Output rows {r} of adapter '{adapterName}' were made for {r.OutFeatures} outputs, the layer has {baseLayer.OutFeatures}.");
        AdapterName = adapterName;
        Options = options;
        OutputRows = outputRows;
        Variant = variant;
        InFeatures = baseLayer.InFeatures;
        OutFeatures = baseLayer.OutFeatures;
        var device = baseLayer.Device;
        lora_A = new Parameter(empty([options.Rank, InFeatures], ScalarType.Float32, device));
        lora_B = new Parameter(zeros([Rows, options.Rank], ScalarType.Float32, device));
        using (no_grad())
        {
            if (options.Init == LoraInit.Gaussian) nn.init.normal_(lora_A, 0, 1.0 / options.Rank);
            else nn.init.kaiming_uniform_(lora_A, Math.Sqrt(5));
        }
        dropout = nn.Dropout(options.Dropout);
        RegisterComponents();
        // PiSSA / OLoRA move part of W into A and B; the factors they started from are kept for saving.
        if (options.MutatesBase) (InitialA, initialB) = ResidualInit.Apply(this, baseLayer);
        variant.Initialize(this, baseLayer);
    }

    /// <summary>A as PiSSA/OLoRA initialised it (the base weight lost s·B₀A₀); null for inits that leave the base alone.</summary>
    public Tensor? InitialA { get; }

    readonly Tensor? initialB;

    /// <summary>B₀ as PEFT stores it, [out, r]; null unless <see cref="InitialA"/> is set.</summary>
    public Tensor? InitialFullB()
    {
        if (initialB is null) return null;
        using var _ = no_grad();
        return PadRows(initialB);
    }

    public string AdapterName { get; }

    public LoraOptions Options { get; }

    /// <summary>The rows B covers; null = every output row.</summary>
    public OutputRows? OutputRows { get; }

    public ILoraVariant Variant { get; }

    public long InFeatures { get; }

    /// <summary>The base layer's full output width (not the slice's).</summary>
    public long OutFeatures { get; }

    /// <summary>Output rows B covers: the ranges' total length, or <see cref="OutFeatures"/>.</summary>
    public long Rows => OutputRows?.Count ?? OutFeatures;

    public int Rank => Options.Rank;

    public double Scaling => Options.Scaling;

    /// <summary>[r, in].</summary>
    public Parameter A => lora_A;

    /// <summary>[rows, r].</summary>
    public Parameter B => lora_B;

    /// <summary>Parameters a variant added (DoRA's "lora_magnitude_vector"), by their PEFT name.</summary>
    public IReadOnlyDictionary<string, Parameter> ExtraParameters => extras;

    /// <summary>True when dropout changes the input (training with p &gt; 0).</summary>
    public bool DropoutActive => training && Options.Dropout > 0;

    readonly Parameter lora_A;
    readonly Parameter lora_B;
    readonly Dropout dropout;
    readonly Dictionary<string, Parameter> extras = [];

    /// <summary>Registers a variant's parameter on this adapter (it trains and saves with A and B).</summary>
    public void AddExtraParameter(string name, Parameter parameter)
    {
        register_parameter(name, parameter);
        extras.Add(name, parameter);
    }

    /// <summary>Dropout on the LoRA branch only; a new handle either way.</summary>
    public Tensor ApplyDropout(Tensor input) => DropoutActive ? dropout.call(input) : input.alias();

    /// <summary>B(A(x)) without scaling, [..., rows]; for token ids (an embedding base) A's column per id, Aᵀ[ids].</summary>
    public Tensor Product(Tensor input)
    {
        if (!input.is_floating_point())
        {
            using var looked = LookUp(input);
            return nn.functional.linear(looked, lora_B);
        }
        using var a = In(lora_A, input.dtype);
        using var b = In(lora_B, input.dtype);
        using var down = nn.functional.linear(input, a);
        return nn.functional.linear(down, b);
    }

    Tensor LookUp(Tensor ids)
    {
        using var flat = ids.reshape(-1);
        using var columns = lora_A.t().index_select(0, flat);
        return columns.reshape([.. ids.shape, Rank]);
    }

    /// <summary>An fp32 weight for a matmul in <paramref name="dtype"/>: itself, or a cast that autograd passes gradients back through.</summary>
    internal static Tensor In(Parameter weight, ScalarType dtype) => weight.dtype == dtype ? weight.alias() : weight.to(dtype);

    /// <summary>s·BA as a full [out, in] fp32 matrix, zero outside the slice; detached.</summary>
    public Tensor DeltaWeight()
    {
        using var _ = no_grad();
        using var product = matmul(lora_B.detach(), lora_A.detach());
        using var scaled = product.mul(Scaling);
        return PadRows(scaled);
    }

    /// <summary>B as PEFT stores it, [out, r]: zero rows outside the slice.</summary>
    public Tensor FullB()
    {
        using var _ = no_grad();
        using var detached = lora_B.detach();
        return PadRows(detached);
    }

    /// <summary>Places activations [..., rows] into the full output width [..., out] (zeros outside the ranges).</summary>
    public Tensor PadOutputs(Tensor rows) => OutputRows is { } r ? r.Scatter(rows, -1) : rows.alias();

    /// <summary>Places a weight [rows, k] into [out, k] (zeros outside the ranges).</summary>
    Tensor PadRows(Tensor rows) => OutputRows is { } r ? r.Scatter(rows, 0) : rows.alias();

    /// <summary>This adapter's rows of a full-size B [out, r] (PEFT's layout).</summary>
    public Tensor RowsOf(Tensor fullB) => OutputRows is { } r ? r.Gather(fullB, 0) : fullB.alias();
}
